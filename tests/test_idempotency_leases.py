"""An Idempotency-Key claim is a lease: a retry while it is live gets 409 with ``Retry-After``;
once it lapses (its request stalled or died) a retry takes it over, and the stalled attempt can
no longer commit: exactly one write happens, and the key answers with it.

Stalling is real, not mocked: the test holds a lock on the tenant's event table, so both
attempts wait at the recorder's table lock with their events not yet written.
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from tests.province import COMMUNE, open_province

EVENTS = "t_quang_tri.khuyenhoc_events"
KEYS = "t_quang_tri.idempotency_keys"


async def waiting_at_the_lock(conn: asyncpg.Connection, n: int) -> None:
    for _ in range(3000):
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query ILIKE 'LOCK TABLE%khuyenhoc_events%'"
        )
        if waiting == n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"expected {n} writes waiting at the event table")


async def test_a_lapsed_claim_is_taken_over_and_the_stalled_attempt_cannot_commit(
    client: httpx.AsyncClient, database_url: str
) -> None:
    qt = await open_province(client)
    # No ref: the subject's id is random, so two runs would make two subjects.
    body = {"kind": "household", "name": "Hộ Lê Văn Hùng", "commune_code": COMMUNE}
    key = {"Idempotency-Key": "hh-lease"}
    watcher = await asyncpg.connect(database_url)
    blocker = await asyncpg.connect(database_url)
    try:
        before = await watcher.fetchval(f"SELECT max(notification_id) FROM {EVENTS}")
        hold = blocker.transaction()
        await hold.start()
        await blocker.execute(f"LOCK TABLE {EVENTS} IN SHARE MODE")
        stalled = asyncio.create_task(qt.post("/subjects", body, headers=key))
        await waiting_at_the_lock(watcher, 1)

        busy = await qt.post("/subjects", body, headers=key)
        assert busy.status_code == 409
        assert busy.json()["code"] == "idempotency_in_progress"
        assert 1 <= int(busy.headers["Retry-After"]) <= 10  # the lease left

        # The stalled attempt's lease lapses (as when its server died).
        await watcher.execute(f"UPDATE {KEYS} SET lease_until = now() - interval '1 s'")
        retry = asyncio.create_task(qt.post("/subjects", body, headers=key))
        await waiting_at_the_lock(watcher, 2)
        await hold.rollback()  # both go on: the stalled one first (it queued first)

        first, second = await stalled, await retry
    finally:
        await blocker.close()
    try:
        assert first.status_code == 409, first.text  # fenced out: it rolled back
        assert first.json()["code"] == "idempotency_in_progress"
        assert "Retry-After" in first.headers
        assert second.status_code == 201, second.text
        assert "Idempotent-Replayed" not in second.headers
        new = await watcher.fetch(
            f"SELECT originator_id FROM {EVENTS} WHERE notification_id > $1", before
        )
        assert [str(r["originator_id"]) for r in new] == [second.json()["id"]]  # one write
        replay = await qt.post("/subjects", body, headers=key)
        assert replay.status_code == 201
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == second.json()
    finally:
        await watcher.close()


async def test_a_failed_request_releases_its_key(client: httpx.AsyncClient) -> None:
    qt = await open_province(client)
    bad = {"kind": "household", "name": "Hộ X", "commune_code": "00000"}
    key = {"Idempotency-Key": "hh-bad"}
    assert (await qt.post("/subjects", bad, headers=key)).status_code == 422
    again = await qt.post("/subjects", bad, headers=key)
    assert again.status_code == 422  # ran again and met the same rule, no 409
