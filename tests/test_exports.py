"""Exports (issue 12): the registry and every listing as XLSX (and CSV), reopened with openpyxl;
Vietnamese text, dates and masked ids intact; sheets roll over at Excel's row limit."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import httpx
import openpyxl
import pytest

from kh_saas.exports import xlsx_stream
from kh_saas.exports.xlsx_stream import MEDIA_TYPE, XlsxStream
from tests.province import COMMUNE, Province, open_province
from tests.test_awards_api import award_decision, citizen, line

LISTINGS = ["/registry", "/subjects", "/nominations", "/decisions", "/award-decisions", "/awards"]


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


def workbook(content: bytes) -> list[tuple[Any, ...]]:
    """Every row of every sheet (a full load: openpyxl parses each part, styles included)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows: list[tuple[Any, ...]] = []
    for sheet in book.worksheets:
        rows.extend(sheet.iter_rows(values_only=True))
    return rows


async def export(qt: Province, path: str, fmt: str, seen: str, role: str = "auditor") -> bytes:
    r = await qt.client.get(
        qt.url(path), params={"format": fmt, "min_position": seen}, headers=qt.keys[role]
    )
    assert r.status_code == 200, r.text
    return r.content


async def a_province_with_records(qt: Province) -> str:
    items = [
        {"kind": "household", "name": "Hộ ông Nguyễn Văn Ấn", "commune_code": COMMUNE, "ref": "A"},
        {"kind": "household", "name": "Hộ bà Đặng Thị Đào", "commune_code": COMMUNE, "ref": "B"},
        {"kind": "citizen", "name": "Lê Thị Hoa", "citizen_id": "045190120778"},
    ]
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 201, r.text
    ids = r.json()["ids"]
    d = await qt.post("/decisions", qt.household_decision(ids[:2], year=2025), role="signer")
    assert d.status_code == 201, d.text
    person = await citizen(qt, "Trần Thị Bích Ngọc")
    a = await qt.post("/award-decisions", award_decision([line(person)]), role="signer")
    assert a.status_code == 201, a.text
    return str(a.headers["KH-Position"])


async def test_the_registry_as_a_workbook(qt: Province) -> None:
    seen = await a_province_with_records(qt)
    r = await qt.client.get(
        qt.url("/registry"), params={"format": "xlsx", "min_position": seen},
        headers=qt.keys["auditor"],
    )  # fmt: skip
    assert r.status_code == 200
    assert r.headers["content-type"] == MEDIA_TYPE
    assert r.headers["content-disposition"] == 'attachment; filename="registry.xlsx"'
    header, *rows = workbook(r.content)
    assert header[:5] == ("recognition_id", "subject_id", "subject_name", "subject_kind", "title")
    got = {row[header.index("subject_name")]: dict(zip(header, row, strict=True)) for row in rows}
    assert sorted(got) == ["Hộ bà Đặng Thị Đào", "Hộ ông Nguyễn Văn Ấn"]
    an = got["Hộ ông Nguyễn Văn Ấn"]
    assert an["title"] == "learning_household" and an["year"] == 2025
    assert an["signed_on"] == datetime(2025, 1, 15)  # a real date, not text
    assert an["decision_number"] == "101/QĐ-UBND" and an["commune_name"]
    assert an["level"] is None and an["status"] in ("active", "lapsed")

    # The same rows as the JSON page and the CSV.
    page = (await qt.get("/registry", role="auditor")).json()
    text = (await export(qt, "/registry", "csv", seen)).decode("utf-8-sig")
    as_csv = list(csv.reader(io.StringIO(text)))
    assert len(rows) == page["total"] == len(as_csv) - 1 == 2
    assert as_csv[0] == list(header)


