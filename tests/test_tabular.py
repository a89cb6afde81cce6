"""Spreadsheet uploads read into validated records (pure: no database, no server)."""

from __future__ import annotations

import io
import pickle
import unicodedata
import zipfile
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
import openpyxl
import pytest

from kh_saas.imports import (
    MAX_LISTED_ERRORS,
    RowError,
    TabularError,
    header_key,
    parse_records,
    read_table,
)

CommuneCode = Annotated[str, msgspec.Meta(pattern=r"^\d{5}$")]


class Household(msgspec.Struct, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=2)]
    commune_code: CommuneCode
    members: int = 1
    registered_on: date | None = None


ALIASES = {"họ tên": "name", "ma xa": "commune_code", "số thành viên": "members"}


def parse(data: bytes, **kwargs: Any) -> list[Household]:
    kwargs.setdefault("aliases", ALIASES)
    return parse_records(data, Household, **kwargs)


def rejected(data: bytes, **kwargs: Any) -> TabularError:
    with pytest.raises(TabularError) as info:
        parse(data, **kwargs)
    return info.value


def xlsx(rows: list[list[Any]], formats: dict[str, str] | None = None) -> bytes:
    """An in-memory workbook; ``formats`` maps a cell ("C2") to its number format."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


NGUYEN = Household(name="Nguyễn Thị Hương", commune_code="00004", members=3)
TRAN = Household(name="Trần Văn Đức", commune_code="26734")


# --- formats and encodings ------------------------------------------------------------------


def test_csv_with_commas() -> None:
    data = "name,commune_code,members\nNguyễn Thị Hương,00004,3\nTrần Văn Đức,26734,\n"
    assert parse(data.encode(), filename="ho.csv") == [NGUYEN, TRAN]


def test_csv_with_semicolons_and_quoted_delimiters() -> None:
    # Excel on a decimal-comma locale (Vietnamese included) separates with ";".
    data = 'Họ tên;Mã xã;Số thành viên\r\n"Nguyễn Thị Hương";00004;3\r\n"Trần Văn Đức";26734;\r\n'
    assert parse(data.encode()) == [NGUYEN, TRAN]
    data = 'Họ tên;Mã xã\n"Nguyễn, Thị Hương";00004\n'
    assert parse(data.encode())[0].name == "Nguyễn, Thị Hương"


def test_utf8_bom_is_dropped_from_the_first_header() -> None:
    data = "\ufeffname,commune_code,members\nNguyễn Thị Hương,00004,3\n".encode()
    assert parse(data, filename="ho.csv") == [NGUYEN]
    headers, _ = read_table(data)
    assert headers == ["name", "commune_code", "members"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_and_tabs_as_excel_unicode_text(encoding: str) -> None:
    text = "Họ tên\tMã xã\tSố thành viên\r\nNguyễn Thị Hương\t00004\t3\r\n"
    bom = "\ufeff".encode(encoding)
    assert parse(bom + text.encode(encoding), filename="ho.txt") == [NGUYEN]


def test_sep_directive_sets_delimiter_and_is_not_the_header() -> None:
    data = "sep=,\nHọ tên,Mã xã\nNguyễn Thị Hương,00004\n".encode()
    assert [h.name for h in parse(data)] == ["Nguyễn Thị Hương"]


def test_cp1258_csv_is_refused_with_a_hint() -> None:
    data = "name,commune_code\nĐào Văn Bê,00004\n".encode(
        "cp1258"
    )  # Excel's plain "CSV" on Windows
    error = rejected(data, filename="ho.csv")
    assert error.errors[0].row == 0
    assert "not UTF-8" in error.errors[0].message
    assert "CSV UTF-8" in error.errors[0].message


def test_utf16_without_bom_is_refused() -> None:
    error = rejected("name,commune_code\nAn,00004\n".encode("utf-16-le"))
    assert "UTF-16 without a BOM" in error.errors[0].message


def test_xlsx_codes_numbers_and_dates() -> None:
    data = xlsx(
        [
            ["Họ tên", "Mã xã", "Số thành viên", "registered_on"],
            ["Nguyễn Thị Hương", "00004", 3, datetime(2024, 5, 1)],  # text keeps its zeros
            ["Trần Văn Đức", 26734, 2.0, date(2023, 12, 31)],  # int code, float count
            ["Lê Văn Hùng", 12, 1, None],  # shown as 00012 by its number format
        ],
        formats={"B4": "00000"},
    )
    assert parse(data, filename="ho.xlsx") == [
        Household("Nguyễn Thị Hương", "00004", 3, date(2024, 5, 1)),
        Household("Trần Văn Đức", "26734", 2, date(2023, 12, 31)),
        Household("Lê Văn Hùng", "00012", 1),
    ]


def test_xlsx_values_as_text() -> None:
    data = xlsx(
        [
            ["code", "count", "ratio", "flag", "when", "at"],
            [4, 2.0, 0.1 + 0.2, True, datetime(2024, 5, 1), datetime(2024, 5, 1, 7, 30)],
            ["  00004 ", None, 1.5, False, None, None],
        ]
    )
    _, rows = read_table(data, filename="x.xlsx")
    assert rows == [
        {
            "code": "4",  # a number: its leading zeros were never stored
            "count": "2",
            "ratio": "0.3",
            "flag": "true",
            "when": "2024-05-01",
            "at": "2024-05-01T07:30:00",
        },
        {"code": "00004", "count": None, "ratio": "1.5", "flag": "false", "when": None, "at": None},
    ]


def test_xlsx_int_code_without_format_fails_the_pattern() -> None:
    data = xlsx([["Họ tên", "Mã xã"], ["Nguyễn Thị Hương", 4]])
    error = rejected(data)
    assert [(e.row, e.column) for e in error.errors] == [(2, "Mã xã")]


def test_xlsx_row_numbers_count_blank_rows() -> None:
    data = xlsx([["Họ tên", "Mã xã"], ["Nguyễn Thị Hương", "00004"], [], ["X", "00004"], [], []])
    error = rejected(data)
    assert [(e.row, e.column) for e in error.errors] == [(4, "Họ tên")]


def test_xlsx_excel_error_cells_are_reported() -> None:
    data = xlsx([["Họ tên", "Mã xã"], ["Nguyễn Thị Hương", "#N/A"]])
    error = rejected(data)
    assert len(error.errors) == 1
    assert (error.errors[0].row, error.errors[0].column) == (2, "Mã xã")
    assert "#N/A" in error.errors[0].message


def test_first_sheet_is_read_even_if_another_is_active() -> None:
    book = openpyxl.Workbook()
    book.active.append(["Họ tên", "Mã xã"])
    book.active.append(["Nguyễn Thị Hương", "00004"])
    other = book.create_sheet("Hướng dẫn")
    other.append(["not", "this"])
    book.active = 1
    out = io.BytesIO()
    book.save(out)
    assert [h.commune_code for h in parse(out.getvalue())] == ["00004"]


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "expected"),
    [
        (b"%PDF-1.7", "ho.pdf", None, "unsupported file type '.pdf'"),
        (b"%PDF-1.7", None, "application/pdf", "unsupported file type 'application/pdf'"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ho.xls", None, "unsupported file type '.xls'"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", None, None, "legacy .xls"),
        (b"name,commune_code\n", "ho.xlsx", None, "not an .xlsx workbook"),
        (b"PK\x03\x04broken", "ho.xlsx", None, "not a readable .xlsx"),
    ],
)
def test_unsupported_or_unreadable_files(
    data: bytes, filename: str | None, content_type: str | None, expected: str
) -> None:
    error = rejected(data, filename=filename, content_type=content_type)
    assert len(error.errors) == 1
    assert error.errors[0].row == 0
    assert expected in error.errors[0].message


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    error = rejected(out.getvalue(), filename="ho.docx", content_type=None)
    assert "unsupported file type '.docx'" in error.errors[0].message
    error = rejected(out.getvalue(), filename=None)
    assert "not a readable .xlsx" in error.errors[0].message


def test_windows_csv_content_type_is_accepted() -> None:
    data = "name,commune_code\nNguyễn Thị Hương,00004\n".encode()
    assert parse(data, filename=None, content_type="application/vnd.ms-excel; charset=x")


# --- headers --------------------------------------------------------------------------------


def test_header_key_ignores_case_accents_and_spacing() -> None:
    assert header_key("  Mã  Xã ") == "ma xa"
    assert header_key("MA_XA") == "ma xa"
    assert header_key("Đơn vị") == header_key("don-vi") == "don vi"
    assert header_key("Họ và\ntên") == "ho va ten"


@pytest.mark.parametrize(
    "headers",
    [
        "Họ tên,Mã xã",  # as the alias is written
        "HỌ TÊN,MÃ XÃ",  # upper case
        "ho ten,ma xa",  # typed without accents
        "Ho_Ten,Ma-Xa",  # separators
        "name,commune_code",  # the field names themselves
        "Name,Commune Code",
    ],
)
def test_headers_match_aliases_and_fields(headers: str) -> None:
    data = f"{headers}\nNguyễn Thị Hương,00004\n".encode()
    assert parse(data) == [Household("Nguyễn Thị Hương", "00004")]


def test_d_with_stroke_matches_plain_d() -> None:
    class Unit(msgspec.Struct):
        unit_name: str

    data = "Tên đơn vị\nTrường THCS Đồng Tâm\n".encode()
    records = parse_records(data, Unit, aliases={"ten don vi": "unit_name"})
    assert records == [Unit("Trường THCS Đồng Tâm")]


def test_unknown_column_is_named() -> None:
    error = rejected("Họ tên,Mã xã,Ghi chú\nNguyễn Thị Hương,00004,\n".encode())
    assert [(e.row, e.column) for e in error.errors] == [(1, "Ghi chú")]
    assert "unknown column" in error.errors[0].message
    assert "'họ tên'" in error.errors[0].message  # tells the officer what is expected


def test_missing_required_column_lists_accepted_headers() -> None:
    error = rejected("Họ tên,Số thành viên\nNguyễn Thị Hương,3\n".encode())
    assert [(e.row, e.column) for e in error.errors] == [(1, "ma xa")]
    assert "required column is missing" in error.errors[0].message
    assert "'commune_code'" in error.errors[0].message


def test_header_errors_are_reported_together() -> None:
    error = rejected("Họ tên,ho_ten,Ghi chú\nA,B,C\n".encode())
    assert [(e.row, e.column) for e in error.errors] == [
        (1, "ho_ten"),  # duplicate of "Họ tên"
        (1, "Ghi chú"),  # unknown
        (1, "ma xa"),  # missing
    ]
    assert error.total == 3


def test_values_in_a_column_without_header_are_reported() -> None:
    data = "Họ tên,Mã xã,,\nNguyễn Thị Hương,00004,,\nTrần Văn Đức,26734,,ghi chú\n".encode()
    error = rejected(data)
    assert error.errors == [RowError(3, "column D", "value in a column without a header")]


def test_rename_maps_errors_back_to_the_header_written() -> None:
    class Citizen(msgspec.Struct, rename="camel"):
        full_name: str
        commune_code: CommuneCode

    data = "Full name,commune code\nNguyễn Thị Hương,123\n".encode()
    error = _error(lambda: parse_records(data, Citizen))
    assert [(e.row, e.column) for e in error.errors] == [(2, "commune code")]


def test_caller_mistakes_are_not_upload_errors() -> None:
    data = b"name\nAn\n"
    with pytest.raises(ValueError, match="names no field"):
        parse_records(data, Household, aliases={"tên": "ten"})
    with pytest.raises(TypeError, match=r"msgspec\.Struct"):
        parse_records(data, dict)  # type: ignore[type-var]


# --- rows -----------------------------------------------------------------------------------


def test_every_bad_row_and_cell_is_listed() -> None:
    data = (
        "Họ tên,Mã xã,Số thành viên\n"
        "Nguyễn Thị Hương,00004,3\n"
        "X,1234,ba\n"  # three bad cells in one row
        "Trần Văn Đức,26734,2\n"
        ",00004,\n"  # required value missing
        "Lê Văn Hùng,abcde,1\n"
    ).encode()
    error = rejected(data)
    assert [(e.row, e.column) for e in error.errors] == [
        (3, "Họ tên"),
        (3, "Mã xã"),
        (3, "Số thành viên"),
        (5, "Họ tên"),
        (6, "Mã xã"),
    ]
    assert error.errors[3].message == "a value is required"
    assert "regex" in error.errors[4].message
    assert " - at " not in error.errors[4].message  # msgspec's path is replaced by the column
    assert str(error).startswith("5 problems in the uploaded table; first at row 3")


def test_row_numbers_follow_spreadsheet_rows_not_text_lines() -> None:
    # A quoted line break stays inside one spreadsheet row, as Excel shows it.
    data = 'Họ tên,Mã xã\n"Nguyễn\nThị Hương",00004\nX,00004\n'.encode()
    error = rejected(data)
    assert [(e.row, e.column) for e in error.errors] == [(3, "Họ tên")]


def test_whole_record_rules_are_reported_without_a_column() -> None:
    class Span(msgspec.Struct):
        start: int
        end: int

        def __post_init__(self) -> None:
            if self.end < self.start:
                raise ValueError("end is before start")

    error = _error(lambda: parse_records(b"start,end\n1,2\n5,3\n", Span))
    assert error.errors == [RowError(3, "", "end is before start")]


def test_error_list_is_capped_but_counted() -> None:
    bad_rows = MAX_LISTED_ERRORS + 500
    data = ("Họ tên,Mã xã\n" + "X,00004\n" * bad_rows).encode()
    error = rejected(data)
    assert len(error.errors) == MAX_LISTED_ERRORS
    assert error.total == bad_rows
    assert str(error).startswith(f"{bad_rows} problems")


def test_empty_cells_take_defaults() -> None:
    data = "Họ tên,Mã xã,Số thành viên,registered_on\nTrần Văn Đức,26734,  ,\n".encode()
    assert parse(data) == [TRAN]


def test_more_than_max_rows_is_one_error() -> None:
    data = ("Họ tên,Mã xã\n" + "Nguyễn Thị Hương,00004\n" * 11).encode()
    assert len(parse(data, max_rows=11)) == 11
    error = rejected(data, max_rows=10)
    assert error.errors == [RowError(12, "", "more than 10 data rows; split the file")]


def test_blank_rows_do_not_count_towards_max_rows() -> None:
    data = ("Họ tên,Mã xã\n" + "Nguyễn Thị Hương,00004\n\n,\n" * 3 + ",\n" * 5).encode()
    assert len(parse(data, max_rows=3)) == 3


@pytest.mark.parametrize(
    ("data", "row", "expected"),
    [
        (b"", 1, "the file is empty"),
        (b"\xef\xbb\xbf\r\n \r\n,,\r\n", 1, "the file is empty"),
        ("Họ tên,Mã xã\n".encode(), 2, "no data rows"),
        ("Họ tên,Mã xã\n,\n\n".encode(), 2, "no data rows"),
    ],
)
def test_empty_file_or_header_only(data: bytes, row: int, expected: str) -> None:
    error = rejected(data, filename="ho.csv")
    assert len(error.errors) == 1
    assert error.errors[0].row == row
    assert expected in error.errors[0].message


def test_empty_workbook() -> None:
    error = rejected(xlsx([]), filename="ho.xlsx")
    assert "the file is empty" in error.errors[0].message


def test_leading_blank_rows_are_skipped_but_counted() -> None:
    error = rejected("\n,\nHọ tên,Mã xã,STT\nNguyễn Thị Hương,00004,1\n".encode())
    assert [(e.row, e.column) for e in error.errors] == [(3, "STT")]


def test_error_survives_pickling() -> None:
    # Parsing 50,000 XLSX rows is CPU-bound; callers may run it in a process pool.
    error = rejected(b"name,commune_code\nAn,1\nX,00004\n")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.errors, copy.total, str(copy)) == (error.errors, error.total, str(error))


def test_decomposed_text_is_composed() -> None:
    # What a Mac, or Windows' cp1258 with its combining tone marks, produces.
    header = unicodedata.normalize("NFD", "Họ tên,Mã xã")
    name = unicodedata.normalize("NFD", " Nguyễn Thị Hương ")
    assert header != "Họ tên,Mã xã"
    records = parse(f"{header}\n{name},00004\n".encode())
    assert records[0].name == "Nguyễn Thị Hương"
    headers, rows = read_table(f"{header}\n{name},00004\n".encode())
    assert headers == ["Họ tên", "Mã xã"]
    assert rows == [{"Họ tên": "Nguyễn Thị Hương", "Mã xã": "00004"}]


def test_read_table_pads_short_rows_and_rejects_duplicate_headers() -> None:
    headers, rows = read_table(b"a,b,c\n1\n1,2,3\n")
    assert headers == ["a", "b", "c"]
    assert rows == [{"a": "1", "b": None, "c": None}, {"a": "1", "b": "2", "c": "3"}]
    with pytest.raises(TabularError) as info:
        read_table(b"a,b,a\n1,2,3\n")
    assert info.value.errors == [RowError(1, "a", "duplicate column")]


def _error(call: Any) -> TabularError:
    with pytest.raises(TabularError) as info:
        call()
    return info.value
