"""A 50,000-subject bulk POST with an ``Idempotency-Key``, its server killed with SIGKILL in the
middle of the write, before and after the commit; the server is started again and the client
retries with the same key. It must learn the outcome: the committed result (same ids,
``Idempotent-Replayed``) or, when nothing committed, the request run again; never a 409 that
lasts forever, never a duplicate.

Deterministic without hooks in the server: "before the commit" holds a lock on the tenant's
event table from the test, so the server's write waits at the recorder's table lock until it is
killed; "after the commit" polls the database until the events are visible, then kills.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ADMIN = "kh_crash-admin-key-0123456789abcdef"
SCHEMA = "t_quang_tri"
EVENTS = f"{SCHEMA}.khuyenhoc_events"
N = 50_000


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[ServerProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KH_")}
    env.update(
        KH_DATABASE_URL=database_url,
        KH_ADMIN_KEY=ADMIN,
        KH_LOG_FORMAT="json",
        # A claim whose server died is taken over 2 s after its last renewal.
        KH_IDEMPOTENCY_LEASE="2",
    )
    proc = ServerProcess(tmp_path / "data", env)
    proc.start()
    yield proc
    proc.stop()


def officer_key(url: str) -> dict[str, str]:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    tenant = {"slug": "quang-tri", "name": "Quảng Trị", "province_code": "44"}
    assert httpx.post(url + "/v1/tenants", json=tenant, headers=admin, timeout=60).is_success
    r = httpx.post(
        url + "/v1/tenants/quang-tri/api-keys",
        json={"name": "officer", "role": "officer"},
        headers=admin,
    )
    return {"Authorization": f"Bearer {r.json()['secret']}"}


def households(prefix: str) -> dict[str, Any]:
    return {
        "items": [
            {"kind": "household", "name": f"Hộ {i}", "commune_code": "19483", "ref": f"{prefix}{i}"}
            for i in range(N)
        ]
    }


def last_position(db: str) -> int:
    with psycopg.connect(db) as conn:
        row = conn.execute(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS}").fetchone()
        assert row is not None
        return int(row[0])


def ids_after(db: str, position: int) -> list[str]:
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            f"SELECT originator_id FROM {EVENTS} WHERE notification_id > %s", (position,)
        ).fetchall()
        return [str(r[0]) for r in rows]


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 180
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def in_background(fn: Callable[[], object]) -> threading.Thread:
    def swallow() -> None:
        with contextlib.suppress(httpx.HTTPError):  # killed under the request: no answer
            fn()

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    return thread


def retry(url: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    """What a careful client does: retry while the key is in progress, as long as told."""
    for _ in range(30):
        r = httpx.post(url, json=body, headers=headers, timeout=180)
        if r.status_code != 409:
            return r
        assert r.json()["code"] == "idempotency_in_progress", r.text
        wait = r.headers.get("Retry-After")
        assert wait is not None, f"409 without Retry-After: the key may be stuck forever: {r.text}"
        time.sleep(float(wait))
    raise AssertionError("the Idempotency-Key stayed in progress: the client never learns")


def test_crash_before_commit_runs_the_request_again(
    server: ServerProcess, database_url: str
) -> None:
    headers = {**officer_key(server.url), "Idempotency-Key": "bulk-before-commit"}
    url = server.url + "/v1/t/quang-tri/subjects/bulk"
    body = households("BC")
    before = last_position(database_url)
    watcher = psycopg.connect(database_url, autocommit=True)  # sees activity as it changes
    with watcher, psycopg.connect(database_url) as blocker, blocker.transaction():
        # SHARE conflicts with the recorder's EXCLUSIVE lock: the write waits right before it
        # inserts a single event, with its key claimed.
        blocker.execute(f"LOCK TABLE {EVENTS} IN SHARE MODE")
        in_background(lambda: httpx.post(url, json=body, headers=headers, timeout=180))

        def server_waits_for_the_lock() -> bool:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query ILIKE 'LOCK TABLE%%khuyenhoc_events%%'"
            ).fetchone()
            return row is not None and row[0] > 0

        wait_until(server_waits_for_the_lock, "the write to reach the event table")
        server.kill()
    assert last_position(database_url) == before  # nothing of the cut write committed

    server.start()
    r = retry(url, body, headers)
    assert r.status_code == 201, r.text
    assert "Idempotent-Replayed" not in r.headers  # it ran again
    ids = r.json()["ids"]
    assert len(ids) == N
    assert sorted(ids_after(database_url, before)) == sorted(ids)  # once, not twice

    again = httpx.post(url, json=body, headers=headers, timeout=180)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["ids"] == ids


def test_crash_after_commit_returns_the_committed_result(
    server: ServerProcess, database_url: str
) -> None:
    headers = {**officer_key(server.url), "Idempotency-Key": "bulk-after-commit"}
    url = server.url + "/v1/t/quang-tri/subjects/bulk"
    body = households("AC")
    before = last_position(database_url)
    in_background(lambda: httpx.post(url, json=body, headers=headers, timeout=180))
    wait_until(lambda: last_position(database_url) > before, "the events to commit")
    server.kill()
    committed = ids_after(database_url, before)
    assert len(committed) == N

    server.start()
    r = retry(url, body, headers)
    assert r.status_code == 201, r.text
    assert r.headers["Idempotent-Replayed"] == "true"
    assert sorted(r.json()["ids"]) == sorted(committed)
    assert r.json()["count"] == N
    assert len(ids_after(database_url, before)) == N  # the retry wrote nothing
