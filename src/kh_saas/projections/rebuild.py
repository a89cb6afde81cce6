"""Rebuild a projection from zero into fresh tables and swap them in, while reads go on.

The rows are built in ``rm_<table>__next`` from the first event on, in batches, while the
live tables keep serving (and keep being updated by the running projection). Then, in one
transaction holding the projection's advisory lock (so no batch runs meanwhile): the last
events are applied, the tables swap names and the tracking row takes the rebuilt position.
A reader sees the old tables or the new ones, never a half-built one.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from kh_saas.projections.model import Projection
from kh_saas.projections.runner import BATCH, apply_batch
from kh_saas.projections.store import (
    EventLog,
    ReadTables,
    Tracking,
    create_tables,
    physical,
    secondary_indexes,
)
from kh_saas.storage.migrations import quote_ident

NEXT = "__next"


@dataclass(frozen=True)
class Rebuilt:
    position: int
    events: int


async def rebuild(pool: asyncpg.Pool, schema: str, projection: Projection) -> Rebuilt:
    log, tables = EventLog(schema), ReadTables(schema, projection, NEXT)
    position, consumed, recorded_at = 0, 0, None

    async def catch_up(conn: asyncpg.Connection) -> None:
        nonlocal position, consumed, recorded_at
        while True:
            done = await apply_batch(conn, log, tables, position, BATCH)
            if done.consumed == 0:
                return
            position, consumed = done.last, consumed + done.consumed
            recorded_at = done.recorded_at or recorded_at

    async with pool.acquire() as conn:
        await create_tables(conn, schema, projection, NEXT, secondary=False)
        async with conn.transaction():
            await catch_up(conn)  # the bulk, while the live tables serve
        for table in projection.tables:  # indexes once the rows are in
            for statement in secondary_indexes(schema, table, NEXT):
                await conn.execute(statement)
        async with conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
                schema,
                projection.name,
            )
            await catch_up(conn)
            await swap(conn, schema, projection)
            await Tracking(schema, projection).start(
                conn, projection.version, position, recorded_at
            )
        for table in projection.tables:  # statistics for the planner, on the fresh tables
            await conn.execute(f"ANALYZE {quote_ident(schema)}.{physical(table)}")
    return Rebuilt(position, consumed)


async def swap(conn: asyncpg.Connection, schema: str, projection: Projection) -> None:
    s = quote_ident(schema)
    for table in projection.tables:
        live, built, old = physical(table), physical(table, NEXT), physical(table, "__old")
        await conn.execute(f"DROP TABLE IF EXISTS {s}.{old}")
        await conn.execute(f"ALTER TABLE IF EXISTS {s}.{live} RENAME TO {old}")
        await conn.execute(f"ALTER TABLE {s}.{built} RENAME TO {live}")
        await conn.execute(f"DROP TABLE IF EXISTS {s}.{old}")

