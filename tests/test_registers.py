"""The recognition register: per commune as recorded, and rolled up into today's communes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.province import COMMUNE, COMMUNE_ISSUER, SIGNER, Province, open_province

OLD_COMMUNE = "19477"  # merged into 19483 on 1 July 2025 (conversion table)


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def register(qt: Province, commune: str, n: int, prefix: str) -> list[str]:
    items = [
        {"kind": "household", "name": f"Hộ {i}", "commune_code": commune, "ref": f"{prefix}-{i}"}
        for i in range(n)
    ]
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 201, r.text
    ids: list[str] = r.json()["ids"]
    return ids


async def register_view(qt: Province, **params: Any) -> dict[str, Any]:
    r = await qt.client.get(
        qt.url("/registers/recognitions"), params=params, headers=qt.keys["auditor"]
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_register_counts_and_rolls_up(qt: Province) -> None:
    new = await register(qt, COMMUNE, 3, "N")
    old = await register(qt, OLD_COMMUNE, 2, "O")
    r = await qt.post("/decisions", qt.household_decision([*new, *old]), role="signer")
    assert r.status_code == 201, r.text
    revoked = await qt.client.get(
        qt.url("/recognitions"),
        headers=qt.keys["officer"],
        params={"subject_id": new[0], "title": "learning_household", "year": 2024},
    )
    body = {
        "number": "9/QĐ-UBND",
        "signed_on": "2025-05-05",
        "issuer": COMMUNE_ISSUER,
        "signer": SIGNER,
        "reason": "standard_not_met",
        "explanation": "x",
        "recognition_ids": [revoked.json()["id"]],
    }
    revocation = await qt.post("/revocations", body, role="signer")
    assert revocation.status_code == 201
    seen = revocation.headers["KH-Position"]  # read-your-writes: wait for the revocation

    recorded = await register_view(qt, title="learning_household", year=2024, min_position=seen)
    assert recorded["total"] == 4
    assert {(i["commune_code"], i["count"]) for i in recorded["items"]} == {
        (COMMUNE, 2),
        (OLD_COMMUNE, 2),
    }
    current = await register_view(qt, title="learning_household", year=2024, by="current_units")
    assert [(i["commune_code"], i["count"]) for i in current["items"]] == [(COMMUNE, 4)]
    assert current["unmapped"] == []
    assert (await register_view(qt, title="learning_household", year=2023))["total"] == 0


async def test_register_year_is_bounded(qt: Province) -> None:
    r = await qt.client.get(
        qt.url("/registers/recognitions"),
        params={"title": "learning_household", "year": 4503599627370497},
        headers=qt.keys["auditor"],
    )
    assert r.status_code == 422
    assert r.json()["field"] == "year"
