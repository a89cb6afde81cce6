"""The public verification page (issue 12): no key, HTML or JSON, standing of a recognition or
award, nothing personal beyond the printed name, the inclusion proof checked independently
against the cosigned checkpoint, 404 for others' ids, and the per-address rate limit."""

from __future__ import annotations

import asyncio
import base64
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from kh_saas.settings import Settings
from kh_saas.transparency.checkpoint import parse_checkpoint
from kh_saas.transparency.merkle import leaf_hash, verify_inclusion
from kh_saas.transparency.notes import parse_note, parse_vkey, verify_note
from tests.conftest import ADMIN_KEY
from tests.province import COMMUNE, SIGNER, Province, open_province
from tests.test_awards_api import PROVINCE, award_decision, line

NO_KEY = {"Authorization": ""}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        admin_key=ADMIN_KEY,
        public_url="http://kh.test",
        verify_rate_limit=12,
        verify_rate_window=30,
    )


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def a_citizen_recognised(qt: Province, year: int = 2025) -> tuple[str, str]:
    r = await qt.post(
        "/subjects",
        {
            "kind": "citizen",
            "name": "Lê Thị Hoa",
            "commune_code": COMMUNE,
            "citizen_id": "045190120778",
            "birth_year": 1990,
        },
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    decision = {
        "number": "88/QĐ-UBND",
        "signed_on": f"{year}-11-20",
        "issuer": {"office": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE},
        "signer": SIGNER,
        "title": "learning_citizen",
        "tier": "commune",
        "year": year,
        "recipients": [{"subject_id": sid}],
    }
    d = await qt.post("/decisions", decision, role="signer")
    assert d.status_code == 201, d.text
    seen = d.headers["KH-Position"]
    page = await qt.client.get(
        qt.url("/registry"), params={"min_position": seen}, headers=qt.keys["auditor"]
    )
    rid: str = page.json()["items"][0]["recognition_id"]
    return rid, sid


async def verify(client: httpx.AsyncClient, path: str, **kw: Any) -> httpx.Response:
    headers = {**NO_KEY, **kw.pop("headers", {})}
    return await client.get(path, headers=headers, **kw)


async def with_proof(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    """The JSON once the log has a cosigned checkpoint over the event (within a second)."""
    for _ in range(100):
        body: dict[str, Any] = (await verify(client, path, params={"format": "json"})).json()
        if body["proof"] is not None:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError("no proof after 10 s")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: set[str] = set()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.sources += [v or "" for k, v in attrs if k in ("src", "href") and tag != "a"]

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def page_text(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


async def test_a_recognition_verifies_in_json_and_html(
    client: httpx.AsyncClient, qt: Province
) -> None:
    rid, _ = await a_citizen_recognised(qt)
    path = f"/verify/{qt.slug}/{rid}"
    body = await with_proof(client, path)
    assert {k: body[k] for k in ("genuine", "kind", "status", "name", "title", "year")} == {
        "genuine": True,
        "kind": "recognition",
        "status": "in_force",
        "name": "Lê Thị Hoa",
        "title": "learning_citizen",
        "year": 2025,
    }
    assert body["heading"] == "Công dân học tập"
    assert body["decision"] == {
        "number": "88/QĐ-UBND",
        "signed_on": "2025-11-20",
        "issuer": "UBND xã Gio Linh",
    }
    raw = (await verify(client, path, headers={"Accept": "application/json"})).text
    for personal in ("045190120778", "0778", "1990", "birth", "citizen_id", COMMUNE):
        assert personal not in raw, personal

    # Anyone can check the proof without trusting the page: leaf → path → signed root.
    proof = body["proof"]
    entry = proof["entry"].encode()
    assert f"originator {rid}\n".encode() in entry and b"Recognition.Granted" in entry
    assert base64.b64decode(proof["leaf_hash"]) == leaf_hash(entry)
    note = parse_note(proof["checkpoint"])
    verify_note(note, [parse_vkey(k) for k in proof["log_keys"]])
    checkpoint = parse_checkpoint(note.text)
    assert checkpoint.size == proof["tree_size"] and proof["root_matches"] is True
    verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        leaf_hash(entry),
        [base64.b64decode(h) for h in proof["inclusion_path"]],
        checkpoint.root,
    )
    # The public key the page shows is the one the auditors' API publishes.
    keys = (await qt.get("/audit/keys", role="auditor")).json()["keys"]
    assert proof["log_keys"] == [k["vkey"] for k in keys]

    html = await verify(client, path)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    parsed = page_text(html.text)
    text = " ".join(" ".join(parsed.parts).split())
    for shown in ("Lê Thị Hoa", "Công dân học tập", "2025", "Còn hiệu lực", "88/QĐ-UBND"):
        assert shown in text, shown
    assert "045190120778" not in html.text
    assert parsed.sources == [] and "script" not in parsed.tags  # self-contained: no CDN
    assert proof["checkpoint"].split("\n")[0] in html.text


async def test_revoked_lapsed_and_annulled(client: httpx.AsyncClient, qt: Province) -> None:
    rid, _ = await a_citizen_recognised(qt, year=2020)  # points scheme: valid through 2021
    r = await verify(client, f"/verify/{qt.slug}/{rid}", params={"format": "json"})
    assert r.json()["status"] == "lapsed" and r.json()["valid_until"] == "2021-12-31"
    revocation = {
        "number": "12/QĐ-UBND",
        "signed_on": "2025-06-01",
        "issuer": {"office": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE},
        "signer": SIGNER,
        "reason": "fraud",
        "explanation": "Kê khai không trung thực",
        "recognition_ids": [rid],
    }
    rv = await qt.post("/revocations", revocation, role="signer")
    assert rv.status_code == 201, rv.text
    await qt.client.get(
        qt.url("/registry"),
        params={"min_position": rv.headers["KH-Position"]},
        headers=qt.keys["auditor"],
    )
    body = (await verify(client, f"/verify/{qt.slug}/{rid}", params={"format": "json"})).json()
    assert body["status"] == "revoked" and body["status_text"] == "Đã bị thu hồi, hủy bỏ"
    assert body["ended_by"] == {
        "number": "12/QĐ-UBND",
        "signed_on": "2025-06-01",
        "issuer": "UBND xã Gio Linh",
    }
    assert "Đã bị thu hồi" in (await verify(client, f"/verify/{qt.slug}/{rid}")).text

    person = (await qt.post("/subjects", {"kind": "citizen", "name": "Trần Văn Ba"})).json()["id"]
    d = await qt.post("/award-decisions", award_decision([line(person)]), role="signer")
    aid = d.json()["recipients"][0]["award_id"]
    annul = {
        "number": "40/QĐ-UBND",
        "signed_on": "2026-05-01",
        "issuer": PROVINCE,
        "signer": SIGNER,
        "reason": "false_documents",
        "explanation": "Hồ sơ giả mạo",
        "award_ids": [aid],
    }
    await qt.client.get(
        qt.url("/awards"),
        params={"min_position": d.headers["KH-Position"]},
        headers=qt.keys["auditor"],
    )
    award = (await verify(client, f"/verify/{qt.slug}/{aid}?format=json")).json()
    assert award["kind"] == "award" and award["status"] == "in_force"
    assert award["form"] == "province_certificate" and award["year"] == 2026
    an = await qt.post("/award-annulments", annul, role="signer")
    assert an.status_code == 201, an.text
    await qt.client.get(
        qt.url("/awards"),
        params={"min_position": an.headers["KH-Position"]},
        headers=qt.keys["auditor"],
    )
    award = (await verify(client, f"/verify/{qt.slug}/{aid}?format=json")).json()
    assert award["status"] == "annulled" and award["ended_by"]["number"] == "40/QĐ-UBND"


async def test_unknown_ids_and_other_provinces_are_not_found(
    client: httpx.AsyncClient, qt: Province
) -> None:
    other = await open_province(client, "ha-noi", "01")
    rid, sid = await a_citizen_recognised(qt)
    for path in (
        f"/verify/{other.slug}/{rid}",  # another province's register
        f"/verify/no-such-province/{rid}",
        f"/verify/{qt.slug}/{sid}",  # a subject is not a certificate
        f"/verify/{qt.slug}/not-a-uuid",
    ):
        html = await verify(client, path)
        assert html.status_code == 404 and html.headers["content-type"].startswith("text/html")
        assert "Không tìm thấy" in html.text
        problem = await verify(client, path, headers={"Accept": "application/json"})
        assert problem.status_code == 404
        assert problem.headers["content-type"].startswith("application/problem+json")
        assert problem.json()["status"] == 404
    bad = await verify(client, f"/verify/{qt.slug}/{rid}", params={"format": "xml"})
    assert bad.status_code == 422 and bad.json()["field"] == "format"


async def test_each_address_is_rate_limited(client: httpx.AsyncClient, qt: Province) -> None:
    rid, _ = await a_citizen_recognised(qt)
    statuses = [
        (await verify(client, f"/verify/{qt.slug}/{rid}", params={"format": "json"})).status_code
        for _ in range(12)
    ]
    assert statuses == [200] * 12
    over = await verify(client, f"/verify/{qt.slug}/{rid}", params={"format": "json"})
    assert over.status_code == 429 and 1 <= int(over.headers["Retry-After"]) <= 30
    assert over.json()["type"].endswith("verify_throttled")
    html = await verify(client, f"/verify/{qt.slug}/{rid}")
    assert html.status_code == 429 and html.headers["Retry-After"]
    assert re.search(r"thử lại sau \d+ giây", html.text)
    # Keys are untouched: the limit is the public door's alone.
    assert (await qt.get("/registry", role="auditor")).status_code == 200
