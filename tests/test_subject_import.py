"""Bulk registration from CSV and XLSX uploads."""

from __future__ import annotations

import io
import unicodedata

import httpx
import pytest
from openpyxl import Workbook

from tests import hostile_sheets
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


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_coded_values_in_vietnamese_words_with_or_without_accents(qt: Province) -> None:
    rows = [
        "Loại;Họ tên;Mã xã;Số hộ khẩu;Loại cộng đồng;Mã địa bàn;Loại đơn vị;Cấp quản lý",
        f"Hộ gia đình;Hộ ông Lê Văn Hùng;{COMMUNE};VN-1;;;;",
        f"ho gia dinh;Hộ bà Trần Thị Lan;{COMMUNE};VN-2;;;;",
        f"Dòng họ;Dòng họ Nguyễn;{COMMUNE};VN-3;;;;",
        f"DONG HO;Dòng họ Lê;{COMMUNE};VN-4;;;;",
        f"Công dân;Phạm Văn Bình;{COMMUNE};VN-5;;;;",
        f"cong dan;Võ Thị Yến;{COMMUNE};VN-6;;;;",
        f"Cộng đồng;Thôn Đông;{COMMUNE};VN-7;Thôn;{COMMUNE}-01;;",
        f"cong dong;Xã Gio Linh;{COMMUNE};VN-8;xa;{COMMUNE};;",
        f"Đơn vị;Trường THCS Gio Linh;{COMMUNE};VN-9;;;Trường học;Cấp xã",
        f"don vi;UBND xã Gio Linh;{COMMUNE};VN-10;;;co quan;tinh",
    ]
    r = await upload(qt, "\n".join(rows).encode(), CSV)
    assert r.status_code == 201, r.text
    stored = [(await qt.get(f"/subjects/{i}")).json() for i in r.json()["ids"]]
    assert [s["kind"] for s in stored] == [
        *("household", "household", "clan", "clan", "citizen", "citizen"),
        *("community", "community", "unit", "unit"),
    ]
    assert [s.get("community_kind") for s in stored[6:8]] == ["village", "commune"]
    assert [(s["unit_kind"], s["managing_tier"]) for s in stored[8:]] == [
        ("school", "commune"),
        ("agency", "province"),
    ]


async def test_an_unknown_word_lists_the_accepted_ones(qt: Province) -> None:
    r = await upload(qt, f"Loại,Họ tên,Mã xã\nHộ nghèo,Hộ A,{COMMUNE}\n".encode(), CSV)
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "row 2, column Loại"
    assert "household (hộ gia đình)" in error["message"]
    assert "citizen (công dân)" in error["message"]


async def test_an_unbalanced_quote_names_its_row_and_stores_nothing(qt: Province) -> None:
    csv = (
        "Loại,Họ tên,Mã xã,Số hộ khẩu\n"
        f"household,Hộ A,{COMMUNE},Q-1\n"
        f'household,"Hộ B,{COMMUNE},Q-2\n'  # the quote is never closed
        f"household,Hộ C,{COMMUNE},Q-3\n"
        f"household,Hộ D,{COMMUNE},Q-4\n"
    ).encode()
    r = await upload(qt, csv, CSV)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["row 3"]
    assert "never closed" in r.json()["errors"][0]["message"]
    again = "Loại,Họ tên,Mã xã,Số hộ khẩu\n" + "".join(
        f"household,Hộ {n},{COMMUNE},Q-{i}\n" for i, n in enumerate("ABCD", 1)
    )
    r = await upload(qt, again.encode(), CSV)
    assert r.status_code == 201, r.text  # none of them was stored the first time
    assert r.json()["count"] == 4


