"""Subjects, nominations and recognition decisions over HTTP, on a real PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.province import COMMUNE, COMMUNE_ISSUER, SIGNER, Province, open_province

PROBLEM = "application/problem+json"


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def test_register_read_and_correct_a_subject(qt: Province) -> None:
    r = await qt.post(
        "/subjects",
        {"kind": "citizen", "name": "Lê Thị Hoa", "citizen_id": "044190001234", "birth_year": 1990},
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.headers["location"] == qt.url(f"/subjects/{sid}")
    assert (await qt.get(f"/subjects/{sid}")).json()["citizen_id"] == "044190001234"
    assert (await qt.get(f"/subjects/{sid}", role="auditor")).json()["citizen_id"] == "********1234"
    assert (await qt.get(f"/subjects/{sid}", role="integrator")).status_code == 403
    fixed = await qt.post(
        f"/subjects/{sid}/corrections", {"name": "Lê Thị Hoà", "reason": "sai chính tả"}
    )
    assert fixed.status_code == 200
    assert fixed.json()["name"] == "Lê Thị Hoà"
    assert fixed.json()["corrections"] == 1 and fixed.json()["version"] == 2


async def test_bulk_registration_names_every_bad_item_and_stores_nothing(qt: Province) -> None:
    await qt.households(1)
    items: list[dict[str, Any]] = [
        {"kind": "household", "name": "Hộ A", "commune_code": COMMUNE, "ref": "OK-1"},
        {"kind": "citizen", "name": "B", "citizen_id": "999999999999"},
        {"kind": "unit", "name": "Trường Tiểu học C"},
        {"kind": "household", "name": "Hộ D", "commune_code": "00004"},
        {"kind": "household", "name": "Hộ E", "ref": "HB-0"},
        {"kind": "household", "name": "Hộ F", "ref": "OK-1"},
    ]
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 422
    errors = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert errors == {
        ("items[1].citizen_id", "citizen_id"),
        ("items[2].unit_kind", "missing_detail"),
        ("items[3].commune_code", "unknown_commune"),
        ("items[4].ref", "duplicate_subject"),
        ("items[5].ref", "duplicate_subject"),
    }
    again = await qt.post("/subjects/bulk", {"items": items[:1]})
    assert again.status_code == 201  # nothing of the rejected batch was stored


async def test_village_codes_must_exist(qt: Province) -> None:
    body = {"kind": "household", "name": "Hộ K", "commune_code": COMMUNE, "village_code": "T9"}
    r = await qt.post("/subjects", body)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_village"
    made = await qt.post(
        "/units/villages", {"commune_code": COMMUNE, "code": "T9", "name": "Thôn 9"}
    )
    assert made.status_code == 201
    assert (await qt.post("/subjects", body)).status_code == 201


async def test_idempotent_retry_of_a_registration(qt: Province) -> None:
    body = {"kind": "clan", "name": "Dòng họ Nguyễn", "ref": "DH-1", "surname": "Nguyễn"}
    first = await qt.post("/subjects", body, headers={"Idempotency-Key": "dh-1"})
    again = await qt.post("/subjects", body, headers={"Idempotency-Key": "dh-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


async def nomination_for(qt: Province, subject: str, points: int = 20) -> dict[str, Any]:
    cs = await qt.criteria_set_id("learning_household", "commune")
    r = await qt.post(
        "/nominations",
        {
            "subject_id": subject,
            "title": "learning_household",
            "tier": "commune",
            "year": 2024,
            "criteria_set_id": cs,
        },
    )
    assert r.status_code == 201, r.text
    n: dict[str, Any] = r.json()
    criteria = (await qt.get(f"/criteria-sets/{cs}")).json()["criteria"]
    n["scores"] = [
        {"indicator": i["code"], "points": str(min(points, int(i["max_points"])))}
        for c in criteria
        for i in c["indicators"]
    ]
    return n


async def test_nomination_lifecycle(qt: Province) -> None:
    (subject,) = await qt.households(1)
    n = await nomination_for(qt, subject)
    nid = n["id"]
    assert n["status"] == "draft"
    assert n["allowed_actions"] == ["attach_evidence", "self_assess", "submit", "withdraw"]
    r = await qt.post(f"/nominations/{nid}/self-assessment", {"scores": n["scores"]})
    assert r.status_code == 200, r.text
    ev = {"file_name": "bien-ban.pdf", "sha256": "ab" * 32, "url": "https://files.example/1"}
    assert (await qt.post(f"/nominations/{nid}/evidence", {"items": [ev]})).status_code == 200
    early = await qt.post(f"/nominations/{nid}/approve", {}, role="reviewer")
    assert early.status_code == 409
    assert early.json()["code"] == "illegal_transition"
    assert early.json()["allowed"] == ["attach_evidence", "self_assess", "submit", "withdraw"]
    assert (await qt.post(f"/nominations/{nid}/submit", {})).json()["status"] == "submitted"
    assert (await qt.post(f"/nominations/{nid}/approve", {})).status_code == 403  # officer
    returned = await qt.post(
        f"/nominations/{nid}/return", {"reasons": ["thiếu biên bản"]}, role="reviewer"
    )
    assert returned.json()["status"] == "returned"
    assert (await qt.post(f"/nominations/{nid}/resubmit", {})).json()["status"] == "submitted"
    unscored = await qt.post(f"/nominations/{nid}/approve", {}, role="reviewer")
    assert unscored.status_code == 422
    assert unscored.json()["code"] == "approval_pass_rule"
    r = await qt.post(f"/nominations/{nid}/review", {"scores": n["scores"]}, role="reviewer")
    assert r.status_code == 200
    approved = await qt.post(f"/nominations/{nid}/approve", {}, role="reviewer")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


async def test_approval_below_pass_mark_is_refused(qt: Province) -> None:
    (subject,) = await qt.households(1)
    n = await nomination_for(qt, subject, points=10)
    await qt.post(f"/nominations/{n['id']}/submit", {})
    await qt.post(f"/nominations/{n['id']}/review", {"scores": n["scores"]}, role="reviewer")
    r = await qt.post(f"/nominations/{n['id']}/approve", {}, role="reviewer")
    assert r.status_code == 422
    assert r.json()["rule"] == "approval_pass_rule"
    assert "below the pass mark" in r.json()["detail"]


async def test_nomination_rules(qt: Province) -> None:
    (subject,) = await qt.households(1)
    cs = await qt.criteria_set_id("learning_clan", "commune")
    r = await qt.post(
        "/nominations",
        {
            "subject_id": subject,
            "title": "learning_clan",
            "tier": "commune",
            "year": 2024,
            "criteria_set_id": cs,
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "title_subject_kind"
    r = await qt.post(
        "/nominations",
        {
            "subject_id": subject,
            "title": "learning_household",
            "tier": "commune",
            "year": 2024,
            "criteria_set_id": cs,
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "criteria_set_id"


async def test_decision_recognises_all_and_rejects_duplicates(qt: Province) -> None:
    ids = await qt.households(3)
    r = await qt.post("/decisions", qt.household_decision(ids), role="signer")
    assert r.status_code == 201, r.text
    decision = r.json()
    assert decision["recipient_count"] == 3
    full = (await qt.get(f"/decisions/{decision['id']}", role="auditor")).json()
    assert [x["subject_id"] for x in full["recipients"]] == ids
    rec = await qt.client.get(
        qt.url("/recognitions"),
        params={"subject_id": ids[0], "title": "learning_household", "year": 2024},
        headers=qt.keys["auditor"],
    )
    assert rec.status_code == 200
    assert rec.json()["decision_number"] == "101/QĐ-UBND"
    assert rec.json()["valid_until"] == "2025-12-31" and rec.json()["in_force"] is False

    again = await qt.post(
        "/decisions", qt.household_decision(ids[:2], "102/QĐ-UBND"), role="signer"
    )
    assert again.status_code == 422
    assert again.json()["code"] == "decision_rejected"
    assert [(e["field"], e["code"]) for e in again.json()["errors"]] == [
        ("recipients[0]", "one_title_per_year"),
        ("recipients[1]", "one_title_per_year"),
    ]
    same_number = await qt.post("/decisions", qt.household_decision(ids), role="signer")
    assert same_number.status_code == 409 and same_number.json()["code"] == "decision_exists"


async def test_idempotent_retry_of_a_decision(qt: Province) -> None:
    ids = await qt.households(2)
    headers = {"Idempotency-Key": "qd-101"}
    body = qt.household_decision(ids)
    first = await qt.post("/decisions", body, role="signer", headers=headers)
    again = await qt.post("/decisions", body, role="signer", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await qt.post(
        "/decisions", {**body, "number": "7/QĐ-UBND"}, role="signer", headers=headers
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


async def test_decision_rules_reject_the_whole_decision(qt: Province) -> None:
    ids = await qt.households(2)
    bad = qt.household_decision([*ids, "00000000-0000-0000-0000-000000000001"])
    r = await qt.post("/decisions", bad, role="signer")
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "recipients[2]",
            "code": "title_subject_kind",
            "message": "00000000-0000-0000-0000-000000000001: no such subject in this province",
        },
    ]
    r = await qt.post("/decisions", qt.household_decision(ids), role="signer")
    assert r.status_code == 201  # the first attempt stored nothing

    wrong_office = qt.household_decision(ids, "5/QĐ-UBND", year=2023)
    wrong_office["issuer"] = {"office": "province_chairman", "name": "UBND tỉnh Quảng Trị"}
    r = await qt.post("/decisions", wrong_office, role="signer")
    assert r.status_code == 422 and r.json()["code"] == "deciding_authority"
    assert r.json()["field"] == "issuer.office"
    bad_number = qt.household_decision(ids, "QĐ số 5", year=2023)
    r = await qt.post("/decisions", bad_number, role="signer")
    assert r.status_code == 422 and r.json()["field"] == "number"
    assert "123/QĐ-UBND" in r.json()["errors"][0]["message"]  # an example, not a regex
    assert (await qt.post("/decisions", qt.household_decision(ids, year=2023))).status_code == 403


async def test_clan_needs_an_approved_nomination(qt: Province) -> None:
    r = await qt.post("/subjects", {"kind": "clan", "name": "Dòng họ Lê", "ref": "DH-LE"})
    clan = r.json()["id"]
    body = qt.household_decision([clan], "9/QĐ-UBND")
    body["title"] = "learning_clan"
    r = await qt.post("/decisions", body, role="signer")
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "nomination_approved"


async def test_two_decisions_racing_for_one_household(qt: Province) -> None:
    (household,) = await qt.households(1)
    first, second = await asyncio.gather(
        qt.post("/decisions", qt.household_decision([household], "201/QĐ-UBND"), role="signer"),
        qt.post("/decisions", qt.household_decision([household], "202/QĐ-UBND"), role="signer"),
    )
    assert sorted([first.status_code, second.status_code])[0] == 201
    assert sorted([first.status_code, second.status_code])[1] in (409, 422)
    loser = first if first.status_code != 201 else second
    assert loser.json()["errors"][0]["code"] == "one_title_per_year"


async def test_revocation_and_decision_correction(qt: Province) -> None:
    ids = await qt.households(2)
    decision = (await qt.post("/decisions", qt.household_decision(ids), role="signer")).json()
    rec = await qt.client.get(
        qt.url("/recognitions"),
        params={"subject_id": ids[0], "title": "learning_household", "year": 2024},
        headers=qt.keys["officer"],
    )
    rid = rec.json()["id"]
    body = {
        "number": "12/QĐ-UBND",
        "signed_on": "2025-06-01",
        "issuer": COMMUNE_ISSUER,
        "signer": SIGNER,
        "reason": "fraud",
        "explanation": "Kê khai không trung thực",
        "recognition_ids": [rid],
    }
    r = await qt.post("/revocations", body, role="signer")
    assert r.status_code == 201, r.text
    stored = (await qt.get(f"/revocations/{r.json()['id']}", role="auditor")).json()
    assert stored["reason"] == "fraud" and stored["recognition_ids"] == [rid]
    after = (await qt.get(f"/recognitions/{rid}")).json()
    assert after["revoked_by"] == r.json()["id"] and after["revoked_reason"] == "fraud"
    twice = await qt.post("/revocations", {**body, "number": "13/QĐ-UBND"}, role="signer")
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["code"] == "already_revoked"
    bad_reason = await qt.post("/revocations", {**body, "reason": "politics"}, role="signer")
    assert bad_reason.status_code == 422 and bad_reason.json()["field"] == "reason"

    fixed = await qt.post(
        f"/decisions/{decision['id']}/corrections",
        {
            "number": "101/QĐ-UBND",
            "signer": {"name": "Nguyễn Văn Bính", "position": "Chủ tịch"},
            "reason": "sai tên người ký",
        },
        role="signer",
    )
    assert fixed.status_code == 200
    assert fixed.json()["signer"]["name"] == "Nguyễn Văn Bính"
    assert fixed.json()["corrections"] == ["sai tên người ký"]


async def test_authority_matrix_and_criteria_sets(qt: Province) -> None:
    rows = (await qt.get("/authority-matrix")).json()["rows"]
    assert any(r["deciding_office"] == "district_education_head" for r in rows)
    hh = [r for r in rows if r["title"] == "learning_household"]
    hh[0]["direct_allowed"] = False
    r = await qt.client.put(
        qt.url("/authority-matrix"), json={"rows": rows}, headers=qt.keys["tenant_admin"]
    )
    assert r.status_code == 200, r.text
    (household,) = await qt.households(1)
    r = await qt.post("/decisions", qt.household_decision([household]), role="signer")
    assert r.json()["errors"][0]["code"] == "nomination_approved"
    overlap = await qt.client.put(
        qt.url("/authority-matrix"), json={"rows": rows + rows[:1]}, headers=qt.keys["tenant_admin"]
    )
    assert overlap.status_code == 422 and overlap.json()["code"] == "deciding_authority"
    assert (
        await qt.client.put(
            qt.url("/authority-matrix"), json={"rows": rows}, headers=qt.keys["officer"]
        )
    ).status_code == 403

    sets = (await qt.get("/criteria-sets")).json()["items"]
    assert {(s["title"], s["tier"]) for s in sets} >= {
        ("learning_household", "commune"),
        ("learning_community", "commune"),
    }
    mine = {
        "title": "learning_household",
        "tier": "commune",
        "edition": "qt-2026",
        "scheme": "points",
        "name": "GĐHT Quảng Trị",
        "legal_basis": "QĐ 1/QĐ-UBND",
        "effective_from": "2026-01-01",
        "pass_mark": "70",
        "criteria": [
            {
                "code": "1",
                "name": "Học tập",
                "indicators": [{"code": "1.1", "text": "Trẻ em đi học", "max_points": "100"}],
            }
        ],
    }
    r = await qt.post("/criteria-sets", mine, role="tenant_admin")
    assert r.status_code == 201, r.text
    again = await qt.post("/criteria-sets", mine, role="tenant_admin")
    assert again.status_code == 409
    too_high = await qt.post(
        "/criteria-sets", {**mine, "edition": "x", "pass_mark": "101"}, role="tenant_admin"
    )
    assert too_high.status_code == 422 and too_high.json()["field"] == "pass_mark"


TENANT_ROUTES = [
    ("POST", "/subjects", {"kind": "household", "name": "X"}),
    ("POST", "/subjects/bulk", {"items": [{"kind": "household", "name": "X"}]}),
    ("GET", "/subjects/{id}", None),
    ("POST", "/subjects/{id}/corrections", {"reason": "x"}),
    ("POST", "/nominations", {}),
    ("GET", "/nominations/{id}", None),
    ("POST", "/nominations/{id}/submit", {}),
    ("POST", "/decisions", {}),
    ("GET", "/decisions/{id}", None),
    ("POST", "/decisions/{id}/corrections", {"reason": "x"}),
    ("POST", "/revocations", {}),
    ("GET", "/revocations/{id}", None),
    ("GET", "/recognitions/{id}", None),
    ("GET", "/authority-matrix", None),
    ("PUT", "/authority-matrix", {"rows": []}),
    ("GET", "/criteria-sets", None),
    ("POST", "/criteria-sets", {}),
    ("GET", "/units", None),
    ("GET", "/units/{id}", None),
    ("POST", "/units/villages", {}),
    ("POST", "/units/villages/bulk", {}),
    ("POST", "/units/{id}/changes", {}),
    ("POST", "/subjects/import", None),
    ("GET", "/registers/recognitions?title=learning_household&year=2024", None),
    ("GET", "/bonus-tables", None),
]


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ROUTES)
async def test_every_route_hides_other_tenants(
    client: httpx.AsyncClient, qt: Province, method: str, path: str, body: Any
) -> None:
    other = await open_province(client, "ha-noi", "01")
    (subject,) = await qt.households(1)
    url = qt.url(path.format(id=subject))
    for role, key in other.keys.items():
        r = await client.request(method, url, json=body, headers=key)
        assert r.status_code == 404, (role, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
