"""The platform catalog (danh mục đơn vị thuê): provinces served, their placement, API keys."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import asyncpg

from kh_saas.domain.ids import ID_KEY_BYTES, IdKey
from kh_saas.storage.migrations import Migration

PLATFORM_SCHEMA = "kh_platform"

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MAX = 40
_SLUG_RE = re.compile(SLUG_PATTERN)

PLATFORM_MIGRATIONS = (
    Migration(
        1,
        "catalog",
        """
        CREATE TABLE {schema}.clusters (
            name text PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        INSERT INTO {schema}.clusters (name) VALUES ('default');
        CREATE TABLE {schema}.tenants (
            id uuid PRIMARY KEY,
            slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
            name text NOT NULL,
            province_code text NOT NULL UNIQUE CHECK (province_code ~ '^[0-9]{{2}}$'),
            schema_name text NOT NULL UNIQUE,
            cluster text NOT NULL REFERENCES {schema}.clusters (name),
            status text NOT NULL CHECK (status IN ('provisioning', 'active')),
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE {schema}.api_keys (
            id uuid PRIMARY KEY,
            tenant_id uuid REFERENCES {schema}.tenants (id) ON DELETE CASCADE,
            name text NOT NULL,
            role text NOT NULL,
            key_hash bytea NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz,
            CHECK ((role = 'platform_admin') = (tenant_id IS NULL))
        );
        CREATE INDEX api_keys_tenant_idx ON {schema}.api_keys (tenant_id);
        CREATE TABLE {schema}.idempotency_keys (
            scope text NOT NULL,
            key text NOT NULL,
            request_hash bytea NOT NULL,
            status integer NOT NULL,
            body bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (scope, key)
        );
        """,
    ),
    Migration(
        2,
        "platform_secrets",
        # Server-side secrets every process of the platform must share (the API-key pepper).
        """
        CREATE TABLE {schema}.platform_secrets (
            name text PRIMARY KEY,
            value text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        """,
    ),
    Migration(
        3,
        "tenant_schema_version",
        # Readiness reads one column instead of querying every tenant schema.
        "ALTER TABLE {schema}.tenants ADD COLUMN schema_version integer",
    ),
    Migration(
        4,
        "tenant_id_keys",
        # The province's secret for natural-key ids (docs/adr/0002-keyed-natural-ids.md).
        # New tenants get 32 bytes from Python's `secrets`; rows that predate this get 32
        # bytes from two gen_random_uuid() (PostgreSQL's strong random source).
        """
        ALTER TABLE {schema}.tenants ADD COLUMN id_key bytea;
        UPDATE {schema}.tenants
            SET id_key = uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
        ALTER TABLE {schema}.tenants ALTER COLUMN id_key SET NOT NULL,
            ADD CHECK (octet_length(id_key) >= 32);
        """,
    ),
    Migration(
        5,
        "idempotency_leases",
        # A claim is held by one attempt (token) until its lease lapses; placeholders left by
        # a crash before this migration (no lease) may be taken over at once.
        """
        ALTER TABLE {schema}.idempotency_keys
            ADD COLUMN token uuid,
            ADD COLUMN lease_until timestamptz;
        """,
    ),
)


def valid_slug(slug: str) -> bool:
    return len(slug) <= SLUG_MAX and _SLUG_RE.fullmatch(slug) is not None


def schema_for(slug: str) -> str:
    """Tenant schema name; slugs have no underscore, so ``-`` → ``_`` cannot collide."""
    return "t_" + slug.replace("-", "_")


@dataclass(frozen=True)
class Tenant:
    """A province served by the platform and where its data lives."""

    id: UUID
    slug: str
    name: str
    province_code: str
    schema_name: str
    cluster: str
    status: str
    created_at: datetime
    #: The province's secret for natural-key ids; never serialised, logged or served.
    id_key: IdKey = field(repr=False)


class TenantExists(Exception):
    """Another tenant already has this slug or province code."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"a tenant with {field} {value!r} already exists")
        self.field = field
        self.value = value


_COLUMNS = "id, slug, name, province_code, schema_name, cluster, status, created_at, id_key"


def _tenant(row: asyncpg.Record) -> Tenant:
    values = dict(row)
    values["id_key"] = IdKey(bytes(values["id_key"]))
    return Tenant(**values)


class Catalog:
    """Reads and writes the ``kh_platform.tenants`` table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def reserve(
        self, *, tenant_id: UUID, slug: str, name: str, province_code: str, cluster: str
    ) -> Tenant:
        """Claim slug and province code (status ``provisioning``); raise :class:`TenantExists`."""
        try:
            row = await self._pool.fetchrow(
                f"""INSERT INTO {PLATFORM_SCHEMA}.tenants
                    (id, slug, name, province_code, schema_name, cluster, status, id_key)
                    VALUES ($1, $2, $3, $4, $5, $6, 'provisioning', $7)
                    RETURNING {_COLUMNS}""",
                tenant_id,
                slug,
                name,
                province_code,
                schema_for(slug),
                cluster,
                secrets.token_bytes(ID_KEY_BYTES),
            )
        except asyncpg.UniqueViolationError as exc:
            field = "province_code" if "province_code" in (exc.constraint_name or "") else "slug"
            raise TenantExists(field, province_code if field == "province_code" else slug) from exc
        assert row is not None
        return _tenant(row)

    async def activate(self, tenant_id: UUID) -> Tenant:
        row = await self._pool.fetchrow(
            f"UPDATE {PLATFORM_SCHEMA}.tenants SET status = 'active' WHERE id = $1"
            f" RETURNING {_COLUMNS}",
            tenant_id,
        )
        assert row is not None
        return _tenant(row)

    async def forget(self, tenant_id: UUID) -> None:
        """Drop a reservation whose provisioning failed."""
        await self._pool.execute(
            f"DELETE FROM {PLATFORM_SCHEMA}.tenants WHERE id = $1 AND status = 'provisioning'",
            tenant_id,
        )

    async def record_schema_version(self, tenant_id: UUID, version: int) -> None:
        await self._pool.execute(
            f"UPDATE {PLATFORM_SCHEMA}.tenants SET schema_version = $2 WHERE id = $1",
            tenant_id,
            version,
        )

    async def behind(self, version: int) -> list[str]:
        """Active tenants whose schema is not at ``version``."""
        rows = await self._pool.fetch(
            f"SELECT slug FROM {PLATFORM_SCHEMA}.tenants WHERE status = 'active'"
            " AND schema_version IS DISTINCT FROM $1 ORDER BY slug",
            version,
        )
        return [r["slug"] for r in rows]

    async def get(self, slug: str) -> Tenant | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM {PLATFORM_SCHEMA}.tenants WHERE slug = $1",
            slug,
        )
        return None if row is None else _tenant(row)

    async def all(self, status: str | None = None) -> list[Tenant]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM {PLATFORM_SCHEMA}.tenants"
            " WHERE $1::text IS NULL OR status = $1 ORDER BY created_at, slug",
            status,
        )
        return [_tenant(r) for r in rows]
