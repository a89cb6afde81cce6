"""Printable certificates (issue 12): one page per recipient, Vietnamese text read back from the
PDF, the QR code scanned off the rendered page and followed to the public verification page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pypdfium2
import pytest
import zxingcpp

from kh_saas.api import certificates as certificates_api
from kh_saas.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.province import COMMUNE, SIGNER, Province, open_province
from tests.test_awards_api import award_decision, citizen, line

VERIFY_BASE = "http://kh.test"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The certificates' QR codes lead to the test client's host."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        admin_key=ADMIN_KEY,
        public_url=VERIFY_BASE,
    )


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def scanned_urls(pdf: bytes) -> list[str]:
    """Render each page as a printer would (150 dpi) and scan it with a QR decoder."""
    doc = pypdfium2.PdfDocument(pdf)
    urls = []
    for i in range(len(doc)):
        image = doc[i].render(scale=150 / 72).to_pil()
        urls.extend(r.text for r in zxingcpp.read_barcodes(image))
    return urls


async def village(qt: Province, code: str, name: str) -> None:
    r = await qt.post(
        "/units/villages",
        {"commune_code": COMMUNE, "code": code, "name": name, "unit_type": "thon"},
        role="tenant_admin",
    )
    assert r.status_code == 201, r.text


async def households(qt: Province, names: list[str], village_code: str | None) -> list[str]:
    items = [
        {
            "kind": "household",
            "name": n,
            "commune_code": COMMUNE,
            "village_code": village_code,
            "ref": f"H{i}",
        }
        for i, n in enumerate(names)
    ]
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 201, r.text
    ids: list[str] = r.json()["ids"]
    return ids


async def certificates(qt: Province, path: str, seen: str, role: str = "auditor") -> httpx.Response:
    return await qt.client.get(qt.url(path), params={"min_position": seen}, headers=qt.keys[role])


async def test_recognition_certificates_print_and_verify(qt: Province) -> None:
    await village(qt, "DONG-HA", "Thôn Đông Hà")
    names = ["Hộ ông Nguyễn Văn Ấn", "Hộ bà Trần Thị Bích Ngọc", "Hộ ông Lê Văn Tám"]
    ids = await households(qt, names, "DONG-HA")
    decision = qt.household_decision(ids, number="123/QĐ-UBND", year=2025, signed_on="2025-11-20")
    decision["signer"] = {"name": "Lê Thị Hồng Nhung", "position": "KT. Chủ tịch, Phó Chủ tịch"}
    r = await qt.post("/decisions", decision, role="signer")
    assert r.status_code == 201, r.text
    did = r.json()["id"]

    got = await certificates(qt, f"/decisions/{did}/certificates.pdf", r.headers["KH-Position"])
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["KH-Certificates"] == "3" and got.headers["KH-Withheld"] == "0"
    texts = pages_text(got.content)
    assert len(texts) == 3
    first = " ".join(texts[0].split())
    for printed in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ GIO LINH",
        "GIẤY CÔNG NHẬN",
        "Hộ gia đình: Hộ ông Nguyễn Văn Ấn",
        "Thôn Đông Hà",
        "GIA ĐÌNH HỌC TẬP",
        "Năm 2025",
        "Quyết định số 123/QĐ-UBND ngày 20/11/2025 của UBND xã Gio Linh",
        "Gio Linh, ngày 20 tháng 11 năm 2025",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Lê Thị Hồng Nhung",
    ):
        assert printed in first, printed
    assert "Trần Thị Bích Ngọc" in texts[1] and "Lê Văn Tám" in texts[2]

    urls = scanned_urls(got.content)
    registry = (await qt.get("/registry", role="auditor")).json()["items"]
    by_name = {i["subject_name"]: i["recognition_id"] for i in registry}
    assert urls == [f"{VERIFY_BASE}/verify/{qt.slug}/{by_name[n]}" for n in names]
    assert all(u in " ".join(t.split()) for u, t in zip(urls, texts, strict=True))

    # The QR code leads to the public page (no key) that says it is genuine.
    page = await qt.client.get(
        urls[0].removeprefix(VERIFY_BASE),
        headers={"Authorization": "", "Accept": "application/json"},
    )
    assert page.status_code == 200, page.text
    assert page.json()["status"] == "in_force" and page.json()["name"] == names[0]


async def test_revoked_recipients_get_no_certificate(qt: Province) -> None:
    ids = await households(qt, ["Hộ ông Hùng", "Hộ bà Lan"], None)
    r = await qt.post("/decisions", qt.household_decision(ids, year=2025), role="signer")
    did = r.json()["id"]
    seen = r.headers["KH-Position"]
    items = (
        await qt.client.get(
            qt.url("/registry"), params={"min_position": seen}, headers=qt.keys["auditor"]
        )
    ).json()["items"]
    hung = next(i["recognition_id"] for i in items if i["subject_name"] == "Hộ ông Hùng")
    revocation = {
        "number": "12/QĐ-UBND",
        "signed_on": "2025-06-01",
        "issuer": {"office": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE},
        "signer": SIGNER,
        "reason": "fraud",
        "explanation": "Kê khai không trung thực",
        "recognition_ids": [hung],
    }
    rv = await qt.post("/revocations", revocation, role="signer")
    assert rv.status_code == 201, rv.text
    got = await certificates(qt, f"/decisions/{did}/certificates.pdf", rv.headers["KH-Position"])
    assert got.status_code == 200
    assert got.headers["KH-Certificates"] == "1" and got.headers["KH-Withheld"] == "1"
    [text] = pages_text(got.content)
    assert "Hộ bà Lan" in text and "Hùng" not in text


async def test_award_certificates_print_bang_khen(qt: Province) -> None:
    person = await citizen(qt, "Trần Thị Bích Ngọc")
    r = await qt.post("/award-decisions", award_decision([line(person)]), role="signer")
    assert r.status_code == 201, r.text
    did = r.json()["id"]
    aid = r.json()["recipients"][0]["award_id"]
    got = await certificates(
        qt, f"/award-decisions/{did}/certificates.pdf", r.headers["KH-Position"], "reviewer"
    )
    assert got.status_code == 200, got.text
    [text] = pages_text(got.content)
    flat = " ".join(text.split())
    for printed in (
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ",
        "BẰNG KHEN",
        "Ông (Bà): Trần Thị Bích Ngọc",
        "Đã có thành tích xuất sắc trong phong trào xây dựng xã hội học tập",
        "Giai đoạn 2023-2025",
        "Quyết định số 15/QĐ-UBND ngày 01/02/2026 của UBND tỉnh Quảng Trị",
        "Quảng Trị, ngày 01 tháng 02 năm 2026",
        "CHỦ TỊCH",
        SIGNER["name"],
    ):
        assert printed in flat, printed
    assert scanned_urls(got.content) == [f"{VERIFY_BASE}/verify/{qt.slug}/{aid}"]


async def test_certificates_refuse_what_is_not_theirs(client: httpx.AsyncClient) -> None:
    qt = await open_province(client)
    other = await open_province(client, "ha-noi", "01")
    ids = await households(qt, ["Hộ ông An"], None)
    r = await qt.post("/decisions", qt.household_decision(ids), role="signer")
    did, seen = r.json()["id"], r.headers["KH-Position"]
    # Readers may print; the integrator may not.
    for role in ("tenant_admin", "officer", "reviewer", "signer", "auditor"):
        assert (
            await certificates(qt, f"/decisions/{did}/certificates.pdf", seen, role)
        ).status_code == 200
    denied = await certificates(qt, f"/decisions/{did}/certificates.pdf", seen, "integrator")
    assert denied.status_code == 403
    # Another province's key, and another province's path, see nothing.
    for path in (f"/decisions/{did}/certificates.pdf", f"/award-decisions/{did}/certificates.pdf"):
        cross = await client.get(qt.url(path), headers=other.keys["auditor"])
        assert cross.status_code == 404
        theirs = await client.get(other.url(path), headers=other.keys["auditor"])
        assert theirs.status_code == 404 and theirs.json()["status"] == 404
    # A recognition decision is not an award decision.
    wrong = await certificates(qt, f"/award-decisions/{did}/certificates.pdf", seen)
    assert wrong.status_code == 404
    bad = await client.get(
        qt.url("/decisions/not-a-uuid/certificates.pdf"), headers=qt.keys["auditor"]
    )
    assert bad.status_code in (400, 404, 422)
    past: dict[str, Any] = (
        await client.get(
            qt.url(f"/decisions/{did}/certificates.pdf"),
            params={"min_position": 10**9},
            headers=qt.keys["auditor"],
        )
    ).json()
    assert past["status"] == 422 and past["field"] == "min_position"


async def test_large_decisions_print_in_parts(
    qt: Province, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(certificates_api, "PART_SIZE", 2)
    ids = await households(qt, ["Hộ Một", "Hộ Hai", "Hộ Ba"], None)
    r = await qt.post("/decisions", qt.household_decision(ids), role="signer")
    path = f"/decisions/{r.json()['id']}/certificates.pdf"
    first = await certificates(qt, path, r.headers["KH-Position"])
    assert (first.headers["KH-Part"], first.headers["KH-Parts"]) == ("1", "2")
    assert first.headers["Link"] == f'<{qt.url(path)}?part=2>; rel="next"'
    assert ["Hộ Một" in t for t in pages_text(first.content)] == [True, False]
    second = await qt.client.get(qt.url(path), params={"part": 2}, headers=qt.keys["auditor"])
    assert second.status_code == 200 and "Link" not in second.headers
    assert len(pages_text(second.content)) == 1 and "Hộ Ba" in pages_text(second.content)[0]
    beyond = await qt.client.get(qt.url(path), params={"part": 3}, headers=qt.keys["auditor"])
    assert beyond.status_code == 422 and beyond.json()["field"] == "part"
