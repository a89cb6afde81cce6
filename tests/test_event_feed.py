"""The integrators' pull feed: the public contract, in order, never skipping an event."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx
import pytest

from kh_saas.integrators import public_events_channel
from kh_saas.service import Service
from tests.conftest import bearer, make_key, make_tenant
from tests.province import COMMUNE_ISSUER, SIGNER, Province, open_province

GRANTED = "vn.khuyenhoc.recognition.granted.v1"
REVOKED = "vn.khuyenhoc.recognition.revoked.v1"
DECISION = "vn.khuyenhoc.decision.recorded.v1"


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def feed(qt: Province, role: str = "integrator", **params: Any) -> httpx.Response:
    return await qt.client.get(qt.url("/events"), params=params, headers=qt.keys[role])


async def read_all(qt: Province, want: int, **params: Any) -> list[dict[str, Any]]:
    """Page through the feed until ``want`` events came (the projection runs behind)."""
    items: list[dict[str, Any]] = []
    after, deadline = 0, time.monotonic() + 20
    while len(items) < want:
        r = await feed(qt, after=after, **params)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        assert body["next_after"] >= after
        after = body["next_after"]
        if not body["items"]:
            assert time.monotonic() < deadline, f"only {len(items)} of {want} events"
            await asyncio.sleep(0.05)
    return items


async def revoke(qt: Province, recognition_id: str, number: str = "9/QĐ-UBND") -> None:
    body = {
        "number": number,
        "signed_on": "2025-05-05",
        "issuer": COMMUNE_ISSUER,
        "signer": SIGNER,
        "reason": "standard_not_met",
        "explanation": "Hộ vi phạm quy ước thôn",
        "recognition_ids": [recognition_id],
    }
    r = await qt.post("/revocations", body, role="signer")
    assert r.status_code == 201, r.text


async def test_recognitions_and_revocations_as_cloudevents(qt: Province) -> None:
    ids = await qt.households(3)
    r = await qt.post("/decisions", qt.household_decision(ids), role="signer")
    assert r.status_code == 201, r.text
    items = await read_all(qt, 4)
    assert [i["type"] for i in items].count(GRANTED) == 3
    decision = next(i for i in items if i["type"] == DECISION)
    assert decision["data"]["recipient_count"] == 3
    assert decision["data"]["number"] == "101/QĐ-UBND"
    granted = next(i for i in items if i["type"] == GRANTED)
    assert granted["specversion"] == "1.0"
    assert granted["source"] == "/tenants/quang-tri"
    assert granted["datacontenttype"] == "application/json"
    assert granted["dataschema"].endswith(GRANTED + ".json")
    assert granted["subject"] == f"recognitions/{granted['data']['recognition_id']}"
    recipient = granted["data"]["recipient"]
    assert recipient["id"] in ids and recipient["name"].startswith("Hộ gia đình ")
    assert recipient["commune_code"] == "19483"
    sequences = [i["sequence"] for i in items]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert len({i["id"] for i in items}) == len(items)

    await revoke(qt, granted["data"]["recognition_id"])
    later = await read_all(qt, 6)
    assert [i["id"] for i in later[:4]] == [i["id"] for i in items]  # ids are stable
    revoked = next(i for i in later if i["type"] == REVOKED)
    assert revoked["subject"] == granted["subject"]
    assert revoked["data"]["recipient"]["name"] == recipient["name"]
    assert revoked["data"]["title"] == "learning_household"
    assert revoked["data"]["revocation"]["reason"] == "standard_not_met"
    assert "vi phạm" not in str(later)  # a free-text explanation stays internal
    assert revoked["sequence"] > granted["sequence"]

    only = await read_all(qt, 1, types=REVOKED)
    assert [i["type"] for i in only] == [REVOKED]
    r = await feed(qt, types=REVOKED, after=only[0]["sequence"])
    assert r.json() == {"items": [], "next_after": r.json()["next_after"]}
    assert r.json()["next_after"] >= only[0]["sequence"]
    page = (await feed(qt, limit=2)).json()
    assert len(page["items"]) == 2 and page["next_after"] == page["items"][1]["sequence"]


async def test_who_may_read_the_feed(qt: Province, client: httpx.AsyncClient) -> None:
    for role in ["integrator", "tenant_admin", "auditor"]:
        assert (await feed(qt, role=role)).status_code == 200, role
    for role in ["officer", "reviewer", "signer"]:
        assert (await feed(qt, role=role)).status_code == 403, role
    await make_tenant(client, "ha-noi", "01")
    other = bearer(await make_key(client, "ha-noi", "integrator"))
    for path in ["/v1/t/quang-tri/events", "/v1/t/quang-tri/events/stream"]:
        assert (await client.get(path, headers=other)).status_code == 404, path


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"after": -1}, "after"),
        ({"after": "x"}, "after"),
        ({"types": "vn.khuyenhoc.nothing.v1"}, "types"),
    ],
)
async def test_bad_feed_parameters_name_the_field(
    qt: Province, params: dict[str, Any], field: str
) -> None:
    r = await feed(qt, **params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field


async def test_concurrent_writers_skip_nothing(qt: Province) -> None:
    """Writers commit in an order the reader cannot foresee while it pages with small
    pages; everything the feed finally holds, the reader saw, once, in order."""
    writers, decisions_each, size = 4, 5, 3
    ids = await qt.households(writers * decisions_each * size, prefix="CW")
    done = asyncio.Event()

    async def write(w: int) -> None:
        for d in range(decisions_each):
            start = (w * decisions_each + d) * size
            body = qt.household_decision(ids[start : start + size], number=f"{w * 100 + d}/QĐ-UBND")
            # Decisions of one issuer share its number book: a racing save is refused
            # (409, nothing recorded) and retried, as a client would.
            while (r := await qt.post("/decisions", body, role="signer")).status_code == 409:
                assert r.json()["errors"] == [], r.text
            assert r.status_code == 201, r.text

    async def read() -> list[int]:
        seen: list[int] = []
        after = 0
        while True:
            finished = done.is_set()
            r = await feed(qt, after=after, limit=3)
            body = r.json()
            seen += [i["sequence"] for i in body["items"]]
            after = body["next_after"]
            if finished and not body["items"]:
                return seen

    reader = asyncio.create_task(read())
    await asyncio.gather(*(write(w) for w in range(writers)))
    want = writers * decisions_each * (size + 1)
    everything = [i["sequence"] for i in await read_all(qt, want)]
    done.set()
    seen = await reader
    assert len(everything) == want
    assert seen == everything


async def test_the_table_and_channel_others_build_on(qt: Province, service: Service) -> None:
    """The webhook dispatcher reads ``{schema}.public_events`` and LISTENs on
    ``public_events_channel``: a batch that writes public events notifies as it commits."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(service.clusters.default.url)
    try:
        await conn.add_listener(
            public_events_channel("quang-tri"), lambda *args: heard.put_nowait(args[3])
        )
        assert public_events_channel("quang-tri") == public_events_channel("t_quang_tri")
        ids = await qt.households(1)
        await qt.post("/decisions", qt.household_decision(ids), role="signer")
        position = int(await asyncio.wait_for(heard.get(), 10))
        rows = await conn.fetch(
            "SELECT sequence, type, event, recorded_at FROM t_quang_tri.public_events"
            " ORDER BY sequence"
        )
        assert sorted(r["type"] for r in rows) == [DECISION, GRANTED]
        assert rows[-1]["sequence"] <= position
        columns = await conn.fetch(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 't_quang_tri' AND table_name = 'public_events'"
            " ORDER BY ordinal_position"
        )
        assert [tuple(c) for c in columns] == [
            ("sequence", "bigint", "NO"),
            ("type", "text", "NO"),
            ("event", "jsonb", "NO"),
            ("recorded_at", "timestamp with time zone", "NO"),
        ]
    finally:
        await conn.close()
