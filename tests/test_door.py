"""What every request passes at the door (issue 7): bounded nesting, no control characters in
paths, text stored NFC and trimmed, every fault listed under the request's own field names,
one shape for every signed act's number, and a 413 that states its limit."""

from __future__ import annotations

import unicodedata
from typing import Any

import httpx
import pytest

from tests.province import COMMUNE, COMMUNE_ISSUER, SIGNER, Province, open_province
from tests.test_awards_api import INTERIM, PROVINCE, award_decision, line

PROBLEM = "application/problem+json"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


# --- nesting and control characters ------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 971, 1000, 100_000])
async def test_deep_nesting_is_a_400_not_a_500(qt: Province, depth: int) -> None:
    body = b'{"items": ' + b"[" * depth + b"]" * depth + b"}"
    admin: dict[str, str] = {}  # the client's own key is the platform admin's
    for path, key in (("/v1/tenants", admin), (qt.url("/subjects/bulk"), qt.keys["officer"])):
        r = await qt.client.post(
            path, content=body, headers={**key, "Content-Type": "application/json"}
        )
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["code"] == "nesting_too_deep"
        assert "32" in r.json()["detail"]


@pytest.mark.parametrize("body", [b"null", b"1", b'"text"', b"true", b"[]"])
async def test_a_body_that_is_not_an_object_is_a_422(qt: Province, body: bytes) -> None:
    r = await qt.client.post(
        qt.url("/subjects"),
        content=body,
        headers={**qt.keys["officer"], "Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/t/qu%00ang-tri"),
        ("GET", "/v1/t/qu%00ang-tri/subjects/00000000-0000-0000-0000-000000000000"),
        ("POST", "/v1/t/qu%00ang-tri/subjects"),
        ("GET", "/v1/tenants/%00"),
        ("GET", "/v1/tenants/quang%00tri/api-keys"),
        ("POST", "/v1/tenants/quang%00tri/api-keys"),
        ("GET", "/v1/t/quang-tri/registers/recognitions?title=learning_household&year=2024&by=%00"),
    ],
)
async def test_nul_in_path_or_query_is_refused(qt: Province, method: str, path: str) -> None:
    r = await qt.client.request(method, path, json={"name": "x", "role": "officer"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["field"] in ("slug", "by")


# --- text: NFC, trimmed, zero-width ------------------------------------------------------


async def test_the_same_ref_in_nfd_or_padded_is_the_same_household(qt: Province) -> None:
    ref = "SHK-Nguyễn-0001"
    first = await qt.post("/subjects", {"kind": "household", "name": "Hộ ông An", "ref": ref})
    assert first.status_code == 201
    for variant in (nfd(ref), f"  {ref}\t", f"\u200b{nfd(ref)} "):
        again = await qt.post("/subjects", {"kind": "household", "name": "Hộ", "ref": variant})
        assert again.status_code == 422, again.text
        assert again.json()["errors"][0]["code"] == "duplicate_subject"


async def test_names_come_back_nfc_and_zero_width_names_are_empty(qt: Province) -> None:
    r = await qt.post("/subjects", {"kind": "household", "name": nfd(" Hộ ông Lê Văn Hùng ")})
    assert r.json()["name"] == "Hộ ông Lê Văn Hùng"
    assert unicodedata.is_normalized("NFC", r.json()["name"])
    empty = await qt.post("/subjects", {"kind": "household", "name": "\u200b\u200c\ufeff"})
    assert empty.status_code == 422 and empty.json()["field"] == "name"


async def test_every_text_of_signed_acts_is_stored_nfc(qt: Province) -> None:
    ids = await qt.households(1)
    decision = qt.household_decision(ids)
    decision["issuer"] = {**COMMUNE_ISSUER, "name": nfd("UBND xã Gio Linh")}
    decision["signer"] = {"name": nfd("Nguyễn Văn Bình"), "position": nfd("Chủ tịch")}
    r = await qt.post("/decisions", decision, role="signer")
    assert r.status_code == 201, r.text
    stored = (await qt.get(f"/decisions/{r.json()['id']}", role="auditor")).json()
    assert stored["issuer"]["name"] == "UBND xã Gio Linh"
    assert stored["signer"] == {"name": "Nguyễn Văn Bình", "position": "Chủ tịch"}

    rec = await qt.client.get(
        qt.url("/recognitions"),
        params={"subject_id": ids[0], "title": "learning_household", "year": 2024},
        headers=qt.keys["officer"],
    )
    revocation = {
        "number": "12/QĐ-UBND",
        "signed_on": "2025-06-01",
        "issuer": COMMUNE_ISSUER,
        "signer": SIGNER,
        "reason": "fraud",
        "explanation": nfd("Kê khai không trung thực"),
        "recognition_ids": [rec.json()["id"]],
    }
    r = await qt.post("/revocations", revocation, role="signer")
    assert r.status_code == 201, r.text
    assert (await qt.get(f"/revocations/{r.json()['id']}")).json()["explanation"] == (
        "Kê khai không trung thực"
    )

    person = (await qt.post("/subjects", {"kind": "citizen", "name": "Lê Văn Tám"})).json()["id"]
    award_line = {**line(person), "citation": nfd("Có thành tích xuất sắc ")}
    r = await qt.post("/award-decisions", award_decision([award_line]), role="signer")
    assert r.status_code == 201, r.text
    stored = (await qt.get(f"/award-decisions/{r.json()['id']}")).json()
    assert stored["recipients"][0]["citation"] == "Có thành tích xuất sắc"


# --- every fault, under the request's own names -----------------------------------------


async def test_a_body_with_four_faults_lists_four(qt: Province) -> None:
    body = {"kind": "citizen", "name": "", "citizen_id": "12", "birth_year": 1800, "zz": 1}
    r = await qt.post("/subjects", body)
    assert r.status_code == 422
    fields = [e["field"] for e in r.json()["errors"]]
    assert sorted(fields) == ["birth_year", "citizen_id", "name", "zz"]
    cccd = next(e for e in r.json()["errors"] if e["field"] == "citizen_id")
    assert cccd["message"] == "a citizen id (CCCD) has exactly 12 digits"


async def test_a_bulk_lists_malformed_and_unknown_items_together(qt: Province) -> None:
    items: list[dict[str, Any]] = [
        {"kind": "household", "name": "A", "commune_code": COMMUNE},
        {"kind": "citizen", "name": "B", "citizen_id": "0441"},
        {"kind": "household", "name": "C", "commune_code": COMMUNE},
        {"kind": "household", "name": "D", "commune_code": "99999"},
        {"kind": "household", "name": "", "commune_code": "1"},
    ]
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == [
        "items[1].citizen_id",
        "items[3].commune_code",
        "items[4].name",
        "items[4].commune_code",
    ]
    listed = await qt.client.get(qt.url("/subjects/bulk"), headers=qt.keys["officer"])
    assert listed.status_code in (404, 405)  # nothing to list here; nothing was stored either
    assert (await qt.post("/subjects/bulk", {"items": items[:1]})).status_code == 201


async def test_field_names_are_the_requests_own(qt: Province) -> None:
    single = await qt.post("/subjects", {"kind": "household", "name": "A", "commune_code": "99999"})
    assert single.status_code == 422
    assert [e["field"] for e in single.json()["errors"]] == ["commune_code"]

    ids = await qt.households(1)
    await qt.post("/decisions", qt.household_decision(ids), role="signer")
    rec = await qt.client.get(
        qt.url("/recognitions"),
        params={"subject_id": ids[0], "title": "learning_household", "year": 2024},
        headers=qt.keys["officer"],
    )
    revocation = {
        "number": "12/QĐ-UBND",
        "signed_on": "2025-06-01",
        "issuer": COMMUNE_ISSUER,
        "signer": SIGNER,
        "reason": "fraud",
        "explanation": "Kê khai không trung thực",
        "recognition_ids": [rec.json()["id"], "00000000-0000-4000-8000-000000000000"],
    }
    r = await qt.post("/revocations", revocation, role="signer")
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["recognition_ids[1]"]

    missing = await qt.get("/registers/recognitions")
    assert missing.status_code == 422
    assert sorted(e["field"] for e in missing.json()["errors"]) == ["title", "year"]


# --- numbers of signed acts ---------------------------------------------------------------


@pytest.mark.parametrize("number", ["abc", "QĐ-UBND", "123//QĐ-UBND", "12/qđ-ubnd"])
async def test_every_signed_act_refuses_a_malformed_number(qt: Province, number: str) -> None:
    person = (await qt.post("/subjects", {"kind": "citizen", "name": "Lê Văn Tám"})).json()["id"]
    acts: list[tuple[str, dict[str, Any], str]] = [
        ("/decisions", qt.household_decision([person], number=number), "signer"),
        ("/award-decisions", award_decision([line(person)], number=number), "signer"),
        (
            "/revocations",
            {
                "number": number,
                "signed_on": "2025-06-01",
                "issuer": COMMUNE_ISSUER,
                "signer": SIGNER,
                "reason": "fraud",
                "explanation": "x",
                "recognition_ids": [person],
            },
            "signer",
        ),
        (
            "/award-annulments",
            {
                "number": number,
                "signed_on": "2026-06-01",
                "issuer": PROVINCE,
                "signer": SIGNER,
                "reason": "fraud",
                "explanation": "x",
                "award_ids": [person],
            },
            "signer",
        ),
        (
            "/award-proposals",
            {
                "number": number,
                "proposer": PROVINCE,
                "form": "province_certificate",
                "achievement": INTERIM,
                "lines": [line(person)],
                "report": {"file_name": "bc.pdf", "sha256": "d" * 64},
            },
            "officer",
        ),
    ]
    for path, body, role in acts:
        r = await qt.post(path, body, role=role)
        assert r.status_code == 422, (path, r.text)
        assert "number" in [e["field"] for e in r.json()["errors"]], (path, r.text)
        assert "123/QĐ-UBND" in r.json()["detail"], path


# --- limits -------------------------------------------------------------------------------


async def test_413_states_the_limit(client: httpx.AsyncClient) -> None:
    body = b'{"slug": "qt", "name": "' + b"x" * (3 * 1024 * 1024) + b'", "province_code": "44"}'
    r = await client.post("/v1/tenants", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "2 MiB (2,097,152 bytes)" in r.json()["detail"]
