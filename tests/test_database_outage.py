"""PostgreSQL goes down under a running server, then comes back.

The server runs on a PostgreSQL of this test's own (never the suite's or the machine's), which
the test stops: a write already in flight, new reads and new writes all answer 503
``database_unavailable`` with ``Retry-After`` while the database is still down (the request
must not wait for the outage to end), ``/readyz`` says 503 and ``/healthz`` 200. Once
PostgreSQL is back the same process serves again, without a restart. How fast the 503 comes is
measured by ``python -m bench.outage``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.pg_instance import DisposablePostgres
from tests.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ADMIN = "kh_outage-admin-key-0123456789abcdef"
EVENTS = "t_quang_tri.khuyenhoc_events"
#: Far beyond the service's bound (a few seconds), far below the outage the test imposes
#: (the database stays down until every request has answered).
HANG = 60


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[DisposablePostgres]:
    pg = DisposablePostgres(tmp_path)
    yield pg
    pg.close()


@pytest.fixture
def server(tmp_path: Path, postgres: DisposablePostgres) -> Iterator[ServerProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KH_")}
    env.update(KH_DATABASE_URL=postgres.url, KH_ADMIN_KEY=ADMIN, KH_LOG_FORMAT="json")
    proc = ServerProcess(tmp_path / "data", env)
    proc.start()
    yield proc
    proc.stop()


def household(ref: str) -> dict[str, Any]:
    item = {"kind": "household", "name": f"Hộ {ref}", "commune_code": "19483", "ref": ref}
    return {"items": [item]}


def assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "database_unavailable"
    assert int(r.headers["Retry-After"]) > 0


def test_outage_answers_503_at_once_and_the_server_recovers(
    server: ServerProcess, postgres: DisposablePostgres
) -> None:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    tenant = {"slug": "quang-tri", "name": "Quảng Trị", "province_code": "44"}
    assert httpx.post(server.url + "/v1/tenants", json=tenant, headers=admin, timeout=60).is_success
    secret = httpx.post(
        server.url + "/v1/tenants/quang-tri/api-keys",
        json={"name": "officer", "role": "officer"},
        headers=admin,
    ).json()["secret"]
    officer = {"Authorization": f"Bearer {secret}"}
    profile = server.url + "/v1/t/quang-tri"
    bulk = profile + "/subjects/bulk"
    assert httpx.post(bulk, json=household("H-1"), headers=officer).status_code == 201

    # A write in flight when the database dies: it waits at the event table's lock.
    answers: list[httpx.Response | Exception] = []

    def write() -> None:
        try:
            answers.append(httpx.post(bulk, json=household("H-2"), headers=officer, timeout=HANG))
        except httpx.HTTPError as exc:
            answers.append(exc)

    writer = threading.Thread(target=write)
    watcher = psycopg.connect(postgres.url, autocommit=True)
    blocker = psycopg.connect(postgres.url)
    blocker.execute(f"LOCK TABLE {EVENTS} IN SHARE MODE")
    writer.start()
    deadline = time.monotonic() + HANG
    while watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query ILIKE 'LOCK TABLE%%khuyenhoc_events%%'"
    ).fetchone() != (1,):
        assert time.monotonic() < deadline, "the write never reached the event table"
        time.sleep(0.02)
    # The server dies (immediate: every backend quits at once, with no chance to commit;
    # "fast" let the writer take the freed lock and commit first now and then, under load).
    postgres.stop(mode="immediate")
    watcher.close()
    blocker.close()
    try:
        writer.join(HANG + 5)
        (answer,) = answers
        assert isinstance(answer, httpx.Response), f"the in-flight write hung: {answer!r}"
        assert_unavailable(answer)

        # While it is down: reads and writes (new requests), readiness and liveness.
        assert_unavailable(httpx.get(profile, headers=officer, timeout=HANG))
        assert_unavailable(httpx.post(bulk, json=household("H-3"), headers=officer, timeout=HANG))
        ready = httpx.get(server.url + "/readyz", timeout=HANG)
        assert ready.status_code == 503
        assert ready.json()["status"] == "not_ready"
        assert httpx.get(server.url + "/healthz", timeout=HANG).status_code == 200
    finally:
        postgres.start()

    # Back: the same process becomes ready again and serves reads and writes.
    deadline = time.monotonic() + HANG
    while httpx.get(server.url + "/readyz", timeout=HANG).status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover"
        time.sleep(0.2)
    assert httpx.get(profile, headers=officer, timeout=HANG).status_code == 200
    r = httpx.post(bulk, json=household("H-4"), headers=officer, timeout=HANG)
    assert r.status_code == 201, r.text
    assert httpx.post(bulk, json=household("H-2"), headers=officer).status_code == 201
