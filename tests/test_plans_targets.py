"""Plans, statistics and attainment over HTTP (real PostgreSQL, the registers projection)."""

from __future__ import annotations

import io
from typing import Any

import httpx
import openpyxl
import pytest

from tests.conftest import bearer, make_key, make_tenant
from tests.province import COMMUNE, COMMUNE_ISSUER, SIGNER, Province, open_province

OLD_COMMUNE = "19477"  # merged into 19483 on 1 July 2025 (conversion table)
OTHER_COMMUNE = "19489"
READER_ROLES = ["tenant_admin", "officer", "reviewer", "signer", "auditor"]
PLAN_ISSUER = {
    "name": "UBND tỉnh Quảng Trị",
    "signer_name": "Hoàng Nam",
    "signer_position": "KT. Chủ tịch, Phó Chủ tịch",
}


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


def target(denominator: str, year: int, percent: float) -> dict[str, Any]:
    return {"denominator": denominator, "year": year, "percent": percent}


def adopt_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "template": "tua-chua-2022",
        "number": "125/KH-UBND",
        "issuer": PLAN_ISSUER,
        "signed_on": "2022-07-01",
    }
    body.update(over)
    return body


async def adopt(qt: Province, **over: Any) -> dict[str, Any]:
    r = await qt.post("/plans", adopt_body(**over), role="tenant_admin")
    assert r.status_code == 201, r.text
    plan: dict[str, Any] = r.json()
    return plan


async def put_statistics(qt: Province, year: int, body: Any) -> httpx.Response:
    return await qt.client.put(
        qt.url(f"/statistics/{year}"), json=body, headers=qt.keys["tenant_admin"]
    )


async def attainment(qt: Province, role: str = "auditor", **params: Any) -> dict[str, Any]:
    r = await qt.client.get(qt.url("/targets/attainment"), params=params, headers=qt.keys[role])
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def row(body: dict[str, Any], commune: str | None, denominator: str) -> dict[str, Any]:
    titles = (
        body["province"]["titles"]
        if commune is None
        else next(c for c in body["communes"] if c["commune_code"] == commune)["titles"]
    )
    found: dict[str, Any] = next(t for t in titles if t["denominator"] == denominator)
    return found


HOUSEHOLD = {"kind": "household"}


async def households(qt: Province, commune: str, n: int, prefix: str) -> list[str]:
    items = [
        {**HOUSEHOLD, "name": f"Hộ {prefix} {i}", "commune_code": commune, "ref": f"{prefix}{i}"}
        for i in range(n)
    ]  # fmt: skip
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 201, r.text
    ids: list[str] = r.json()["ids"]
    return ids


async def recognise(qt: Province, ids: list[str], number: str, year: int, signed_on: str) -> str:
    r = await qt.post(
        "/decisions",
        qt.household_decision(ids, number=number, year=year, signed_on=signed_on),
        role="signer",
    )
    assert r.status_code == 201, r.text
    return r.headers["KH-Position"]


# --- templates and plans ---------------------------------------------------------------------


async def test_templates_carry_the_seed_and_387_figures(qt: Province) -> None:
    for role in READER_ROLES:
        r = await qt.get("/plan-templates", role=role)
        assert r.status_code == 200, (role, r.text)
    items = {t["id"]: t for t in r.json()["items"]}
    seed = {(t["denominator"], t["year"]): t["percent"] for t in items["tua-chua-2022"]["targets"]}
    assert seed == {
        ("households", 2025): 60, ("clans", 2025): 50, ("villages", 2025): 65,
        ("organisations", 2025): 80, ("workers", 2025): 30, ("cadres", 2025): 60,
        ("households", 2030): 70, ("clans", 2030): 55, ("villages", 2030): 75,
        ("organisations", 2030): 90, ("workers", 2030): 40, ("cadres", 2030): 80,
    }  # fmt: skip
    national = items["qd-387-2022"]["targets"]
    assert {t["confidence"] for t in national if t["year"] == 2025} == {"verified"}
    assert {t["confidence"] for t in national if t["year"] == 2030} == {"unverified"}
    assert [(p["start_year"], p["end_year"]) for p in items["qd-387-2022"]["phases"]] == [
        (2021, 2025),
        (2026, 2030),
    ]
    assert (await qt.get("/plan-templates", role="integrator")).status_code == 403


