"""Bulk registration from CSV and XLSX uploads."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import Workbook

from tests.province import COMMUNE, Province, open_province

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def upload(
    qt: Province, data: bytes, content_type: str, role: str = "officer"
) -> httpx.Response:
    return await qt.client.post(
        qt.url("/subjects/import"),
        content=data,
        headers={**qt.keys[role], "Content-Type": content_type},
    )


async def test_csv_with_vietnamese_headers(qt: Province) -> None:
    rows = ["Loại;Họ tên;Mã xã;Số hộ khẩu;Chủ hộ"] + [
        f"household;Hộ ông Nguyễn Văn {i};{COMMUNE};SHK-{i};Nguyễn Văn {i}" for i in range(200)
    ]
    r = await upload(qt, ("\ufeff" + "\n".join(rows)).encode(), CSV)
    assert r.status_code == 201, r.text
    assert r.json()["count"] == 200
    first = await qt.get(f"/subjects/{r.json()['ids'][0]}")
    assert first.json()["name"] == "Hộ ông Nguyễn Văn 0"
    assert first.json()["head_name"] == "Nguyễn Văn 0"


async def test_bad_rows_are_all_listed_and_nothing_is_stored(qt: Province) -> None:
    csv = (
        "kind,name,commune_code,ref,citizen_id\n"
        f"household,Hộ A,{COMMUNE},A-1,\n"
        f"household,Hộ B,123,A-2,\n"
        "citizen,Lê C,,A-3,12345\n"
        f"robot,D,{COMMUNE},A-4,\n"
    ).encode()
    r = await upload(qt, csv, CSV)
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == [
        "row 3, column commune_code",
        "row 4, column citizen_id",
        "row 5, column kind",
    ]
    ok = f"kind,name,commune_code,ref\nhousehold,Hộ A,{COMMUNE},A-1\n".encode()
    assert (await upload(qt, ok, CSV)).status_code == 201  # A-1 was not stored before


async def test_domain_errors_name_rows(qt: Province) -> None:
    csv = f"kind,name,commune_code,ref\nhousehold,Hộ A,{COMMUNE},A-1\nhousehold,Hộ B,00004,A-2\n"
    r = await upload(qt, csv.encode(), CSV)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "row 3, column commune_code",
            "code": "unknown_commune",
            "message": "00004 is not a commune of this province",
        }
    ]


async def test_xlsx_upload(qt: Province) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Loại", "Họ tên", "Số CCCD", "Năm sinh"])
    for i in range(50):
        ws.append(["citizen", f"Trần Thị {i}", f"0441900{i:05d}", 1990])
    buf = io.BytesIO()
    wb.save(buf)
    r = await upload(qt, buf.getvalue(), XLSX)
    assert r.status_code == 201, r.text
    assert r.json()["count"] == 50


async def test_upload_needs_an_officer(qt: Province) -> None:
    r = await upload(qt, b"kind,name\nhousehold,X\n", CSV, role="auditor")
    assert r.status_code == 403
