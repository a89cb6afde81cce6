"""What the transparency-log tests share: recomputing a log from the events table by the
definition, waiting for checkpoints, reading the log's tables."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import asyncpg

from kh_saas.service import Service
from kh_saas.tenants.catalog import Tenant
from kh_saas.transparency.checkpoint import Checkpoint, parse_checkpoint
from kh_saas.transparency.leaf import leaf_entry
from kh_saas.transparency.merkle import leaf_hash, root_of
from kh_saas.transparency.notes import VerifierKey, parse_note, verify_note
from kh_saas.transparency.store import LogStore, StoredCheckpoint


async def events_of(conn: asyncpg.Connection, schema: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT notification_id, originator_id, originator_version, topic, state"
        f' FROM "{schema}".khuyenhoc_events ORDER BY notification_id'
    )
    return rows


def leaves_of(events: list[Any]) -> list[bytes]:
    return [leaf_hash(leaf_entry(e[0], e[1], e[2], e[3], e[4])) for e in events]


async def tenant_of(service: Service, slug: str) -> Tenant:
    tenant = await service.catalog.get(slug)
    assert tenant is not None
    return tenant


async def wait_for_log(
    service: Service, tenant: Tenant, *, size: int | None = None, timeout: float = 60
) -> StoredCheckpoint:
    """The checkpoint once the log covers every event (or ``size`` leaves)."""
    pool = service.clusters[tenant.cluster].read
    store = LogStore(tenant.schema_name)
    events = f'"{tenant.schema_name}".khuyenhoc_events'
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        want = size if size is not None else await pool.fetchval(f"SELECT count(*) FROM {events}")
        latest = await store.checkpoint(pool)
        if latest is not None and latest.size >= want:
            return latest
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no checkpoint of size {want} (latest: {latest})")
        await asyncio.sleep(0.05)


async def log_vkeys(service: Service, tenant: Tenant) -> list[VerifierKey]:
    pool = service.clusters[tenant.cluster].read
    return [k.verifier for k in await service.transparency.keys.public(pool, tenant.schema_name)]


def verified_checkpoint(note: str, keys: list[VerifierKey]) -> Checkpoint:
    parsed = parse_note(note)
    verify_note(parsed, keys)
    return parse_checkpoint(parsed.text)


def recomputed_root(events: list[Any], size: int) -> bytes:
    return root_of(leaves_of(events)[:size])


async def burn_ids(database_url: str, schema: str, n: int) -> None:
    """A failed save burns notification ids: insert events and roll back."""
    conn = await asyncpg.connect(database_url)
    try:
        tx = conn.transaction()
        await tx.start()
        await conn.executemany(
            f'INSERT INTO "{schema}".khuyenhoc_events'
            " (originator_id, originator_version, topic, state) VALUES ($1, 1, 'x:Y', '{}')",
            [(uuid4(),) for _ in range(n)],
        )
        await tx.rollback()
    finally:
        await conn.close()