async def test_adopt_a_template_with_edits_and_read_it_back(qt: Province) -> None:
    edits = [{"denominator": "households", "year": 2025, "percent": 62.5}]
    plan = await adopt(qt, targets=edits)
    assert plan["number"] == "125/KH-UBND" and plan["template"] == "tua-chua-2022"
    targets = {(t["denominator"], t["year"]): t["percent"] for t in plan["targets"]}
    assert targets["households", 2025] == 62.5 and targets["clans", 2030] == 55
    assert len(targets) == 12
    for role in READER_ROLES:
        got = await qt.get(f"/plans/{plan['id']}", role=role)
        assert got.status_code == 200 and got.json()["targets"] == plan["targets"]
    listed = (await qt.get("/plans", role="auditor")).json()["items"]
    assert [p["id"] for p in listed] == [plan["id"]]
    # a plan of its own, with Decision 1315's phases
    own = {
        "number": "7/KH-UBND",
        "name": "Kế hoạch thi đua xây dựng xã hội học tập",
        "issuer": PLAN_ISSUER,
        "signed_on": "2024-01-10",
        "phases": [{"start_year": 2023, "end_year": 2025}, {"start_year": 2026, "end_year": 2030}],
        "targets": [{"denominator": "clans", "year": 2024, "percent": 40}],
    }
    r = await qt.post("/plans", own, role="tenant_admin")
    assert r.status_code == 201, r.text
    assert len((await qt.get("/plans")).json()["items"]) == 2
    # the adoption is an event of the province's store
    trail = await qt.get("/plans", role="auditor")
    assert trail.status_code == 200


async def test_plan_writes_are_for_the_tenant_admin(qt: Province) -> None:
    for role in ("officer", "reviewer", "signer", "auditor", "integrator"):
        r = await qt.post("/plans", adopt_body(), role=role)
        assert r.status_code == 403, role
        s = await qt.client.put(
            qt.url("/statistics/2025"), json={"communes": []}, headers=qt.keys[role]
        )
        assert s.status_code == 403, role


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"number": "abc"}, "number"),
        ({"template": "nope"}, "template"),
        ({"targets": [target("households", 2031, 70)]}, "targets[0].year"),
        ({"targets": [target("households", 2025, 170)]}, "targets[0].percent"),
        ({"targets": [target("pigs", 2025, 1)]}, "targets[0].denominator"),
        ({"phases": [{"start_year": 2026, "end_year": 2021}]}, "phases[0].end_year"),
        ({"template": None, "phases": None}, "name"),
        ({"signed_on": "2022-13-01"}, "signed_on"),
    ],
)  # fmt: skip
async def test_bad_plans_name_the_field(qt: Province, over: dict[str, Any], field: str) -> None:
    r = await qt.post("/plans", adopt_body(**over), role="tenant_admin")
    assert r.status_code in (400, 422), r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["field"] == field or field in [e["field"] for e in problem["errors"]], problem
    assert (await qt.get("/plans")).json()["items"] == []


async def test_plans_of_another_province_are_not_found(
    client: httpx.AsyncClient, qt: Province
) -> None:
    plan = await adopt(qt)
    await make_tenant(client, "hue", "46")
    other = bearer(await make_key(client, "hue", "tenant_admin"))
    mine = bearer(await make_key(client, "hue", "auditor"))
    for path in (
        f"/v1/t/quang-tri/plans/{plan['id']}",
        "/v1/t/quang-tri/plans",
        "/v1/t/quang-tri/plan-templates",
        "/v1/t/quang-tri/statistics/2025",
        "/v1/t/quang-tri/targets/attainment?year=2025",
        "/v1/t/quang-tri/targets/attainment.svg?year=2025",
        "/v1/t/quang-tri/targets/attainment.png?year=2025",
    ):
        assert (await client.get(path, headers=other)).status_code == 404, path
    assert (await client.get(f"/v1/t/hue/plans/{plan['id']}", headers=mine)).status_code == 404
    r = await client.post("/v1/t/quang-tri/plans", json=adopt_body(), headers=other)
    assert r.status_code == 404
    r = await client.put(
        "/v1/t/quang-tri/statistics/2025",
        json={"communes": [{"commune_code": COMMUNE, "households": 1}]},
        headers=other,
    )
    assert r.status_code == 404
    r = await client.put(
        "/v1/t/quang-tri/statistics/2025/import",
        content=b"commune_code,households\n19483,1\n",
        headers={**other, "Content-Type": "text/csv"},
    )
    assert r.status_code == 404


