"""Administrative units over HTTP: loaded at provisioning, villages, versioned changes."""

from __future__ import annotations

import httpx
import pytest

from tests.province import COMMUNE, Province, open_province


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def test_units_are_loaded_when_the_tenant_is_provisioned(qt: Province) -> None:
    communes = (await qt.get("/units?level=commune&era=current")).json()["items"]
    codes = {c["code"] for c in communes}
    assert COMMUNE in codes
    assert len(codes) == 78  # Quảng Trị since 1 July 2025
    legacy = (await qt.get("/units?level=district&era=legacy")).json()["items"]
    assert {d["name"] for d in legacy} >= {"Huyện Vĩnh Linh", "Huyện Gio Linh"}
    old_communes = (await qt.get("/units?level=commune&era=legacy")).json()["items"]
    assert all(c["valid_to"] == "2025-06-30" for c in old_communes)
    assert sum(bool(c["successors"]) for c in old_communes) > 200
    in_2024 = (await qt.get("/units?level=commune&on=2024-06-01")).json()["items"]
    assert all(c["era"] == "legacy" for c in in_2024)


async def test_villages_single_bulk_and_rules(qt: Province) -> None:
    r = await qt.post(
        "/units/villages", {"commune_code": COMMUNE, "code": "thon-1", "name": "Thôn  An Xuân"}
    )
    assert r.status_code == 201, r.text
    village = r.json()
    assert village["code"] == "THON-1" and village["name"] == "Thôn An Xuân"
    assert village["parent_code"] == COMMUNE and village["level"] == "village"
    bulk = await qt.post(
        "/units/villages/bulk",
        {
            "items": [
                {"commune_code": COMMUNE, "code": "THON-2", "name": "Thôn Hà Thanh"},
                {
                    "commune_code": COMMUNE,
                    "code": "TDP-1",
                    "name": "Tổ dân phố 1",
                    "unit_type": "to_dan_pho",
                },
            ]
        },
    )
    assert bulk.status_code == 201 and bulk.json()["count"] == 2
    bad = await qt.post(
        "/units/villages/bulk",
        {
            "items": [
                {"commune_code": COMMUNE, "code": "THON-9", "name": "Thôn mới"},
                {"commune_code": COMMUNE, "code": "THON-1", "name": "Trùng mã"},
                {"commune_code": "00004", "code": "X", "name": "Xã khác tỉnh"},
            ]
        },
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["items[1].code", "items[2].commune_code"]
    assert (await qt.get(f"/units?parent_code={COMMUNE}")).json()["items"].__len__() == 3


async def test_rename_keeps_history(qt: Province) -> None:
    village = (
        await qt.post(
            "/units/villages",
            {"commune_code": COMMUNE, "code": "T1", "name": "Thôn Cũ", "valid_from": "2020-01-01"},
        )
    ).json()
    r = await qt.post(
        f"/units/{village['id']}/changes",
        {"change": "rename", "effective": "2026-01-01", "name": "Thôn Mới"},
        role="tenant_admin",
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Thôn Mới"
    then = (await qt.get(f"/units/{village['id']}?on=2025-06-01")).json()
    assert then["name_on"] == "Thôn Cũ"
    assert [h["name"] for h in then["history"]] == ["Thôn Cũ", "Thôn Mới"]
    officer = await qt.post(
        f"/units/{village['id']}/changes", {"change": "dissolve", "effective": "2026-02-01"}
    )
    assert officer.status_code == 403