async def test_sheet_and_domain_faults_in_every_row_are_listed_together(qt: Province) -> None:
    csv = (
        "Loại,Họ tên,Mã xã,Số hộ khẩu,Loại cộng đồng\n"
        f"household,Hộ A,{COMMUNE},F-1,\n"
        f"household,Hộ B,123,F-2,\n"  # a bad cell
        f"household,Hộ C,{COMMUNE}\n"  # cells missing
        f"household,Hộ D,00004,F-4,\n"  # not a commune of the province (domain)
        f'household,"Hộ "E"",{COMMUNE},F-5,\n'  # a quote out of place
        f"household,Hộ F,{COMMUNE},F-1,\n"  # the same household as row 2 (domain)
        f"Cộng đồng,Thôn G,{COMMUNE},F-7,\n"  # a community needs its kind (domain)
        f"robot,Hộ H,{COMMUNE},F-8,làng\n"  # two bad cells
    ).encode()
    r = await upload(qt, csv, CSV)
    assert r.status_code == 422, r.text
    body = r.json()
    assert [(e["field"], e.get("code")) for e in body["errors"]] == [
        ("row 3, column Mã xã", None),
        ("row 4", None),
        ("row 5, column Mã xã", "unknown_commune"),
        ("row 6", None),
        ("row 7, column Số hộ khẩu", "duplicate_subject"),
        ("row 8, column Loại cộng đồng", "missing_detail"),  # its header as written
        ("row 9, column Loại", None),
    ]
    assert body["errors"][4]["message"] == "same subject as row 2"
    assert body["detail"].startswith("7 problem(s) in the upload; nothing was stored")


async def test_domain_errors_name_the_spreadsheet_row_past_blank_rows(qt: Province) -> None:
    csv = f"\nLoại,Họ tên,Mã xã\n\nhousehold,Hộ A,{COMMUNE}\n\n\nhousehold,Hộ B,00004\n"
    r = await upload(qt, csv.encode(), CSV)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["row 7, column Mã xã"]


async def test_at_most_a_thousand_errors_are_listed_saying_so(qt: Province) -> None:
    csv = "Loại,Họ tên,Mã xã\n" + "household,Hộ A,123\n" * 1_500
    r = await upload(qt, csv.encode(), CSV)
    assert r.status_code == 422
    body = r.json()
    assert len(body["errors"]) == 1_000
    assert body["errors"][-1]["field"] == "row 1001, column Mã xã"
    assert body["detail"] == (
        "1,500 problem(s) in the upload; nothing was stored; the first 1,000 are listed"
    )


@pytest.mark.parametrize("second", ["csv", "xlsx"])
async def test_the_same_household_from_a_mac_or_padded_is_refused(
    qt: Province, second: str
) -> None:
    first = f"Loại,Họ tên,Mã xã,Số hộ khẩu\nhousehold,Hộ ông Nguyễn Văn Đức,{COMMUNE},SHK-7\n"
    r = await upload(qt, first.encode(), CSV)
    assert r.status_code == 201, r.text
    name = unicodedata.normalize("NFD", "\u200b Hộ ông Nguyễn Văn Đức\u00a0")
    ref = "\u200bSHK-7 \ufeff"
    if second == "csv":
        data, kind = f"Loại,Họ tên,Mã xã,Số hộ khẩu\nhousehold,{name},{COMMUNE},{ref}\n", CSV
        r = await upload(qt, data.encode(), kind)
    else:
        rows = [["Loại", "Họ tên", "Mã xã", "Số hộ khẩu"], ["household", name, COMMUNE, ref]]
        r = await upload(qt, xlsx(rows), XLSX)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [
        {
            "field": "row 2, column Số hộ khẩu",
            "code": "duplicate_subject",
            "message": "already registered in this province",
        }
    ]


async def test_a_cell_of_invisible_characters_is_empty(qt: Province) -> None:
    rows = [["Loại", "Họ tên", "Mã xã", "Chủ hộ"], ["household", "\u200b\u200d", COMMUNE, "\ufeff"]]
    r = await upload(qt, xlsx(rows), XLSX)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "row 2, column Họ tên", "message": "a value is required"}
    ]
    rows[1][1] = "Hộ ông Lê Văn Hùng"
    r = await upload(qt, xlsx(rows), XLSX)
    assert r.status_code == 201, r.text
    stored = (await qt.get(f"/subjects/{r.json()['ids'][0]}")).json()
    assert "head_name" not in stored


async def test_a_file_past_a_limit_answers_413_naming_it(qt: Province) -> None:
    r = await upload(qt, hostile_sheets.far_row(), XLSX)
    assert r.status_code == 413, r.text
    body = r.json()
    assert (body["code"], body["field"]) == ("table_too_large", "rows")
    assert "50,000" in body["detail"]
    csv = "Loại,Họ tên,Mã xã\n" + "\n" * 60_000 + f"household,Hộ A,{COMMUNE}\n"
    r = await upload(qt, csv.encode(), CSV)
    assert (r.status_code, r.json()["field"]) == (413, "rows")