# --- statistics ------------------------------------------------------------------------------


async def test_statistics_json_replace_and_history(qt: Province) -> None:
    first = {"communes": [{"commune_code": COMMUNE, "households": 10, "clans": 2}]}
    r = await put_statistics(qt, 2025, first)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    moment = r.json()["recorded_at"]
    second = {"communes": [{"commune_code": COMMUNE, "households": 12}]}
    r = await put_statistics(qt, 2025, second)
    assert r.json()["version"] == 2
    got = (await qt.get("/statistics/2025", role="auditor")).json()
    assert got["communes"] == [
        {
            "commune_code": COMMUNE, "households": 12, "clans": None, "villages": None,
            "organisations": None, "workers": None, "cadres": None,
        }
    ]  # fmt: skip
    then = await qt.client.get(
        qt.url("/statistics/2025"), params={"as_of": moment}, headers=qt.keys["auditor"]
    )
    assert then.json()["communes"][0]["households"] == 10
    assert (await qt.get("/statistics/2024")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"communes": [{"commune_code": "99999", "households": 1}]}, "communes[0].commune_code"),
        ({"communes": [{"commune_code": OLD_COMMUNE}]}, "communes[0].commune_code"),
        ({"communes": [{"commune_code": COMMUNE, "households": -1}]}, "communes[0].households"),
        ({"communes": [{"commune_code": COMMUNE}] * 2}, "communes[1].commune_code"),
        ({"communes": [{"commune_code": COMMUNE, "pigs": 3}]}, "communes[0].pigs"),
        ({"communes": []}, "communes"),
    ],
)  # fmt: skip
async def test_bad_statistics_name_the_field(qt: Province, body: Any, field: str) -> None:
    r = await put_statistics(qt, 2025, body)
    assert r.status_code in (400, 422), r.text
    problem = r.json()
    assert problem["field"] == field or field in [e["field"] for e in problem["errors"]], problem
    assert (await qt.get("/statistics/2025")).status_code == 404


