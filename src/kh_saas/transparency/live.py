"""Reading a tenant's log for auditors: the witnessed checkpoint, proofs of one event, and the
export stream (shared by the HTTP API and ``kh-saas audit verify --tenant``)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import msgspec

from kh_saas.transparency.export_format import (
    ExportEvent,
    ExportHeader,
    ExportRecord,
    line,
)
from kh_saas.transparency.merkle import HASH_SIZE, inclusion_proof, range_proof
from kh_saas.transparency.proof_format import TlogProof
from kh_saas.transparency.store import LogStore, StoredCheckpoint, prove
from kh_saas.transparency.tiles import TILE_HEIGHT, TILE_WIDTH

CHUNK = 16 * TILE_WIDTH


class NotInLog(LookupError):
    """The position is not a leaf of the log (a hole, not yet logged, or never written)."""


@dataclass(frozen=True)
class Witnessed:
    checkpoint: StoredCheckpoint
    note: str  # the log's signatures and every active witness's cosignature gathered
    cosigners: list[str]


async def witnessed_checkpoint(conn: asyncpg.Connection, store: LogStore) -> Witnessed | None:
    """The newest checkpoint every active witness cosigned (the newest of all when there are
    no witnesses, or none has cosigned every witness yet), with its cosignatures."""
    q = store.q
    active: int = await conn.fetchval(
        f"SELECT count(*) FROM {q}.log_witnesses WHERE removed_at IS NULL"
    )
    size = None
    if active:
        size = await conn.fetchval(
            f"SELECT c.size FROM {q}.log_cosignatures c JOIN {q}.log_witnesses w"
            " ON w.id = c.witness_id AND w.removed_at IS NULL"
            " GROUP BY c.size HAVING count(*) = $1 ORDER BY c.size DESC LIMIT 1",
            active,
        )
    checkpoint = await store.checkpoint(conn, size)
    if checkpoint is None:
        return None
    rows = await conn.fetch(
        f"SELECT w.name, c.signature FROM {q}.log_cosignatures c JOIN {q}.log_witnesses w"
        " ON w.id = c.witness_id AND w.removed_at IS NULL WHERE c.size = $1 ORDER BY w.name",
        checkpoint.size,
    )
    note = checkpoint.note + "".join(r["signature"] for r in rows)
    return Witnessed(checkpoint, note, [r["name"] for r in rows])


class ProofEvent(msgspec.Struct, kw_only=True):
    """A ``tlog-proof``'s ``extra``: the event as stored now, and its entry as logged."""

    position: int
    originator_id: str | None
    originator_version: int | None
    topic: str | None
    state: str | None  # base64 of the stored bytes
    entry: str  # the leaf entry as logged


async def event_proof(conn: asyncpg.Connection, store: LogStore, position: int) -> str:
    """A self-contained ``tlog-proof`` of one event: the witnessed checkpoint (or the newest,
    if the witnessed one predates the event), the leaf index, its path and the event."""
    index = await store.leaf_index(conn, position)
    if index is None:
        raise NotInLog(position)
    witnessed = await witnessed_checkpoint(conn, store)
    if witnessed is None or witnessed.checkpoint.size <= index:
        latest = await store.checkpoint(conn)
        if latest is None or latest.size <= index:
            raise NotInLog(position)
        note = latest.note
        size = latest.size
    else:
        note, size = witnessed.note, witnessed.checkpoint.size
    path = await prove(conn, store, lambda n: inclusion_proof(index, size, n))
    [entry] = await store.entries(conn, index, index + 1)
    row = await conn.fetchrow(
        f"SELECT originator_id, originator_version, topic, state FROM {store.events}"
        " WHERE notification_id = $1",
        position,
    )
    extra = ProofEvent(
        position=position,
        originator_id=None if row is None else str(row["originator_id"]),
        originator_version=None if row is None else row["originator_version"],
        topic=None if row is None else row["topic"],
        state=None if row is None or row["state"] is None else _b64(row["state"]),
        entry=entry.decode(),
    )
    return TlogProof(index, path, note, msgspec.json.encode(extra)).format()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def last_logged_position(conn: asyncpg.Connection, store: LogStore, size: int) -> int:
    if size == 0:
        return 0
    [entry] = await store.entries(conn, size - 1, size)
    return _position_of(entry)


