"""The live stream (SSE) over real HTTP: catch-up, live events, resume without gap or
duplicate, keep-alives, and one listening connection however many subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from kh_saas.integrators.hub import APPLICATION_NAME, EventHub
from kh_saas.service import Service
from tests.live_server import serve_live  # noqa: F401  (the `live` fixture)
from tests.province import Province, open_province


@pytest.fixture
async def qt(live: httpx.AsyncClient) -> Province:
    return await open_province(live)


class Sse:
    """A minimal, independent SSE reader (WHATWG event-stream parsing) in a task of its own,
    so a reader that times out does not cut the stream."""

    def __init__(self, response: httpx.Response) -> None:
        self.events: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.comments: list[str] = []
        self.task = asyncio.create_task(self._read(response))

    async def _read(self, response: httpx.Response) -> None:
        event: dict[str, str] = {}
        async for line in response.aiter_lines():
            if not line:
                if "data" in event or "id" in event:
                    self.events.put_nowait(event)
                event = {}
            elif line.startswith(":"):
                self.comments.append(line[1:].strip())
            else:
                name, _, value = line.partition(":")
                event[name] = value[1:] if value.startswith(" ") else value

    async def next(self, timeout: float = 10) -> dict[str, str]:
        return await asyncio.wait_for(self.events.get(), timeout)


@contextlib.asynccontextmanager
async def stream(qt: Province, role: str = "integrator", **kw: Any) -> AsyncIterator[Sse]:
    headers = {**qt.keys[role], **kw.pop("headers", {})}
    async with qt.client.stream(
        "GET", qt.url("/events/stream"), headers=headers, params=kw
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        sse = Sse(response)
        try:
            yield sse
        finally:
            sse.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await sse.task


async def decide(qt: Province, n: int, number: str) -> None:
    ids = await qt.households(n, prefix=number.split("/", maxsplit=1)[0])
    r = await qt.post("/decisions", qt.household_decision(ids, number=number), role="signer")
    assert r.status_code == 201, r.text


async def test_reconnect_with_last_event_id_has_no_gap_and_no_duplicate(qt: Province) -> None:
    await decide(qt, 3, "1/QĐ-UBND")  # before anyone listens: the catch-up read
    got: list[dict[str, str]] = []
    async with stream(qt) as sse:
        for _ in range(2):
            got.append(await sse.next())
    await decide(qt, 4, "2/QĐ-UBND")  # while nobody listens
    async with stream(qt, headers={"Last-Event-ID": got[-1]["id"]}, after=0) as sse:
        for _ in range(7):  # 4 + 5 - 2 already had
            got.append(await sse.next())
        await decide(qt, 2, "3/QĐ-UBND")  # live
        for _ in range(3):
            got.append(await sse.next())
        assert set(sse.comments) <= {"keep-alive"}
    feed = (await qt.client.get(qt.url("/events"), headers=qt.keys["integrator"])).json()
    assert [int(e["id"]) for e in got] == [i["sequence"] for i in feed["items"]]
    for event, item in zip(got, feed["items"], strict=True):
        assert event["event"] == item["type"]
        assert msgspec.json.decode(event["data"]) == item
    # ?after= resumes the same way when no header is sent.
    async with stream(qt, after=feed["items"][5]["sequence"]) as sse:
        assert int((await sse.next())["id"]) == feed["items"][6]["sequence"]


async def test_filters_and_keep_alives(qt: Province) -> None:
    granted = "vn.khuyenhoc.recognition.granted.v1"
    await decide(qt, 2, "1/QĐ-UBND")
    async with stream(qt, types="vn.khuyenhoc.decision.recorded.v1") as sse:
        first = await sse.next()
        assert first["event"] == "vn.khuyenhoc.decision.recorded.v1"
        started = time.monotonic()
        await decide(qt, 2, "2/QĐ-UBND")
        second = await sse.next()
        assert second["event"] == first["event"] and int(second["id"]) > int(first["id"])
        while time.monotonic() - started < 1.0:
            with contextlib.suppress(TimeoutError):
                await sse.next(timeout=0.2)
        assert "keep-alive" in sse.comments  # KH_STREAM_KEEPALIVE=0.3 here
    async with stream(qt, types=granted) as sse:
        assert (await sse.next())["event"] == granted


async def test_bad_resume_point_and_other_tenants(qt: Province, live: httpx.AsyncClient) -> None:
    r = await live.get(
        qt.url("/events/stream"), headers={**qt.keys["integrator"], "Last-Event-ID": "abc"}
    )
    assert r.status_code == 422
    assert r.json()["field"] == "Last-Event-ID"
    integrator = qt.keys["integrator"]
    r = await live.get(qt.url("/events/stream"), headers=integrator, params={"types": "x"})
    assert (r.status_code, r.json()["field"]) == (422, "types")
    assert (await live.get(qt.url("/events/stream"), headers=qt.keys["officer"])).status_code == 403
    other = await open_province(live, "ha-noi", "01")
    r = await live.get(qt.url("/events/stream"), headers=other.keys["integrator"])
    assert r.status_code == 404


async def test_many_subscribers_share_one_listening_connection(
    qt: Province, service: Service
) -> None:
    subscribers = 40
    await decide(qt, 1, "1/QĐ-UBND")
    async with contextlib.AsyncExitStack() as stack:
        streams = [await stack.enter_async_context(stream(qt)) for _ in range(subscribers)]
        firsts = await asyncio.gather(*(s.next() for s in streams))
        assert len({f["id"] for f in firsts}) == 1
        await decide(qt, 1, "2/QĐ-UBND")
        for s in streams:
            await s.next()
            await s.next()
        listeners = await service.clusters.default.read.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            APPLICATION_NAME,
        )
        assert listeners == 1


async def test_the_hub_shares_a_topic_and_forgets_it_with_its_last_subscriber(
    qt: Province, service: Service
) -> None:
    tenant = await service.catalog.get("quang-tri")
    assert tenant is not None
    hub = EventHub(lambda: service.clusters)
    try:
        async with hub.subscription(tenant) as one, hub.subscription(tenant) as two:
            assert one is two and one.subscribers == 2
            changed = one.changed
            await decide(qt, 1, "1/QĐ-UBND")
            await asyncio.wait_for(changed.wait(), 10)  # woken once the rows commit
            assert [r.type for r in one.since(0) or []] != []
        assert hub.topics() == 0
        assert hub.listening_connections() == 1
    finally:
        await hub.close()
    assert hub.listening_connections() == 0


async def test_subscribers_arriving_together_share_the_opened_topic(
    qt: Province, service: Service
) -> None:
    """The second waits until the first has read where the topic starts (its floor)."""
    await decide(qt, 1, "1/QĐ-UBND")
    tenant = await service.catalog.get("quang-tri")
    assert tenant is not None
    hub = EventHub(lambda: service.clusters)
    deadline = asyncio.get_running_loop().time() + 10
    while not await hub.read(tenant, 0):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    floors: list[int] = []

    async def subscribe() -> None:
        async with hub.subscription(tenant) as topic:
            floors.append(topic.floor)
            await asyncio.sleep(0.1)

    try:
        await asyncio.gather(*(subscribe() for _ in range(5)))
    finally:
        await hub.close()
    assert len(set(floors)) == 1 and floors[0] > 0
