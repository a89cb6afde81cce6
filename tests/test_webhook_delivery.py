"""Webhook delivery end to end: the service's dispatcher POSTs each public event to a real
HTTP receiver in this process, signed (checked here by a hand-written HMAC, not the package
that signs), in sequence order, at least once, retried, disabled on 410 or when retries are
spent, resumed by enable, re-sent by replay and retry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kh_saas.service import Service
from kh_saas.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.province import Province, open_province
from tests.webhook_receiver import Received, Receiver, Reply, verify

GRANTED = "vn.khuyenhoc.recognition.granted.v1"
DECISION = "vn.khuyenhoc.decision.recorded.v1"
#: Short retries (~3 s in all) so tests see retries, give-ups and recoveries quickly.
SCHEDULE = "50ms,100ms,200ms,400ms,800ms,1600ms"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        admin_key=ADMIN_KEY,
        webhooks_allow_private=True,
        webhook_retry_schedule=SCHEDULE,
        webhook_timeout=3,
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def hook(qt: Province, url: str, **body: Any) -> dict[str, Any]:
    r = await qt.post("/webhooks", {"url": url, **body}, role="integrator")
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


async def grant(qt: Province, n: int, prefix: str, number: str) -> None:
    """A decision recognising ``n`` new households: ``n`` + 1 public events."""
    ids = await qt.households(n, prefix=prefix)
    r = await qt.post("/decisions", qt.household_decision(ids, number=number), role="signer")
    assert r.status_code == 201, r.text


async def public_sequences(service: Service, after: int, want: int) -> list[int]:
    """The tenant's public events after ``after``, as the feed's table holds them."""
    pool = service.clusters.default.read
    deadline = time.monotonic() + 30
    while True:
        rows = await pool.fetch(
            "SELECT sequence FROM t_quang_tri.public_events WHERE sequence > $1 ORDER BY sequence",
            after,
        )
        if len(rows) >= want:
            return [r["sequence"] for r in rows]
        assert time.monotonic() < deadline, f"only {len(rows)} public events of {want}"
        await asyncio.sleep(0.05)


def firsts(received: list[Received]) -> list[int]:
    """Sequences in the order they first arrived (a receiver dedupes on webhook-id)."""
    seen: set[str] = set()
    order = []
    for r in received:
        if r.headers["webhook-id"] not in seen:
            seen.add(r.headers["webhook-id"])
            order.append(r.event["sequence"])
    return order


async def webhook(qt: Province, made: dict[str, Any]) -> dict[str, Any]:
    r = await qt.get(f"/webhooks/{made['id']}", role="integrator")
    found: dict[str, Any] = r.json()
    return found


async def deliveries(qt: Province, made: dict[str, Any]) -> list[dict[str, Any]]:
    r = await qt.get(f"/webhooks/{made['id']}/deliveries", role="integrator")
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_signed_cloudevents_in_order(
    qt: Province, receiver: Receiver, service: Service
) -> None:
    made = await hook(qt, receiver.url)
    await grant(qt, 3, "A", "101/QĐ-UBND")
    await receiver.wait_for(lambda got: len(got) >= 4, 20)
    want = await public_sequences(service, made["cursor"], 4)
    assert firsts(receiver.received) == want
    for got in receiver.received:
        assert verify(made["secret"], got.headers, got.body), got.headers
        assert not verify("whsec_" + "B" * 44, got.headers, got.body)
        event = got.event
        assert got.headers["webhook-id"] == event["id"]
        assert got.headers["content-type"] == "application/cloudevents+json"
        assert event["specversion"] == "1.0" and event["source"] == "/tenants/quang-tri"
    assert [g.event["type"] for g in receiver.received].count(GRANTED) == 3
    # The body is sent exactly as signed: tampering breaks the signature.
    first = receiver.received[0]
    assert not verify(made["secret"], first.headers, first.body.replace(b"1.0", b"1.1"))
    await asyncio.sleep(0.2)  # the last attempt's record commits after the receiver answers
    log = await deliveries(qt, made)
    assert [d["sequence"] for d in log] == sorted(want, reverse=True)
    assert all(d["status"] == "delivered" and d["attempts"] == 1 for d in log)
    assert all(d["attempt_log"][0]["status"] == 200 for d in log)
    assert all(d["latency_ms"] is not None and d["error"] is None for d in log)


async def test_three_failures_then_success_same_id_in_order(
    qt: Province, receiver: Receiver, service: Service
) -> None:
    answers = iter([500, 500, 500])
    receiver.answer = lambda _r: (next(answers, 200), {}, 0.0)
    made = await hook(qt, receiver.url)
    await grant(qt, 1, "B", "102/QĐ-UBND")
    await receiver.wait_for(lambda got: len(got) >= 5, 20)
    want = await public_sequences(service, made["cursor"], 2)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert ids[:4] == [ids[0]] * 4 and ids[4] != ids[0]
    assert [r.event["sequence"] for r in receiver.received] == [want[0]] * 4 + [want[1]]
    stamps = {r.headers["webhook-timestamp"] for r in receiver.received[:4]}
    assert all(verify(made["secret"], r.headers, r.body) for r in receiver.received)
    assert len(stamps) >= 1  # each attempt signs its own timestamp
    await asyncio.sleep(0.2)
    first = (await deliveries(qt, made))[-1]
    assert first["sequence"] == want[0] and first["status"] == "delivered"
    assert [a["status"] for a in first["attempt_log"]] == [500, 500, 500, 200]
    assert first["attempt_log"][0]["error"] == "HTTP 500"


async def test_receiver_down_for_1000_events_then_back(
    qt: Province, receiver: Receiver, service: Service
) -> None:
    made = await hook(qt, receiver.url)
    await receiver.stop()
    await grant(qt, 999, "C", "103/QĐ-UBND")
    want = await public_sequences(service, made["cursor"], 1000)
    await asyncio.sleep(0.5)  # a few refused attempts
    assert receiver.received == []
    await receiver.start()
    await receiver.wait_for(lambda got: len(firsts(got)) >= 1000, 120)
    assert firsts(receiver.received) == want
    assert (await webhook(qt, made))["status"] == "active"


async def test_410_disables_and_enable_resumes(qt: Province, receiver: Receiver) -> None:
    receiver.answer = lambda _r: (410, {}, 0.0)
    made = await hook(qt, receiver.url)
    await grant(qt, 1, "D", "104/QĐ-UBND")
    await receiver.wait_for(lambda got: len(got) >= 1, 20)
    await asyncio.sleep(1.5)  # nothing more is sent to a gone endpoint
    assert len(receiver.received) == 1
    found = await webhook(qt, made)
    assert found["status"] == "disabled" and "410" in found["disabled_reason"]
    receiver.answer = lambda _r: (200, {}, 0.0)
    r = await qt.post(f"/webhooks/{made['id']}/enable", None, role="integrator")
    assert r.status_code == 200 and r.json()["status"] == "active"
    await receiver.wait_for(lambda got: len(firsts(got)) >= 2, 20)
    assert receiver.received[1].headers["webhook-id"] == receiver.received[0].headers["webhook-id"]


async def test_spent_retries_disable_with_the_reason_then_enable(
    qt: Province, receiver: Receiver, service: Service
) -> None:
    receiver.answer = lambda _r: (503, {}, 0.0)
    made = await hook(qt, receiver.url)
    await grant(qt, 1, "E", "105/QĐ-UBND")
    want = await public_sequences(service, made["cursor"], 2)
    deadline = time.monotonic() + 30
    while (found := await webhook(qt, made))["status"] == "active":
        assert time.monotonic() < deadline, "never disabled"
        await asyncio.sleep(0.2)
    assert found["disabled_reason"].startswith("gave up after 7 attempts")
    assert "HTTP 503" in found["disabled_reason"]
    assert len(receiver.received) == 7  # the first try and the schedule's six retries
    receiver.answer = lambda _r: (200, {}, 0.0)
    await qt.post(f"/webhooks/{made['id']}/enable", None, role="integrator")
    await receiver.wait_for(lambda got: len(got) >= 9, 20)
    assert [r.event["sequence"] for r in receiver.received[6:]] == [want[0], want[0], want[1]]


async def test_retry_after_is_honoured(qt: Province, receiver: Receiver) -> None:
    answers: list[Reply] = [(429, {"Retry-After": "2"}, 0.0)]
    receiver.answer = lambda _r: answers.pop() if answers else (200, {}, 0.0)
    await hook(qt, receiver.url, types=[DECISION])
    await grant(qt, 1, "F", "106/QĐ-UBND")
    await receiver.wait_for(lambda got: len(got) >= 2, 20)
    assert receiver.received[1].at - receiver.received[0].at >= 1.9
    assert {r.event["type"] for r in receiver.received} == {DECISION}  # the types filter


async def test_rotation_signs_with_both_secrets(qt: Province, receiver: Receiver) -> None:
    made = await hook(qt, receiver.url)
    r = await qt.post(f"/webhooks/{made['id']}/rotate-secret", None, role="integrator")
    new = r.json()["secret"]
    await grant(qt, 1, "G", "107/QĐ-UBND")
    await receiver.wait_for(lambda got: len(got) >= 2, 20)
    for got in receiver.received:
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        assert verify(made["secret"], got.headers, got.body)
        assert verify(new, got.headers, got.body)


async def test_replay_and_retry_one(qt: Province, receiver: Receiver, service: Service) -> None:
    made = await hook(qt, receiver.url)
    await grant(qt, 2, "H", "108/QĐ-UBND")
    want = await public_sequences(service, made["cursor"], 3)
    await receiver.wait_for(lambda got: len(got) >= 3, 20)
    r = await qt.post(f"/webhooks/{made['id']}/replay", {"after": want[0]}, role="integrator")
    assert r.status_code == 202, r.text
    assert r.json()["previous_cursor"] >= want[-1]
    await receiver.wait_for(lambda got: len(got) >= 5, 20)
    assert [g.event["sequence"] for g in receiver.received] == [*want, *want[1:]]
    assert receiver.received[3].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    await asyncio.sleep(0.2)
    oldest = (await deliveries(qt, made))[-1]
    r = await qt.post(
        f"/webhooks/{made['id']}/deliveries/{oldest['id']}/retry", None, role="integrator"
    )
    assert r.status_code == 202 and r.json()["kind"] == "manual"
    await receiver.wait_for(lambda got: len(got) >= 6, 20)
    assert receiver.received[5].event["sequence"] == want[0]


async def test_two_processes_one_dispatcher_per_tenant(
    qt: Province, receiver: Receiver, service: Service, settings: Settings
) -> None:
    """A second service on the same database (another process, as far as PostgreSQL can
    tell) waits on the tenant's lock: nothing is sent twice."""
    other = Service(settings)
    await other.start()
    try:
        made = await hook(qt, receiver.url)
        other.webhooks.wake("quang-tri")
        await grant(qt, 30, "I", "109/QĐ-UBND")
        want = await public_sequences(service, made["cursor"], 31)
        await receiver.wait_for(lambda got: len(got) >= 31, 30)
        await asyncio.sleep(1.5)  # time for a second sender to show itself
        assert [r.event["sequence"] for r in receiver.received] == want
    finally:
        await other.stop()
