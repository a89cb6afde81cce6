"""The SQL of one tenant's log tables (see ``migrations``), on an asyncpg connection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias, TypeVar

import asyncpg

from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident
from kh_saas.transparency.batch import Bundle, Growth, Run
from kh_saas.transparency.leaf import unpack_bundle
from kh_saas.transparency.merkle import NodeSource, inclusion_proof
from kh_saas.transparency.tiles import TILE_HEIGHT, TileKey, TileNodes, partial_tile_keys, tiles_for

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool
T = TypeVar("T")


@dataclass(frozen=True)
class LogState:
    origin: str
    size: int
    last_position: int


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str  # the checkpoint with the log's signature(s)
    created_at: datetime


class LogStore:
    def __init__(self, schema: str) -> None:
        self.schema = schema
        q = quote_ident(schema)
        self.q = q
        self.events = f"{q}.{EVENTS_TABLE}"

    async def state(self, conn: Conn) -> LogState | None:
        row = await conn.fetchrow(f"SELECT origin, size, last_position FROM {self.q}.log_state")
        return None if row is None else LogState(row["origin"], row["size"], row["last_position"])

    async def init(self, conn: Conn, origin: str) -> LogState:
        await conn.execute(
            f"INSERT INTO {self.q}.log_state (origin) VALUES ($1) ON CONFLICT DO NOTHING", origin
        )
        state = await self.state(conn)
        assert state is not None
        return state

    async def events_after(self, conn: Conn, position: int, limit: int) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await conn.fetch(
            f"SELECT notification_id, originator_id, originator_version, topic, state"
            f" FROM {self.events} WHERE notification_id > $1 ORDER BY notification_id LIMIT $2",
            position,
            limit,
        )
        return rows

    async def tiles(self, conn: Conn, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        rows = await conn.fetch(
            f"SELECT level, idx, hashes FROM {self.q}.log_tiles"
            " WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))",
            [k[0] for k in wanted],
            [k[1] for k in wanted],
        )
        return {(r["level"], r["idx"]): bytes(r["hashes"]) for r in rows}

    async def edge(self, conn: Conn, size: int) -> dict[TileKey, bytes]:
        return await self.tiles(conn, partial_tile_keys(size))

    async def partial_bundle(self, conn: Conn, size: int) -> Bundle | None:
        if size % 256 == 0:
            return None
        row = await conn.fetchrow(
            f"SELECT first_position, last_position, entries FROM {self.q}.log_entries"
            " WHERE bundle = $1",
            size >> TILE_HEIGHT,
        )
        if row is None:
            raise LookupError(f"entry bundle {size >> TILE_HEIGHT} of {self.schema} is missing")
        return Bundle(
            size >> TILE_HEIGHT,
            row["first_position"],
            row["last_position"],
            unpack_bundle(bytes(row["entries"])),
        )

    async def last_run(self, conn: Conn) -> Run | None:
        row = await conn.fetchrow(
            f"SELECT first_position, first_index, count FROM {self.q}.log_runs"
            " ORDER BY first_position DESC LIMIT 1"
        )
        return None if row is None else Run(row[0], row[1], row[2])

    async def store(self, conn: asyncpg.Connection, growth: Growth) -> None:
        """Write a batch's rows (inside the caller's transaction)."""
        q = self.q
        tiles = sorted(growth.tiles.items())
        await conn.execute(
            f"INSERT INTO {q}.log_tiles (level, idx, hashes)"
            " SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])"
            " ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes",
            [k[0] for k, _ in tiles],
            [k[1] for k, _ in tiles],
            [t for _, t in tiles],
        )
        b = growth.bundles
        await conn.execute(
            f"INSERT INTO {q}.log_entries (bundle, first_position, last_position, count, entries)"
            " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::smallint[],"
            " $5::bytea[]) ON CONFLICT (bundle) DO UPDATE SET last_position ="
            " EXCLUDED.last_position, count = EXCLUDED.count, entries = EXCLUDED.entries",
            [x.index for x in b],
            [x.first_position for x in b],
            [x.last_position for x in b],
            [len(x.entries) for x in b],
            [x.packed for x in b],
        )
        r = growth.runs
        await conn.execute(
            f"INSERT INTO {q}.log_runs (first_position, first_index, count)"
            " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])"
            " ON CONFLICT (first_position) DO UPDATE SET count = EXCLUDED.count",
            [x.first_position for x in r],
            [x.first_index for x in r],
            [x.count for x in r],
        )
        await conn.execute(
            f"UPDATE {q}.log_state SET size = $1, last_position = $2, updated_at = now()",
            growth.size,
            growth.last_position,
        )

    async def add_checkpoint(
        self, conn: asyncpg.Connection, size: int, root: bytes, note: str
    ) -> None:
        """Record a signed checkpoint; one of a size already signed gains the signatures."""
        await conn.execute(
            f"INSERT INTO {self.q}.log_checkpoints (size, root, note) VALUES ($1, $2, $3)"
            " ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note"
            f" WHERE {self.q}.log_checkpoints.root = EXCLUDED.root",
            size,
            root,
            note,
        )

    async def checkpoint(self, conn: Conn, size: int | None = None) -> StoredCheckpoint | None:
        """The latest checkpoint, or the one of ``size``."""
        row = await conn.fetchrow(
            f"SELECT size, root, note, created_at FROM {self.q}.log_checkpoints"
            " WHERE $1::bigint IS NULL OR size = $1 ORDER BY size DESC LIMIT 1",
            size,
        )
        if row is None:
            return None
        return StoredCheckpoint(row["size"], bytes(row["root"]), row["note"], row["created_at"])

    async def leaf_index(self, conn: Conn, position: int) -> int | None:
        index: int | None = await conn.fetchval(f"SELECT {self.q}.log_index($1)", position)
        return index

    async def head(self, conn: Conn, position: int) -> tuple[int, str, int | None] | None:
        """The latest checkpoint (size, note) and a position's leaf index, in one query."""
        row = await conn.fetchrow(
            f"SELECT c.size, c.note, {self.q}.log_index($1) AS idx FROM"
            f" (SELECT size, note FROM {self.q}.log_checkpoints ORDER BY size DESC LIMIT 1) c",
            position,
        )
        return None if row is None else (row["size"], row["note"], row["idx"])

    async def prove_leaf(
        self, conn: Conn, index: int, size: int
    ) -> tuple[list[bytes], bytes, bytes]:
        """Inclusion path, leaf hash (as the tree holds it) and entry of leaf ``index`` in
        the tree of ``size``: tiles and entry bundle in one query."""

        def build(n: NodeSource) -> tuple[list[bytes], bytes]:
            return inclusion_proof(index, size, n), n(0, index)

        keys = sorted(tiles_for(build))
        bundle = index >> TILE_HEIGHT
        rows = await conn.fetch(
            f"SELECT level, idx, hashes FROM {self.q}.log_tiles"
            " WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))"
            f" UNION ALL SELECT -1, bundle, entries FROM {self.q}.log_entries WHERE bundle = $3",
            [k[0] for k in keys],
            [k[1] for k in keys],
            bundle,
        )
        tiles = {(r[0], r[1]): bytes(r[2]) for r in rows if r[0] >= 0}
        entries = [unpack_bundle(bytes(r[2])) for r in rows if r[0] < 0]
        if not entries or len(entries[0]) <= index - (bundle << TILE_HEIGHT):
            raise LookupError(f"the entry of leaf {index} of {self.schema} is missing")
        path, leaf = build(TileNodes(tiles))
        return path, leaf, entries[0][index - (bundle << TILE_HEIGHT)]

    async def count_before(self, conn: Conn, position: int) -> int:
        """How many leaves have a position below ``position``."""
        n: int | None = await conn.fetchval(
            f"SELECT first_index + least(count, $1 - first_position) FROM {self.q}.log_runs"
            " WHERE first_position < $1 ORDER BY first_position DESC LIMIT 1",
            position,
        )
        return n or 0

    async def entries(self, conn: Conn, begin: int, end: int) -> list[bytes]:
        """Leaf entries of indices [begin, end)."""
        if end <= begin:
            return []
        rows = await conn.fetch(
            f"SELECT bundle, entries FROM {self.q}.log_entries"
            " WHERE bundle BETWEEN $1 AND $2 ORDER BY bundle",
            begin >> TILE_HEIGHT,
            (end - 1) >> TILE_HEIGHT,
        )
        out: list[bytes] = []
        for row in rows:
            base = row["bundle"] << TILE_HEIGHT
            items = unpack_bundle(bytes(row["entries"]))
            out.extend(items[max(0, begin - base) : end - base])
        return out


async def prove(conn: Conn, store: LogStore, build: Callable[[NodeSource], T]) -> T:
    """Run a proof builder over the stored tiles it needs (fetched in one query)."""
    tiles = await store.tiles(conn, tiles_for(build))
    return build(TileNodes(tiles))
