"""The read side over HTTP (issue 9): registry, listings, search, paging, as-of, valid-on,
read-your-writes, CSV, histories, the audit trail, and other tenants' 404."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.province import COMMUNE, COMMUNE_ISSUER, SIGNER, Province, open_province
from tests.test_recognition_api import nomination_for

OLD_COMMUNE = "19477"  # merged into 19483 on 1 July 2025


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def read(qt: Province, path: str, role: str = "auditor", **params: Any) -> dict[str, Any]:
    r = await qt.client.get(qt.url(path), params=params, headers=qt.keys[role])
    assert r.status_code == 200, r.text
    assert int(r.headers["KH-Position"]) >= int(params.get("min_position", 0))
    body: dict[str, Any] = r.json()
    return body


async def write(qt: Province, path: str, body: Any, role: str = "officer") -> httpx.Response:
    r = await qt.post(path, body, role=role)
    assert r.status_code in (200, 201), r.text
    assert int(r.headers["KH-Position"]) > 0
    return r


async def registered(qt: Province, items: list[dict[str, Any]]) -> tuple[list[str], str]:
    r = await write(qt, "/subjects/bulk", {"items": items})
    return r.json()["ids"], r.headers["KH-Position"]


def revocation(rid: str, number: str = "12/QĐ-UBND", reason: str = "fraud") -> dict[str, Any]:
    return {
        "number": number,
        "signed_on": "2025-06-01",
        "issuer": COMMUNE_ISSUER,
        "signer": SIGNER,
        "reason": reason,
        "explanation": "Kê khai không trung thực",
        "recognition_ids": [rid],
    }


async def test_the_registry_lists_searches_and_filters(qt: Province) -> None:
    ids, _ = await registered(
        qt,
        [
            {
                "kind": "household",
                "name": "Hộ ông Nguyễn Văn An",
                "commune_code": COMMUNE,
                "ref": "A",
            },
            {
                "kind": "household",
                "name": "Hộ bà Đặng Thị Đào",
                "commune_code": OLD_COMMUNE,
                "ref": "B",
            },
            {"kind": "household", "name": "Hộ ông Lê Văn Tám", "commune_code": COMMUNE, "ref": "C"},
        ],
    )
    seen = (await write(qt, "/decisions", qt.household_decision(ids), "signer")).headers[
        "KH-Position"
    ]
    page = await read(qt, "/registry", min_position=seen)
    assert page["total"] == 3 and page["next_cursor"] is None
    row = next(i for i in page["items"] if i["subject_name"] == "Hộ ông Nguyễn Văn An")
    assert row | {"recognition_id": None, "subject_id": None, "decision_id": None} == {
        "recognition_id": None,
        "subject_id": None,
        "subject_name": "Hộ ông Nguyễn Văn An",
        "subject_kind": "household",
        "title": "learning_household",
        "tier": "commune",
        "level": None,
        "year": 2024,
        "commune_code": COMMUNE,
        "commune_name": row["commune_name"],
        "village_code": None,
        "decision_id": None,
        "decision_number": "101/QĐ-UBND",
        "signed_on": "2025-01-15",
        "valid_until": "2025-12-31",
        "status": "lapsed",  # points scheme: valid through the next year only
        "revocation_reason": None,
    }
    assert row["commune_name"]

    async def names(**params: Any) -> list[str]:
        found = await read(qt, "/registry", **params)
        return sorted(i["subject_name"] for i in found["items"])

    assert await names(q="nguyen van") == ["Hộ ông Nguyễn Văn An"]
    assert await names(q="NGUYỄN") == ["Hộ ông Nguyễn Văn An"]
    assert await names(q="dang thi dao") == ["Hộ bà Đặng Thị Đào"]
    assert await names(q="đ") == await names(q="d") == ["Hộ bà Đặng Thị Đào"]
    assert await names(q="van") == ["Hộ ông Lê Văn Tám", "Hộ ông Nguyễn Văn An"]
    assert await names(q="an") == ["Hộ ông Nguyễn Văn An"]  # word prefixes, not infixes
    assert await names(q="zzz") == []
    # A commune in force today also finds records kept under its legacy communes.
    assert len(await names(commune_code=COMMUNE)) == 3
    assert await names(commune_code=OLD_COMMUNE) == ["Hộ bà Đặng Thị Đào"]
    assert len(await names(title="learning_household", year=2024, status="lapsed")) == 3
    assert await names(year=2023) == []
    assert await names(subject_kind="clan") == []


async def test_pages_stay_stable_while_rows_are_inserted(qt: Province) -> None:
    items = [{"kind": "household", "name": f"Hộ {i:03}", "ref": f"P{i}"} for i in range(25)]
    _, seen = await registered(qt, items)
    first = await read(qt, "/subjects", limit=10, min_position=seen)
    assert first["total"] == 25 and len(first["items"]) == 10 and first["next_cursor"]
    later = [{"kind": "household", "name": f"Hộ mới {i}", "ref": f"Q{i}"} for i in range(7)]
    _, seen = await registered(qt, later)
    names = [i["name"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = await read(qt, "/subjects", limit=10, cursor=cursor, min_position=seen)
        names += [i["name"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert names == [f"Hộ {i:03}" for i in range(25)] + [f"Hộ mới {i}" for i in range(7)]
    bad = await qt.client.get(
        qt.url("/subjects"), params={"cursor": "nope"}, headers=qt.keys["auditor"]
    )
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"


async def test_as_of_and_valid_on_after_a_late_revocation_and_correction(qt: Province) -> None:
    ids, _ = await registered(
        qt, [{"kind": "household", "name": "Hộ ông Hùng", "commune_code": COMMUNE, "ref": "H"}]
    )
    seen = (await write(qt, "/decisions", qt.household_decision(ids), "signer")).headers[
        "KH-Position"
    ]
    granted = (await read(qt, "/registry", min_position=seen))["items"][0]
    before_revocation = datetime.now(UTC).isoformat()
    await write(qt, "/revocations", revocation(granted["recognition_id"]), "signer")
    seen = (
        await write(
            qt, f"/subjects/{ids[0]}/corrections", {"reason": "sai tên", "name": "Hộ ông Hưng"}
        )
    ).headers["KH-Position"]

    now = await read(qt, "/registry", min_position=seen)
    assert [(i["subject_name"], i["status"]) for i in now["items"]] == [("Hộ ông Hưng", "revoked")]
    then = await read(qt, "/registry", as_of=before_revocation)
    assert [(i["subject_name"], i["status"]) for i in then["items"]] == [("Hộ ông Hùng", "lapsed")]
    assert (await read(qt, "/registry", as_of="2020-01-01T00:00:00+07:00"))["total"] == 0
    # On 1 June 2025 the registry of then said "held"; known now, the revocation voids it.
    held_then = await read(qt, "/registry", as_of=before_revocation, valid_on="2025-03-01")
    assert held_then["total"] == 1 and held_then["items"][0]["status"] == "active"
    assert (await read(qt, "/registry", valid_on="2025-03-01"))["total"] == 0
    assert (await read(qt, "/registry", status="revoked"))["total"] == 1
    naive = await qt.client.get(
        qt.url("/registry"), params={"as_of": "2025-01-01T00:00:00"}, headers=qt.keys["auditor"]
    )
    assert naive.status_code == 422 and naive.json()["field"] == "as_of"


async def test_read_your_writes_without_sleeping(qt: Province) -> None:
    for i in range(5):
        r = await write(qt, "/subjects", {"kind": "citizen", "name": f"Công dân {i}"})
        page = await read(qt, "/subjects", min_position=r.headers["KH-Position"])
        assert page["total"] == i + 1
    past = await qt.client.get(
        qt.url("/subjects"), params={"min_position": 10**9}, headers=qt.keys["auditor"]
    )
    assert past.status_code == 422 and past.json()["field"] == "min_position"


async def test_csv_streams_the_same_rows_for_excel(qt: Province) -> None:
    _, seen = await registered(
        qt,
        [
            {"kind": "citizen", "name": "Lê Thị Hoa", "citizen_id": "045190120778"},
            {"kind": "clan", "name": "Dòng họ Lê", "ref": "LE"},
        ],
    )
    r = await qt.client.get(
        qt.url("/subjects"),
        params={"format": "csv", "min_position": seen},
        headers=qt.keys["auditor"],
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(x["name"], x["citizen_id"]) for x in rows] == [
        ("Lê Thị Hoa", "********0778"),  # masked for auditors, as on the single read
        ("Dòng họ Lê", ""),
    ]
    full = await read(qt, "/subjects", role="officer", kind="citizen")
    assert full["items"][0]["citizen_id"] == "045190120778"


async def test_the_chain_starts_at_the_nomination(qt: Province) -> None:
    (subject,) = await qt.households(1)
    n = await nomination_for(qt, subject)
    nid = n["id"]
    await write(qt, f"/nominations/{nid}/submit", {})
    await write(qt, f"/nominations/{nid}/review", {"scores": n["scores"]}, "reviewer")
    await write(qt, f"/nominations/{nid}/approve", {}, "reviewer")
    decision = qt.household_decision([subject])
    decision["recipients"] = [{"subject_id": subject, "nomination_id": nid}]
    seen = (await write(qt, "/decisions", decision, "signer")).headers["KH-Position"]
    listed = await read(qt, "/nominations", status="approved", min_position=seen)
    assert [i["id"] for i in listed["items"]] == [nid]
    rid = (await read(qt, "/registry"))["items"][0]["recognition_id"]
    chain = await read(qt, f"/recognitions/{rid}/trail")
    assert [(i["event"], i["role"]) for i in chain["items"]] == [
        ("nomination.created", "officer"),
        ("nomination.submitted", "officer"),
        ("nomination.reviewed", "reviewer"),
        ("nomination.approved", "reviewer"),
        ("decision.recorded", "signer"),
        ("recognition.granted", "signer"),
    ]
    assert {i["subject_id"] for i in chain["items"][:4]} == {subject}


async def test_history_and_the_chain_of_a_recognition(qt: Province) -> None:
    ids, _ = await registered(
        qt, [{"kind": "household", "name": "Hộ ông Tư", "commune_code": COMMUNE, "ref": "T"}]
    )
    decision = qt.household_decision(ids)
    seen = (await write(qt, "/decisions", decision, "signer")).headers["KH-Position"]
    rid = (await read(qt, "/registry", min_position=seen))["items"][0]["recognition_id"]
    await write(qt, "/revocations", revocation(rid), "signer")
    seen = (
        await write(qt, f"/subjects/{ids[0]}/corrections", {"reason": "sai", "name": "Hộ ông Tứ"})
    ).headers["KH-Position"]

    history = await read(qt, f"/subjects/{ids[0]}/history", min_position=seen)
    assert [i["event"] for i in history["items"]] == [
        "subject.registered",
        "recognition.granted",
        "recognition.revoked",
        "subject.corrected",
    ]
    positions = [i["position"] for i in history["items"]]
    assert positions == sorted(positions)
    chain = await read(qt, f"/recognitions/{rid}/trail", min_position=seen)
    assert [i["event"] for i in chain["items"]] == [
        "decision.recorded",
        "recognition.granted",
        "revocation.recorded",
        "recognition.revoked",
    ]
    revoked = chain["items"][-1]
    assert revoked["role"] == "signer" and revoked["actor"].startswith("signer:")
    assert revoked["reason"] == "fraud" and revoked["decision_number"] == "12/QĐ-UBND"

    trail = await read(qt, "/audit/trail", subject_id=ids[0], min_position=seen)
    assert len(trail["items"]) == 4
    by_decision = await read(qt, "/audit/trail", decision_id=revoked["decision_id"])
    assert {i["event"] for i in by_decision["items"]} == {
        "revocation.recorded",
        "recognition.revoked",
    }
    r = await qt.client.get(
        qt.url("/audit/trail"), params={"format": "csv"}, headers=qt.keys["auditor"]
    )
    assert "recognition.revoked" in r.content.decode("utf-8-sig")
    missing = await qt.client.get(
        qt.url("/recognitions/00000000-0000-4000-8000-000000000000/trail"),
        headers=qt.keys["auditor"],
    )
    assert missing.status_code == 404


async def test_listings_of_decisions_and_registers_keep_their_contract(qt: Province) -> None:
    ids, _ = await registered(
        qt,
        [
            {"kind": "household", "name": f"Hộ {i}", "commune_code": COMMUNE, "ref": f"R{i}"}
            for i in range(3)
        ],
    )
    seen = (await write(qt, "/decisions", qt.household_decision(ids), "signer")).headers[
        "KH-Position"
    ]
    decisions = await read(qt, "/decisions", min_position=seen, year=2024)
    assert decisions["total"] == 1
    assert decisions["items"][0]["recipient_count"] == 3
    assert decisions["items"][0]["number"] == "101/QĐ-UBND"
    assert (await read(qt, "/decisions", signed_from="2025-02-01"))["total"] == 0
    register = await read(
        qt, "/registers/recognitions", title="learning_household", year=2024, min_position=seen
    )
    assert register["total"] == 3
    fixed = await write(
        qt,
        f"/decisions/{decisions['items'][0]['id']}/corrections",
        {"reason": "in sai số", "number": "102/QĐ-UBND"},
        "signer",
    )
    after = await read(qt, "/registry", min_position=fixed.headers["KH-Position"])
    assert {i["decision_number"] for i in after["items"]} == {"102/QĐ-UBND"}


NEW_READ_ROUTES = [
    "/registry",
    "/subjects",
    "/nominations",
    "/decisions",
    "/award-decisions",
    "/awards",
    "/audit/trail",
    "/subjects/{sid}/history",
    "/recognitions/{rid}/trail",
    "/awards/00000000-0000-4000-8000-000000000000/trail",
]


async def test_every_new_route_hides_other_tenants(client: httpx.AsyncClient) -> None:
    qt = await open_province(client, "quang-tri", "44")
    hue = await open_province(client, "hue", "46")
    ids, _ = await registered(qt, [{"kind": "household", "name": "Hộ A", "ref": "X"}])
    seen = (await write(qt, "/decisions", qt.household_decision(ids), "signer")).headers[
        "KH-Position"
    ]
    rid = (await read(qt, "/registry", min_position=seen))["items"][0]["recognition_id"]
    for route in NEW_READ_ROUTES:
        path = route.format(sid=ids[0], rid=rid)
        mine = await qt.client.get(qt.url(path), headers=qt.keys["auditor"])
        assert mine.status_code in (200, 404), (path, mine.text)
        theirs = await qt.client.get(f"/v1/t/quang-tri{path}", headers=hue.keys["auditor"])
        assert theirs.status_code == 404, (path, theirs.text)
        assert "Hộ A" not in theirs.text
        integrator = await qt.client.get(qt.url(path), headers=qt.keys["integrator"])
        assert integrator.status_code == 403, path