def _position_of(entry: bytes) -> int:
    start = len(b"kh-saas/event/v1\nposition ")
    return int(entry[start : entry.index(b"\n", start)])


async def export_lines(
    conn: asyncpg.Connection,
    store: LogStore,
    witnessed: Witnessed,
    *,
    first_position: int | None = None,
    last_position: int | None = None,
) -> AsyncIterator[bytes]:
    """The export (``export_format``) of positions [first, last] of the witnessed tree, read
    in one repeatable-read snapshot. Holds ``conn`` until exhausted."""
    size = witnessed.checkpoint.size
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        tree_last = await last_logged_position(conn, store, size)
        lo = 0 if first_position is None else first_position
        hi = tree_last if last_position is None else min(last_position, tree_last)
        begin = min(size, await store.count_before(conn, lo)) if lo else 0
        end = min(size, await store.count_before(conn, hi + 1)) if hi >= lo else begin
        proof = await prove(conn, store, lambda n: range_proof(begin, end, size, n))
        yield line(
            ExportHeader(
                origin=witnessed.checkpoint.note.split("\n", 1)[0],
                checkpoint=witnessed.note,
                tree_size=size,
                first_index=begin,
                end_index=end,
                range_proof=proof,
            )
        )
        events = _events(conn, store, lo, hi)
        pending = await anext(events, None)
        async for index, entry, leaf in _leaves(conn, store, begin, end):
            position = _position_of(entry)
            while pending is not None and pending[0] < position:
                yield line(ExportRecord(position=pending[0], event=_event(pending)))
                pending = await anext(events, None)
            event = None
            if pending is not None and pending[0] == position:
                event = _event(pending)
                pending = await anext(events, None)
            yield line(
                ExportRecord(
                    position=position,
                    index=index,
                    leaf_hash=leaf,
                    entry=entry.decode(),
                    event=event,
                )
            )
        while pending is not None:
            yield line(ExportRecord(position=pending[0], event=_event(pending)))
            pending = await anext(events, None)


def _event(row: asyncpg.Record) -> ExportEvent:
    return ExportEvent(
        originator_id=str(row[1]),
        originator_version=row[2],
        topic=row[3],
        state=None if row[4] is None else bytes(row[4]),
    )


async def _events(
    conn: asyncpg.Connection, store: LogStore, lo: int, hi: int
) -> AsyncIterator[asyncpg.Record]:
    after = lo - 1
    while after < hi:
        rows = await conn.fetch(
            f"SELECT notification_id, originator_id, originator_version, topic, state"
            f" FROM {store.events} WHERE notification_id > $1 AND notification_id <= $2"
            " ORDER BY notification_id LIMIT $3",
            after,
            hi,
            CHUNK,
        )
        for row in rows:
            yield row
        if len(rows) < CHUNK:
            return
        after = rows[-1][0]


async def _leaves(
    conn: asyncpg.Connection, store: LogStore, begin: int, end: int
) -> AsyncIterator[tuple[int, bytes, bytes]]:
    """(index, entry, leaf hash from the level-0 tile) for leaves [begin, end)."""
    for start in range(begin, end, CHUNK):
        stop = min(end, start + CHUNK)
        entries = await store.entries(conn, start, stop)
        tiles = await store.tiles(
            conn, [(0, n) for n in range(start >> TILE_HEIGHT, ((stop - 1) >> TILE_HEIGHT) + 1)]
        )
        if len(entries) != stop - start:
            raise LookupError(f"the log's entries of leaves {start}..{stop - 1} are incomplete")
        for i, entry in enumerate(entries, start):
            tile = tiles.get((0, i >> TILE_HEIGHT), b"")
            offset = (i & (TILE_WIDTH - 1)) * HASH_SIZE
            yield i, entry, tile[offset : offset + HASH_SIZE]
