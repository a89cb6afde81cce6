"""How fast the service answers while PostgreSQL is down, and how fast it recovers.

A real ``kh-saas serve`` on a PostgreSQL of its own (pgserver's binaries, a temp directory,
TCP), which this script stops with ``pg_ctl stop -m fast`` and starts again. Targets, with the
default ``KH_DB_TIMEOUT`` of 5 s:

* a create in flight when the database dies answers 503: ≤ 5 s (it does not retry: its
  client retries with its Idempotency-Key)
* another write in flight (a correction) answers 503: ≤ 6 s (the recorder retries within one
  pool checkout of ``KH_DB_TIMEOUT``)
* a new read, a new write answer 503 while it is down: ≤ 5 s
* after PostgreSQL is back: ``/readyz`` 200 and a write succeeds, same process: ≤ 5 s
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.pg_instance import DisposablePostgres
from tests.server_process import ServerProcess

ADMIN = "kh_bench-outage-admin-key-0123456789"
EVENTS = "t_quang_tri.khuyenhoc_events"
TARGET = 5.0


def household(ref: str) -> dict[str, Any]:
    return {
        "items": [{"kind": "household", "name": f"Hộ {ref}", "commune_code": "19483", "ref": ref}]
    }


def report(what: str, seconds: float, status: int | str, target: float = TARGET) -> None:
    ok = "ok" if seconds <= target else "MISSED"
    print(f"{what:<58} {seconds:6.2f} s  (target ≤ {target:.0f} s, answered {status}) {ok}")


def in_flight(pg: DisposablePostgres, send: Any) -> tuple[float, int | str]:
    """Start ``send`` while the event table is locked, stop PostgreSQL once it waits there;
    return the time from the stop to the answer."""
    answer: list[Any] = []
    thread = threading.Thread(target=lambda: answer.append(_call(send)))
    watcher = psycopg.connect(pg.url, autocommit=True)
    blocker = psycopg.connect(pg.url)
    blocker.execute(f"LOCK TABLE {EVENTS} IN SHARE MODE")
    thread.start()
    while watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query ILIKE 'LOCK TABLE%%khuyenhoc_events%%'"
    ).fetchone() != (1,):
        time.sleep(0.01)
    stopped = time.perf_counter()
    pg.stop()
    watcher.close()
    blocker.close()
    thread.join()
    return time.perf_counter() - stopped, answer[0]


def _call(send: Any) -> int | str:
    try:
        status: int = send().status_code
        return status
    except httpx.HTTPError as exc:
        return type(exc).__name__


def timed(send: Any) -> tuple[float, int | str]:
    started = time.perf_counter()
    status = _call(send)
    return time.perf_counter() - started, status


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="kh-bench-outage-"))
    pg = DisposablePostgres(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KH_")}
    env.update(KH_DATABASE_URL=pg.url, KH_ADMIN_KEY=ADMIN, KH_LOG_LEVEL="warning")
    server = ServerProcess(root / "data", env)
    server.start()
    try:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        tenant = {"slug": "quang-tri", "name": "Quảng Trị", "province_code": "44"}
        httpx.post(server.url + "/v1/tenants", json=tenant, headers=admin, timeout=120)
        secret = httpx.post(
            server.url + "/v1/tenants/quang-tri/api-keys",
            json={"name": "officer", "role": "officer"},
            headers=admin,
        ).json()["secret"]
        officer = {"Authorization": f"Bearer {secret}"}
        t = server.url + "/v1/t/quang-tri"
        subject = httpx.post(t + "/subjects/bulk", json=household("H-0"), headers=officer)
        subject_id = subject.json()["ids"][0]
        hang = 600

        seconds, status = in_flight(
            pg, lambda: httpx.post(t + "/subjects/bulk", json=household("H-1"), headers=officer,
                                   timeout=hang)
        )  # fmt: skip
        report("in-flight create (bulk registration) → 503", seconds, status)
        seconds, status = timed(lambda: httpx.get(t, headers=officer, timeout=hang))
        report("new read while down → 503", seconds, status)
        seconds, status = timed(
            lambda: httpx.post(t + "/subjects/bulk", json=household("H-2"), headers=officer,
                               timeout=hang)
        )  # fmt: skip
        report("new write while down → 503", seconds, status)

        pg.start()
        started = time.perf_counter()
        while httpx.get(server.url + "/readyz", timeout=hang).status_code != 200:
            time.sleep(0.05)
        report("PostgreSQL back → /readyz 200", time.perf_counter() - started, 200)
        seconds, status = timed(
            lambda: httpx.post(t + "/subjects/bulk", json=household("H-3"), headers=officer,
                               timeout=hang)
        )  # fmt: skip
        report("  then a write", seconds, status)

        correction = {"name": "Hộ ông Lê Văn Hùng", "reason": "đính chính"}
        seconds, status = in_flight(
            pg, lambda: httpx.post(t + f"/subjects/{subject_id}/corrections", json=correction,
                                   headers=officer, timeout=hang)
        )  # fmt: skip
        report("in-flight correction (recorder's bounded retry) → 503", seconds, status, 6.0)
        pg.start()
    finally:
        server.stop()
        pg.close()


if __name__ == "__main__":
    main()
