"""Reads of a tenant's ``public_events`` after a sequence (dòng sự kiện: the pull feed).

Gap-free by construction (see :mod:`kh_saas.projections.public`): rows appear in sequence
order, batch after committed batch, so "after *n*, in order" never skips one. Events are
served as PostgreSQL renders them, as UTF-8 bytes (``convert_to(event::text, 'UTF8')``),
never decoded into Python text and encoded again (that doubled the feed's cost): the feed's
cost is the database's read.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

import asyncpg

from kh_saas.integrators import PUBLIC_EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident

MAX_LIMIT = 1000
#: The event as UTF-8 bytes (``bytea``: asyncpg hands them over undecoded).
EVENT = "convert_to(event::text, 'UTF8')"


class FeedRow(NamedTuple):
    sequence: int
    type: str
    event: bytes  # the CloudEvent as UTF-8 JSON


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
        f"SELECT sequence, type, {EVENT} FROM {table_of(schema)}"
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
    """One page of the feed; ``types`` filters (None: all).

    One statement, so one snapshot for the rows and the head (``next_after`` never passes a
    row the page did not consider) and one round trip. The head comes as a last row with no
    type. With a filter, each type is read in order from its own index and the few rows
    merged (an ``= ANY`` filter would sort every row of common types)."""
    table = table_of(schema)
    if types:
        page = (
            "SELECT e.sequence, e.type, convert_to(e.event::text, 'UTF8')"
            f" FROM unnest($3::text[]) AS w(type)"
            f" CROSS JOIN LATERAL (SELECT sequence, type, event FROM {table} p"
            f"   WHERE p.type = w.type AND p.sequence > $1 ORDER BY p.sequence LIMIT $2) e"
            f" ORDER BY e.sequence LIMIT $2"
        )
        args: tuple[object, ...] = (after, limit, sorted(types))
    else:
        page = (
            f"SELECT sequence, type, {EVENT} FROM {table}"
            " WHERE sequence > $1 ORDER BY sequence LIMIT $2"
        )
        args = (after, limit)
    records = await conn.fetch(
        f"({page}) UNION ALL SELECT max(sequence), NULL, NULL FROM {table}", *args
    )
    rows = [FeedRow(r[0], r[1], r[2]) for r in records if r[1] is not None]
    top = next((r[0] for r in records if r[1] is None), None)
    if len(rows) == limit:
        return FeedPage(rows, rows[-1].sequence)
    return FeedPage(rows, max(after, int(top or 0), rows[-1].sequence if rows else 0))
