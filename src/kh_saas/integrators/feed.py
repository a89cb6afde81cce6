"""Reads of a tenant's ``public_events`` after a sequence (dòng sự kiện: the pull feed).

Gap-free by construction (see :mod:`kh_saas.projections.public`): rows appear in sequence
order, batch after committed batch, so "after *n*, in order" never skips one. Events are
served as PostgreSQL renders them (``event::text``), never decoded and re-encoded: the
feed's cost is the database's read.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

import asyncpg

from kh_saas.integrators import PUBLIC_EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident

MAX_LIMIT = 1000


class FeedRow(NamedTuple):
    sequence: int
    type: str
    event: str  # the CloudEvent as JSON text


class FeedPage(NamedTuple):
    rows: list[FeedRow]
    #: Where the next read starts: the last row's sequence, or, when the page is not full,
    #: the highest sequence considered (so a filtered reader moves on past other types).
    next_after: int


def table_of(schema: str) -> str:
    return f"{quote_ident(schema)}.{PUBLIC_EVENTS_TABLE}"


async def read_after(
    conn: asyncpg.Connection, schema: str, after: int, limit: int
) -> list[FeedRow]:
    """Every type, in order: what the stream's hub fans out."""
    rows = await conn.fetch(
        f"SELECT sequence, type, event::text FROM {table_of(schema)}"
        " WHERE sequence > $1 ORDER BY sequence LIMIT $2",
        after,
        limit,
    )
    return [FeedRow(r[0], r[1], r[2]) for r in rows]


async def head(conn: asyncpg.Connection, schema: str) -> int:
    value = await conn.fetchval(f"SELECT max(sequence) FROM {table_of(schema)}")
    return int(value or 0)


async def read_page(
    conn: asyncpg.Connection,
    schema: str,
    after: int,
    limit: int,
    types: Collection[str] | None = None,
) -> FeedPage:
    """One page of the feed; ``types`` filters (None: all). One snapshot for the rows and
    the head, so ``next_after`` never passes a row the page did not consider."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        if types:
            records = await conn.fetch(
                f"SELECT sequence, type, event::text FROM {table_of(schema)}"
                " WHERE sequence > $1 AND type = ANY($3::text[]) ORDER BY sequence LIMIT $2",
                after,
                limit,
                list(types),
            )
            rows = [FeedRow(r[0], r[1], r[2]) for r in records]
        else:
            rows = await read_after(conn, schema, after, limit)
        if len(rows) == limit:
            return FeedPage(rows, rows[-1].sequence)
        return FeedPage(rows, max(after, await head(conn, schema)))