async def test_every_listing_exports_as_xlsx_and_csv(qt: Province) -> None:
    seen = await a_province_with_records(qt)
    for path in LISTINGS:
        header, *rows = workbook(await export(qt, path, "xlsx", seen))
        as_csv = list(
            csv.reader(io.StringIO((await export(qt, path, "csv", seen)).decode("utf-8-sig")))
        )
        assert as_csv[0] == list(header), path
        total = (await qt.get(path, role="auditor")).json()["total"]
        assert len(rows) == len(as_csv) - 1 == total, path
    subjects_header, *subjects = workbook(await export(qt, "/subjects", "xlsx", seen))
    cccd = subjects_header.index("citizen_id")
    hoa = next(s for s in subjects if s[subjects_header.index("name")] == "Lê Thị Hoa")
    assert hoa[cccd] == "********0778"  # masked for auditors, as in the JSON
    _, *full = workbook(await export(qt, "/subjects", "xlsx", seen, "officer"))
    assert "045190120778" in {s[cccd] for s in full}  # an officer needs the whole number
    awards_header, *awards = workbook(await export(qt, "/awards", "xlsx", seen))
    award = dict(zip(awards_header, awards[0], strict=True))
    assert award["subject_name"] == "Trần Thị Bích Ngọc" and award["status"] == "active"
    assert award["certificate_recovered"] is False and award["bonus_vnd"] > 0
    assert "xây dựng xã hội học tập" in award["citation"]


async def test_export_filters_and_refusals(client: httpx.AsyncClient, qt: Province) -> None:
    seen = await a_province_with_records(qt)
    header, *rows = workbook(
        (
            await qt.client.get(
                qt.url("/registry"),
                params={"format": "xlsx", "q": "dang thi", "min_position": seen},
                headers=qt.keys["auditor"],
            )
        ).content
    )
    assert [r[header.index("subject_name")] for r in rows] == ["Hộ bà Đặng Thị Đào"]
    bad = await qt.client.get(
        qt.url("/registry"), params={"format": "pdf"}, headers=qt.keys["auditor"]
    )
    assert bad.status_code in (400, 422) and "format" in bad.text
    other = await open_province(client, "ha-noi", "01")
    for path in LISTINGS:
        cross = await client.get(
            qt.url(path), params={"format": "xlsx"}, headers=other.keys["auditor"]
        )
        assert cross.status_code == 404, path
        denied = await client.get(
            qt.url(path), params={"format": "xlsx"}, headers=qt.keys["integrator"]
        )
        assert denied.status_code == 403, path


def test_sheets_roll_over_and_text_survives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 4)  # header + 3 rows per sheet
    hostile = ["  lề trái", "a < b & c > d", "tab\tin", "bell\x07gone", "Đặng Thị Đào", ""]
    book = XlsxStream("sổ: đăng ký/2025", ["name", "n", "day", "ok"],
                      kinds=["text", "number", "date", "bool"])  # fmt: skip
    rows = [(hostile[i % len(hostile)], i, date(2025, 1, 1 + i), i % 2 == 0) for i in range(10)]
    content = b"".join(book.rows(rows))
    opened = openpyxl.load_workbook(io.BytesIO(content))
    assert opened.sheetnames == ["sổ- đăng ký-2025", "sổ- đăng ký-2025 (2)",
                                 "sổ- đăng ký-2025 (3)", "sổ- đăng ký-2025 (4)"]  # fmt: skip
    values = []
    for sheet in opened.worksheets:
        header, *data = list(sheet.iter_rows(values_only=True))
        assert header == ("name", "n", "day", "ok")
        values.extend(data)
    assert [v[1] for v in values] == list(range(10))
    assert values[0][0] == "  lề trái" and values[1][0] == "a < b & c > d"
    assert values[2][0] == "tab\tin" and values[3][0] == "bellgone"  # XML cannot hold U+0007
    assert values[5][0] is None and values[4][0] == "Đặng Thị Đào"
    assert values[9][2] == datetime(2025, 1, 10) and values[0][3] is True


async def test_the_award_register_downloads(qt: Province) -> None:
    seen = await a_province_with_records(qt)
    json_register = (await qt.get(f"/registers/awards?min_position={seen}", role="auditor")).json()
    [counted] = json_register["items"]
    header, *rows = workbook(await export(qt, "/registers/awards", "xlsx", seen))
    assert header == ("form", "recipient_kind", "state_form", "count", "bonus_vnd")
    assert rows == [tuple(counted[h] for h in header)]
    assert rows[0][:4] == ("province_certificate", "individual", True, 1)
    r = await qt.client.get(
        qt.url("/registers/awards"),
        params={"format": "csv", "min_position": seen},
        headers=qt.keys["auditor"],
    )
    assert r.headers["content-disposition"] == 'attachment; filename="award-register.csv"'
    as_csv = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert as_csv == [list(header), ["province_certificate", "individual", "true", "1",
                                     str(counted["bonus_vnd"])]]  # fmt: skip