async def test_statistics_from_a_spreadsheet(qt: Province) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã xã", "Số hộ gia đình", "Số dòng họ", "Số thôn, bản, tổ dân phố", "Số cán bộ"])
    sheet.append([COMMUNE, 40, 3, 8, 25])
    sheet.append([OTHER_COMMUNE, 30, None, 5, None])
    data = io.BytesIO()
    book.save(data)
    r = await qt.client.put(
        qt.url("/statistics/2025/import"),
        content=data.getvalue(),
        params={"filename": "so-lieu.xlsx"},
        headers=qt.keys["tenant_admin"],
    )
    assert r.status_code == 200, r.text
    got = {c["commune_code"]: c for c in r.json()["communes"]}
    assert got[COMMUNE]["households"] == 40 and got[COMMUNE]["cadres"] == 25
    assert got[OTHER_COMMUNE]["clans"] is None
    bad = "Mã xã,Số hộ gia đình\n99999,4\n19483,abc\n".encode()
    r = await qt.client.put(
        qt.url("/statistics/2026/import"),
        content=bad,
        headers={**qt.keys["tenant_admin"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f.startswith("row 3") for f in fields), fields
    r = await qt.client.put(
        qt.url("/statistics/2026/import"),
        content="Mã xã,Số hộ gia đình\n99999,4\n".encode(),
        headers={**qt.keys["tenant_admin"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "row 2, column Mã xã"
    assert (await qt.get("/statistics/2026")).status_code == 404


# --- attainment ------------------------------------------------------------------------------


async def test_attainment_per_commune_and_province(qt: Province) -> None:
    plan = await adopt(qt)
    new = await households(qt, COMMUNE, 4, "N")
    old = await households(qt, OLD_COMMUNE, 2, "O")  # a legacy commune, now part of COMMUNE
    other = await households(qt, OTHER_COMMUNE, 3, "T")
    await recognise(qt, [*new, *old], "101/QĐ-UBND", 2025, "2025-11-20")
    last = await recognise(qt, other, "102/QĐ-UBND", 2025, "2025-11-21")
    stats = {
        "communes": [
            {"commune_code": COMMUNE, "households": 10},
            {"commune_code": OTHER_COMMUNE, "households": 4},
        ]
    }
    assert (await put_statistics(qt, 2025, stats)).status_code == 200

    body = await attainment(qt, year=2025, min_position=last)
    assert body["plan"]["id"] == plan["id"] and body["plan"]["phase"] == "2021–2025"
    assert body["valid_on"] == "2025-12-31" and body["statistics_year"] == 2025
    here = row(body, COMMUNE, "households")
    assert here == {
        "title": "learning_household", "denominator": "households", "held": 6, "total": 10,
        "percent": 60.0, "target": 60.0, "milestone_year": 2025, "expected": 60.0, "gap": 0,
        "on_track": True,
    }  # fmt: skip
    there = row(body, OTHER_COMMUNE, "households")
    assert (there["held"], there["percent"], there["on_track"]) == (3, 75.0, True)
    whole = row(body, None, "households")
    assert (whole["held"], whole["total"], whole["percent"]) == (9, 14, 64.29)
    clans = row(body, COMMUNE, "clans")
    assert (clans["held"], clans["total"], clans["percent"], clans["target"]) == (0, None, None, 50)
    assert all(c["commune_code"] != OLD_COMMUNE for c in body["communes"])
    for role in READER_ROLES:
        await attainment(qt, role=role, year=2025)

    # a revocation voids a title: COMMUNE falls behind, one household short of 60%
    rec = await qt.client.get(
        qt.url("/recognitions"),
        headers=qt.keys["officer"],
        params={"subject_id": new[0], "title": "learning_household", "year": 2025},
    )
    revocation = {
        "number": "9/QĐ-UBND", "signed_on": "2025-12-01", "issuer": COMMUNE_ISSUER,
        "signer": SIGNER, "reason": "standard_not_met", "explanation": "x",
        "recognition_ids": [rec.json()["id"]],
    }  # fmt: skip
    r = await qt.post("/revocations", revocation, role="signer")
    assert r.status_code == 201, r.text
    after = await attainment(qt, year=2025, min_position=r.headers["KH-Position"])
    here = row(after, COMMUNE, "households")
    assert (here["held"], here["percent"], here["gap"], here["on_track"]) == (5, 50.0, 1, False)

    # 2026: the 2025 figures carry over; the path towards 70% by 2030 expects 62%
    later = await attainment(qt, year=2026)
    assert later["statistics_year"] == 2025 and later["plan"]["phase"] == "2026–2030"
    here = row(later, COMMUNE, "households")
    assert (here["target"], here["milestone_year"], here["expected"]) == (70.0, 2030, 62.0)


async def test_attainment_as_of_and_registered_source(qt: Province) -> None:
    await adopt(qt)
    ids = await households(qt, COMMUNE, 5, "A")
    r = await put_statistics(qt, 2025, {"communes": [{"commune_code": COMMUNE, "households": 5}]})
    before = r.json()["recorded_at"]
    last = await recognise(qt, ids[:2], "103/QĐ-UBND", 2025, "2025-10-01")
    now = await attainment(qt, year=2025, min_position=last)
    assert row(now, COMMUNE, "households")["held"] == 2
    then = await attainment(qt, year=2025, as_of=before)
    assert row(then, COMMUNE, "households")["held"] == 0
    registered = await attainment(qt, year=2025, source="registered")
    assert registered["source"] == "registered" and registered["statistics_year"] is None
    assert row(registered, COMMUNE, "households")["total"] == 5
    snap = await put_statistics(qt, 2024, {"source": "registered"})
    assert snap.status_code == 200, snap.text
    counted = {c["commune_code"]: c for c in snap.json()["communes"]}
    assert counted[COMMUNE]["households"] == 5 and counted[OTHER_COMMUNE]["households"] == 0


async def test_attainment_bad_input(qt: Province) -> None:
    for params, field in (
        ({}, "year"),
        ({"year": 1999}, "year"),
        ({"year": 2025, "plan": "not-a-uuid"}, "plan"),
        ({"year": 2025, "source": "guess"}, "source"),
        ({"year": 2025, "as_of": "2025-01-01T00:00:00"}, "as_of"),
    ):
        r = await qt.client.get(
            qt.url("/targets/attainment"), params=params, headers=qt.keys["auditor"]
        )
        assert r.status_code in (400, 422), (params, r.text)
        problem = r.json()
        assert problem["field"] == field or field in [e["field"] for e in problem["errors"]]
    r = await qt.client.get(
        qt.url("/targets/attainment"),
        params={"year": 2025, "plan": "00000000-0000-0000-0000-000000000000"},
        headers=qt.keys["auditor"],
    )
    assert r.status_code == 404
    r = await qt.client.get(
        qt.url("/targets/attainment"), params={"year": 2025}, headers=qt.keys["integrator"]
    )
    assert r.status_code == 403
    # no plan yet: the figures, no targets
    body = await attainment(qt, year=2025)
    assert body["plan"] is None and row(body, None, "households")["target"] is None


async def test_attainment_chart(qt: Province) -> None:
    await adopt(qt)
    ids = await households(qt, COMMUNE, 3, "C")
    last = await recognise(qt, ids, "104/QĐ-UBND", 2025, "2025-10-01")
    await put_statistics(qt, 2025, {"communes": [{"commune_code": COMMUNE, "households": 10}]})
    svg = await qt.client.get(
        qt.url("/targets/attainment.svg"),
        params={"year": 2025, "min_position": last},
        headers=qt.keys["auditor"],
    )
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.content.lstrip().startswith(b"<?xml") and b"<svg" in svg.content
    png = await qt.client.get(
        qt.url("/targets/attainment.png"),
        params={"year": 2025, "denominator": "households"},
        headers=qt.keys["officer"],
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    bad = await qt.client.get(
        qt.url("/targets/attainment.png"),
        params={"year": 2025, "denominator": "pigs"},
        headers=qt.keys["officer"],
    )
    assert bad.status_code in (400, 422) and bad.json()["field"] == "denominator"


async def test_citizens_split_into_workers_and_cadres(qt: Province) -> None:
    await adopt(qt)
    items = [
        {"kind": "citizen", "name": f"Nguyễn Văn {i}", "commune_code": COMMUNE,
         "citizen_id": f"0442000{i:05d}", **({"category": "cadre"} if i < 2 else {})}
        for i in range(5)
    ]  # fmt: skip
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 201, r.text
    ids = r.json()["ids"]
    subject = await qt.get(f"/subjects/{ids[0]}")
    assert subject.json()["category"] == "cadre"
    decision = qt.household_decision(ids[1:4], number="105/QĐ-UBND", year=2025)
    decision.update(title="learning_citizen", signed_on="2025-10-01")
    r = await qt.post("/decisions", decision, role="signer")
    assert r.status_code == 201, r.text
    stats = {"communes": [{"commune_code": COMMUNE, "workers": 10, "cadres": 2}]}
    assert (await put_statistics(qt, 2025, stats)).status_code == 200
    body = await attainment(qt, year=2025, min_position=r.headers["KH-Position"])
    cadres, workers = row(body, COMMUNE, "cadres"), row(body, COMMUNE, "workers")
    assert (cadres["title"], cadres["held"], cadres["percent"], cadres["target"]) == (
        "learning_citizen", 1, 50.0, 60.0,
    )  # fmt: skip
    assert (workers["held"], workers["percent"], workers["on_track"]) == (2, 20.0, False)
    registered = await attainment(qt, year=2025, source="registered")
    assert row(registered, COMMUNE, "cadres")["total"] == 2
    assert row(registered, COMMUNE, "workers")["total"] == 3


async def test_adopting_is_idempotent(qt: Province) -> None:
    headers = {"Idempotency-Key": "plan-2022-125"}
    first = await qt.post("/plans", adopt_body(), role="tenant_admin", headers=headers)
    again = await qt.post("/plans", adopt_body(), role="tenant_admin", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    listed = (await qt.get("/plans")).json()
    assert listed["total"] == 1 and listed["next_cursor"] is None
