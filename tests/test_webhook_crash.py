"""SIGKILL the webhook dispatcher (a ``kh-saas worker``) in the middle of a delivery: after a
new worker starts, every event arrives, in order; the one in flight arrives again with the
same ``webhook-id`` (at least once), nothing is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.server_process import ServerProcess
from tests.webhook_receiver import Received, Receiver, Reply, verify

pytestmark = pytest.mark.e2e
ADMIN = "kh_crash-admin-key-0123456789abcdef"
KILL_AT = 60
EVENTS = 300


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kh_saas", "worker"], env=env, stdout=out, stderr=out
        )


def firsts(received: list[Received]) -> list[int]:
    seen: set[str] = set()
    order = []
    for r in received:
        if r.headers["webhook-id"] not in seen:
            seen.add(r.headers["webhook-id"])
            order.append(r.event["sequence"])
    return order


async def test_dispatcher_killed_mid_delivery_loses_nothing(
    database_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KH_")}
    env.update(
        KH_DATABASE_URL=database_url,
        KH_ADMIN_KEY=ADMIN,
        KH_WORKERS="external",  # only the workers dispatch
        KH_LOG_LEVEL="warning",
        KH_DATA_DIR=str(tmp_path / "worker-data"),
        KH_SECRET_KEY="a shared secret key of the deployment, 32+ bytes",
        KH_WEBHOOKS_ALLOW_PRIVATE="1",
        KH_WEBHOOK_RETRY_SCHEDULE="100ms,200ms,400ms,800ms,1s,1s,1s,1s,1s,1s",
    )
    receiver = Receiver()

    def answer(got: Received) -> Reply:
        # Hold the KILL_AT-th request open: the worker dies waiting for its answer.
        return 200, {}, (5.0 if len(receiver.received) == KILL_AT - 1 else 0.0)

    receiver.answer = answer
    await receiver.start()
    server = ServerProcess(tmp_path / "data", env)
    await asyncio.to_thread(server.start)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=120
        ) as http:
            r = await http.post(
                "/v1/tenants",
                json={"slug": "quang-tri", "name": "Quảng Trị", "province_code": "44"},
            )
            assert r.status_code == 201, r.text
            keys = {}
            for role in ("officer", "signer", "integrator"):
                made = await http.post(
                    "/v1/tenants/quang-tri/api-keys", json={"name": role, "role": role}
                )
                keys[role] = {"Authorization": f"Bearer {made.json()['secret']}"}
            made = await http.post(
                "/v1/t/quang-tri/webhooks", json={"url": receiver.url}, headers=keys["integrator"]
            )
            assert made.status_code == 201, made.text
            hook = made.json()
            first = start_worker(env, tmp_path / "worker-a.log")
            workers.append(first)
            items = [
                {"kind": "household", "name": f"Hộ {i}", "commune_code": "19483", "ref": f"K{i}"}
                for i in range(EVENTS - 1)
            ]
            r = await http.post(
                "/v1/t/quang-tri/subjects/bulk", json={"items": items}, headers=keys["officer"]
            )
            assert r.status_code == 201, r.text
            decision = {
                "number": "201/QĐ-UBND",
                "signed_on": "2025-01-15",
                "issuer": {
                    "office": "commune_chairman",
                    "name": "UBND xã Gio Linh",
                    "unit_code": "19483",
                },
                "signer": {"name": "Nguyễn Văn Bình", "position": "Chủ tịch"},
                "title": "learning_household",
                "tier": "commune",
                "year": 2024,
                "recipients": [{"subject_id": i} for i in r.json()["ids"]],
            }
            r = await http.post("/v1/t/quang-tri/decisions", json=decision, headers=keys["signer"])
            assert r.status_code == 201, r.text

            await receiver.wait_for(lambda got: len(got) >= KILL_AT, 90)
            first.send_signal(signal.SIGKILL)  # its request is still waiting for an answer
            first.wait(30)
            in_flight = receiver.received[KILL_AT - 1].headers["webhook-id"]
            second = start_worker(env, tmp_path / "worker-b.log")
            workers.append(second)
            await receiver.wait_for(lambda got: len(firsts(got)) >= EVENTS, 120)

        conn = await asyncpg.connect(database_url)
        try:
            want = [
                r["sequence"]
                for r in await conn.fetch(
                    "SELECT sequence FROM t_quang_tri.public_events WHERE sequence > $1"
                    " ORDER BY sequence",
                    hook["cursor"],
                )
            ]
        finally:
            await conn.close()
        assert len(want) == EVENTS
        assert firsts(receiver.received) == want
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert ids.count(in_flight) == 2  # sent again by the new worker, same webhook-id
        assert all(verify(hook["secret"], r.headers, r.body) for r in receiver.received)
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(30)
        await asyncio.to_thread(server.stop)
        await receiver.stop()
