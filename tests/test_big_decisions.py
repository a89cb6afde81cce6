"""Size: a 50,000-recipient decision commits over the embedded server's unix socket (where the
stock pipeline-mode recorder hangs), and one bad recipient among 50,000 stores nothing."""

from __future__ import annotations

import anyio
import httpx
import pytest

from kh_saas.service import Service
from tests.province import Province, open_province

N = 50_000


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def register(qt: Province, n: int) -> list[str]:
    items = [{"kind": "household", "name": f"Hộ {i}", "ref": f"BIG-{i}"} for i in range(n)]
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 201, r.text[:300]
    ids: list[str] = r.json()["ids"]
    return ids


async def test_fifty_thousand_recipients(qt: Province, service: Service) -> None:
    ids = await register(qt, N)
    tenant = await service.catalog.get("quang-tri")
    assert tenant is not None
    before = await service.event_count(tenant)

    bad = qt.household_decision([*ids[:-1], "00000000-0000-0000-0000-00000000dead"])
    with anyio.fail_after(120):
        r = await qt.post("/decisions", bad, role="signer")
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == [f"recipients[{N - 1}]"]
    assert await service.event_count(tenant) == before  # nothing stored

    with anyio.fail_after(120):
        r = await qt.post("/decisions", qt.household_decision(ids), role="signer")
    assert r.status_code == 201, r.text[:300]
    assert r.json()["recipient_count"] == N
    assert (
        await service.event_count(tenant) == before + N + 3
    )  # decision, recognitions, number book (opened, entered)
