"""API keys (khóa API): generated once, stored only as an HMAC, revocable at once.

Keys are 256-bit random tokens, so a keyed SHA-256 (HMAC with a server-side pepper) is the
right hash: a slow password hash (argon2) would cost every request tens of milliseconds and
add nothing against guessing a 256-bit secret. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg

from kh_saas.tenants.catalog import PLATFORM_SCHEMA
from kh_saas.tenants.roles import Role

KEY_PREFIX = "kh_"


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def load_pepper(conn: asyncpg.Connection, configured: str | None) -> bytes:
    """The HMAC pepper: ``KH_KEY_PEPPER``, else one generated once and kept in the catalog.

    Kept in the catalog (not a local file) so every process on the database agrees on it;
    the keys it protects are 256-bit random, so a pepper readable with the hashes costs
    nothing. Changing it later invalidates every issued key.
    """
    if configured:
        return configured.encode()
    await conn.execute(
        f"INSERT INTO {PLATFORM_SCHEMA}.platform_secrets (name, value) VALUES ('key_pepper', $1)"
        " ON CONFLICT (name) DO NOTHING",
        secrets.token_hex(32),
    )
    value: str = await conn.fetchval(
        f"SELECT value FROM {PLATFORM_SCHEMA}.platform_secrets WHERE name = 'key_pepper'"
    )
    return value.encode()


def write_secret_file(path: Path, content: str) -> None:
    """Write ``content`` readable by the owner only (0600), replacing any older file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as f:
        f.write(content + "\n")
    os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)
    tmp.replace(path)


@dataclass(frozen=True)
class ApiKey:
    """A stored key: who it belongs to and what it may do (never the secret)."""

    id: UUID
    tenant_id: UUID | None
    tenant_slug: str | None
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


_SELECT = f"""
    SELECT k.id, k.tenant_id, t.slug AS tenant_slug, k.name, k.role, k.created_at,
           k.revoked_at, k.key_hash
    FROM {PLATFORM_SCHEMA}.api_keys k LEFT JOIN {PLATFORM_SCHEMA}.tenants t ON t.id = k.tenant_id
"""


def _key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(
        id=row["id"],
        tenant_id=row["tenant_id"],
        tenant_slug=row["tenant_slug"],
        name=row["name"],
        role=Role(row["role"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


class KeyRing:
    """Issues, verifies and revokes keys in the platform catalog."""

    def __init__(self, pool: asyncpg.Pool, pepper: bytes) -> None:
        self._pool = pool
        self._pepper = pepper

    def digest(self, secret: str) -> bytes:
        return hmac.new(self._pepper, secret.encode(), hashlib.sha256).digest()

    async def issue(
        self,
        *,
        name: str,
        role: Role,
        tenant_id: UUID | None,
        secret: str | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> IssuedKey:
        secret = secret or new_secret()
        key_id = uuid4()
        sql = f"""
            INSERT INTO {PLATFORM_SCHEMA}.api_keys (id, tenant_id, name, role, key_hash)
            VALUES ($1, $2, $3, $4, $5)
        """
        args = (key_id, tenant_id, name, role.value, self.digest(secret))
        if conn is None:
            await self._pool.execute(sql, *args)
        else:
            await conn.execute(sql, *args)
        key = await self.get(key_id, conn=conn)
        assert key is not None
        return IssuedKey(key=key, secret=secret)

    async def get(self, key_id: UUID, conn: asyncpg.Connection | None = None) -> ApiKey | None:
        row = await (conn or self._pool).fetchrow(_SELECT + " WHERE k.id = $1", key_id)
        return None if row is None else _key(row)

    async def verify(self, secret: str) -> ApiKey | None:
        """The active key with this secret, or ``None``."""
        digest = self.digest(secret)
        row = await self._pool.fetchrow(
            _SELECT + " WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
            " AND (k.tenant_id IS NULL OR t.status = 'active')",
            digest,
        )
        if row is None or not hmac.compare_digest(bytes(row["key_hash"]), digest):
            return None
        return _key(row)

    async def list_for_tenant(self, tenant_id: UUID) -> list[ApiKey]:
        rows = await self._pool.fetch(
            _SELECT + " WHERE k.tenant_id = $1 ORDER BY k.created_at, k.id", tenant_id
        )
        return [_key(r) for r in rows]

    async def revoke(self, tenant_id: UUID, key_id: UUID) -> ApiKey | None:
        """Revoke a tenant's key (idempotent); ``None`` if the tenant has no such key."""
        await self._pool.execute(
            f"UPDATE {PLATFORM_SCHEMA}.api_keys SET revoked_at = coalesce(revoked_at, now())"
            " WHERE id = $1 AND tenant_id = $2",
            key_id,
            tenant_id,
        )
        key = await self.get(key_id)
        return key if key is not None and key.tenant_id == tenant_id else None

    async def has_platform_admin(self, conn: asyncpg.Connection) -> bool:
        found: bool = await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {PLATFORM_SCHEMA}.api_keys"
            " WHERE role = 'platform_admin' AND revoked_at IS NULL)"
        )
        return found

    async def register_bootstrap_admin(self, secret: str, conn: asyncpg.Connection) -> None:
        """Make ``KH_ADMIN_KEY`` a platform-admin key (no-op when already registered)."""
        await conn.execute(
            f"""INSERT INTO {PLATFORM_SCHEMA}.api_keys (id, tenant_id, name, role, key_hash)
                VALUES ($1, NULL, 'KH_ADMIN_KEY', 'platform_admin', $2)
                ON CONFLICT (key_hash) DO NOTHING""",
            uuid4(),
            self.digest(secret),
        )
