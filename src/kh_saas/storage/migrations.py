"""Versioned schema migrations, safe to run twice and from two processes at once.

Each schema keeps its own ``schema_migrations`` table. A transaction-scoped advisory lock
per schema serialises concurrent runners; the second one finds the work done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Migration:
    """One step; ``sql`` may use ``{schema}`` for the quoted schema name."""

    version: int
    name: str
    sql: str


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def migrate(
    conn: asyncpg.Connection, schema: str, migrations: Sequence[Migration]
) -> list[int]:
    """Bring ``schema`` up to the last migration; return the versions applied now."""
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)):
        raise ValueError("migration versions must be unique and ascending")
    q = quote_ident(schema)
    applied_now: list[int] = []
    async with conn.transaction():
        # Server-wide timeouts (deploy/postgres) must not fail a migration half-way through
        # or while it waits for another process's run of it.
        await conn.execute("SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = 0")
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"kh-migrate:{schema}")
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {q}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {q}.schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {
            r["version"] for r in await conn.fetch(f"SELECT version FROM {q}.schema_migrations")
        }
        for m in migrations:
            if m.version in done:
                continue
            await conn.execute(m.sql.format(schema=q))
            await conn.execute(
                f"INSERT INTO {q}.schema_migrations (version, name) VALUES ($1, $2)",
                m.version,
                m.name,
            )
            applied_now.append(m.version)
    return applied_now


async def current_version(conn: asyncpg.Connection, schema: str) -> int | None:
    """The schema's newest applied migration, or ``None`` when it has none."""
    exists = await conn.fetchval(
        "SELECT to_regclass($1)", f"{quote_ident(schema)}.schema_migrations"
    )
    if exists is None:
        return None
    version: int | None = await conn.fetchval(
        f"SELECT max(version) FROM {quote_ident(schema)}.schema_migrations"
    )
    return version
