"""SIGKILL a projection worker in the middle of a 10,000-event batch (issue 9): after another
worker takes over, every register equals that of a run that never crashed (a rebuild)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from kh_saas.projections.worker import APPLICATION_NAME
from tests.server_process import ServerProcess

pytestmark = pytest.mark.e2e
ADMIN = "kh_crash-admin-key-0123456789abcdef"


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kh_saas", "worker"], env=env, stdout=out, stderr=out
        )


async def wait_for_batch_writing(url: str, timeout: float = 60) -> None:
    """Until a projector transaction has started writing rows (it holds an xid)."""
    conn = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
                " AND backend_xid IS NOT NULL",
                APPLICATION_NAME,
            )
            if busy:
                return
            await asyncio.sleep(0.005)
        raise AssertionError("no projector batch seen writing")
    finally:
        await conn.close()


async def test_a_worker_killed_mid_batch_loses_and_repeats_nothing(
    database_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KH_")}
    env.update(
        KH_DATABASE_URL=database_url,
        KH_ADMIN_KEY=ADMIN,
        KH_WORKERS="external",
        KH_LOG_LEVEL="warning",
        KH_DATA_DIR=str(tmp_path / "worker-data"),
    )
    server = ServerProcess(tmp_path / "data", env)
    server.start()
    admin = {"Authorization": f"Bearer {ADMIN}"}
    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=admin, timeout=120) as http:
            r = await http.post(
                "/v1/tenants",
                json={"slug": "quang-tri", "name": "Quảng Trị", "province_code": "44"},
            )
            assert r.status_code == 201, r.text
            key = (
                await http.post(
                    "/v1/tenants/quang-tri/api-keys", json={"name": "o", "role": "officer"}
                )
            ).json()["secret"]
            officer = {"Authorization": f"Bearer {key}"}
            for part in range(3):
                items = [
                    {"kind": "household", "name": f"Hộ {part}-{i}", "ref": f"H{part}-{i}"}
                    for i in range(8_000)
                ]
                r = await http.post(
                    "/v1/t/quang-tri/subjects/bulk", json={"items": items}, headers=officer
                )
                assert r.status_code == 201, r.text
            head = int(r.headers["KH-Position"])

            first = start_worker(env, tmp_path / "worker-a.log")
            workers.append(first)
            await wait_for_batch_writing(database_url)
            second = start_worker(env, tmp_path / "worker-b.log")  # waits: the lock is held
            workers.append(second)
            first.send_signal(signal.SIGKILL)
            first.wait(30)

            status = (await http.get("/v1/tenants/quang-tri/projections")).json()["items"]
            assert any(p["position"] < head for p in status)  # killed before it was done
            deadline = time.monotonic() + 120
            while any(p["position"] < head for p in status):
                assert time.monotonic() < deadline, status
                await asyncio.sleep(0.2)
                status = (await http.get("/v1/tenants/quang-tri/projections")).json()["items"]
            rebuilt = await http.post("/v1/tenants/quang-tri/projections/rebuild", json={})
            assert rebuilt.status_code == 200, rebuilt.text
            clean = {p["projection"]: p["checksum"] for p in rebuilt.json()}
            assert {p["name"]: p["checksum"] for p in status} == clean
            r = await http.get("/v1/t/quang-tri/subjects", params={"limit": 1}, headers=officer)
            assert r.json()["total"] == 24_000
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(30)
        server.stop()
