"""Each province's transparency log grows with its event store: signed checkpoints over
every event in notification order, incremental tiles, holes in notification ids, two
processes, sealed and rotatable keys, and an event table that refuses changes."""

from __future__ import annotations

import os
import random
import stat

import asyncpg
import httpx
import pytest

from kh_saas.service import Service
from kh_saas.settings import Settings
from kh_saas.transparency.merkle import (
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from kh_saas.transparency.sealing import SECRET_FILE, Sealer, SealError
from kh_saas.transparency.store import LogStore, prove
from tests.conftest import make_tenant
from tests.province import open_province
from tests.transparency_helpers import (
    burn_ids,
    events_of,
    leaves_of,
    log_vkeys,
    recomputed_root,
    tenant_of,
    verified_checkpoint,
    wait_for_log,
)


async def test_a_new_province_gets_a_signed_checkpoint_of_its_whole_log(
    client: httpx.AsyncClient, service: Service, database_url: str
) -> None:
    await make_tenant(client, "quang-tri", "44")
    tenant = await tenant_of(service, "quang-tri")
    stored = await wait_for_log(service, tenant)
    checkpoint = verified_checkpoint(stored.note, await log_vkeys(service, tenant))
    conn = await asyncpg.connect(database_url)
    try:
        events = await events_of(conn, tenant.schema_name)
    finally:
        await conn.close()
    assert checkpoint.origin == "kh-saas.local/v1/t/quang-tri/audit"
    assert checkpoint.size == len(events) == stored.size
    assert checkpoint.root == recomputed_root(events, len(events))


async def test_the_log_grows_incrementally_across_holes_and_stays_consistent(
    client: httpx.AsyncClient, service: Service, database_url: str
) -> None:
    qt = await open_province(client)
    tenant = await tenant_of(service, qt.slug)
    first = await wait_for_log(service, tenant)
    pool = service.clusters[tenant.cluster].read
    store = LogStore(tenant.schema_name)
    tiles_before = {
        (r["level"], r["idx"]): bytes(r["hashes"])
        for r in await pool.fetch(f"SELECT * FROM {store.q}.log_tiles")
    }
    for round_ in range(4):
        await qt.households(150, prefix=f"R{round_}")
        await burn_ids(database_url, tenant.schema_name, round_ + 1)
    last = await wait_for_log(service, tenant)

    conn = await asyncpg.connect(database_url)
    try:
        events = await events_of(conn, tenant.schema_name)
    finally:
        await conn.close()
    positions = [e[0] for e in events]
    assert positions[-1] > len(positions), "the test needs holes in the notification ids"
    checkpoint = verified_checkpoint(last.note, await log_vkeys(service, tenant))
    assert checkpoint.size == len(events)
    assert checkpoint.root == recomputed_root(events, len(events))

    # Full tiles of the first checkpoint were kept, byte for byte: the tree grew, no rebuild.
    tiles_after = {
        (r["level"], r["idx"]): bytes(r["hashes"])
        for r in await pool.fetch(f"SELECT * FROM {store.q}.log_tiles")
    }
    for key, tile in tiles_before.items():
        assert tiles_after[key].startswith(tile)

    # Leaf index = number of events before it; holes are not in the log.
    indices = [await store.leaf_index(pool, p) for p in positions]
    assert indices == list(range(len(positions)))
    holes = sorted(set(range(1, positions[-1])) - set(positions))
    assert [await store.leaf_index(pool, h) for h in holes[:20]] == [None] * min(20, len(holes))
    assert await store.count_before(pool, positions[-1] + 1000) == len(positions)

    proof = await prove(pool, store, lambda n: consistency_proof(first.size, last.size, n))
    verify_consistency(first.size, last.size, proof, first.root, last.root)
    leaves = leaves_of(events)
    for index in random.Random(1).sample(range(len(events)), 25):
        path = await prove(pool, store, lambda n, i=index: inclusion_proof(i, last.size, n))
        verify_inclusion(index, last.size, leaves[index], path, last.root)
    entries = await store.entries(pool, 0, len(events))
    assert len(entries) == len(events) and entries[5].startswith(b"kh-saas/event/v1\n")


async def test_two_processes_grow_one_log_without_conflict(
    client: httpx.AsyncClient, service: Service, settings: Settings, database_url: str
) -> None:
    qt = await open_province(client)
    second = Service(settings)
    await second.start()
    try:
        for round_ in range(3):
            await qt.households(200, prefix=f"P{round_}")
        tenant = await tenant_of(service, qt.slug)
        last = await wait_for_log(service, tenant)
        await wait_for_log(second, tenant, size=last.size)
    finally:
        await second.stop()
    conn = await asyncpg.connect(database_url)
    try:
        events = await events_of(conn, tenant.schema_name)
        state = await conn.fetchrow(f'SELECT * FROM "{tenant.schema_name}".log_state')
    finally:
        await conn.close()
    assert state["size"] == len(events) and state["last_position"] == events[-1][0]
    assert last.root == recomputed_root(events, last.size)


async def test_the_event_table_refuses_update_delete_and_truncate(
    client: httpx.AsyncClient, database_url: str
) -> None:
    await make_tenant(client, "hue", "46")
    conn = await asyncpg.connect(database_url)  # a superuser, as in production a DBA
    try:
        table = "t_hue.khuyenhoc_events"
        for sql in [
            f"UPDATE {table} SET topic = 'x' WHERE notification_id = 1",
            f"DELETE FROM {table} WHERE notification_id = 1",
            f"TRUNCATE {table}",
        ]:
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await conn.execute(sql)
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") > 0
    finally:
        await conn.close()


async def test_signing_keys_are_sealed_and_rotation_keeps_old_keys_listed(
    client: httpx.AsyncClient, service: Service, settings: Settings, database_url: str
) -> None:
    qt = await open_province(client)
    tenant = await tenant_of(service, qt.slug)
    first = await wait_for_log(service, tenant)
    secret_file = settings.data_dir.resolve() / SECRET_FILE
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    pool = service.clusters[tenant.cluster].read
    row = await pool.fetchrow(f'SELECT * FROM "{tenant.schema_name}".log_keys')
    signer = await service.transparency.keys.active(pool, tenant.schema_name)
    assert signer is not None and signer.seed not in bytes(row["sealed_private_key"])
    with pytest.raises(SealError):
        Sealer(b"another secret of 32 characters.").open(
            bytes(row["sealed_private_key"]), f"kh-saas log key {tenant.schema_name} "
            f"{row['key_id']:08x}",
        )  # fmt: skip

    old_keys = await log_vkeys(service, tenant)
    async with pool.acquire() as conn, conn.transaction():
        await service.transparency.keys.rotate(conn, tenant.schema_name, first_origin(first.note))
    await qt.households(10, prefix="ROT")
    after = await wait_for_log(service, tenant)
    keys = await service.transparency.keys.public(pool, tenant.schema_name)
    assert len(keys) == 2 and keys[0].retired_at is not None and keys[1].retired_at is None
    assert keys[0].verifier == old_keys[0]
    verified_checkpoint(first.note, [keys[0].verifier])
    verified_checkpoint(after.note, [keys[1].verifier])
    with pytest.raises(ValueError, match="no signature from a known key"):
        verified_checkpoint(after.note, [keys[0].verifier])


def first_origin(note: str) -> str:
    return note.split("\n", 1)[0]


async def test_with_kh_secret_key_no_secret_file_is_written(
    database_url: str, tmp_path: object
) -> None:
    from pathlib import Path  # noqa: PLC0415

    data = Path(str(tmp_path)) / "data"
    settings = Settings(database_url=database_url, data_dir=data, secret_key="s" * 32)
    service = Service(settings)
    await service.start()
    try:
        await service.create_tenant(slug="hue", name="Huế", province_code="46", actor="test")
        tenant = await tenant_of(service, "hue")
        stored = await wait_for_log(service, tenant)
        verified_checkpoint(stored.note, await log_vkeys(service, tenant))
    finally:
        await service.stop()
    assert not (data / SECRET_FILE).exists()
