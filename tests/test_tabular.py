"""Spreadsheet uploads read into validated records (pure: no database, no server)."""

from __future__ import annotations

import io
import pickle
import unicodedata
import zipfile
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
import openpyxl
import pytest

from kh_saas.domain.vocabulary import SubjectKind, UnitKind
from kh_saas.imports import (
    MAX_LISTED_ERRORS,
    Limits,
    RowError,
    TableTooLarge,
    TabularError,
    header_key,
    parse_records,
    read_records,
    read_table,
)
from tests import hostile_sheets
from tests.hostile_sheets import HOSTILE, Hostile

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


class Kinds(msgspec.Struct, frozen=True, kw_only=True):
    kind: SubjectKind
    name: str
    unit_kind: UnitKind | None = None
    tier: Literal["commune", "district", "province"] | None = None


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


def test_header_and_row_errors_are_reported_together() -> None:
    # The columns that do match are still checked: "A" is too short for a name.
    error = rejected("Họ tên,ho_ten,Ghi chú\nA,B,C\nNguyễn Thị Hương,D,E\n".encode())
    assert [(e.row, e.column) for e in error.errors] == [
        (1, "ho_ten"),  # duplicate of "Họ tên"
        (1, "Ghi chú"),  # unknown
        (1, "ma xa"),  # missing
        (2, "Họ tên"),  # too short
    ]
    assert error.total == 4


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


def test_more_than_max_rows_is_one_error_naming_the_limit() -> None:
    data = ("Họ tên,Mã xã\n" + "Nguyễn Thị Hương,00004\n" * 11).encode()
    assert len(parse(data, max_rows=11)) == 11
    with pytest.raises(TableTooLarge) as info:
        parse(data, max_rows=10)
    assert (info.value.limit, info.value.maximum) == ("rows", 10)
    [error] = info.value.errors
    assert error.row == 12
    assert "at most 10 rows" in error.message
    assert "blank rows included" in error.message


def test_blank_rows_count_towards_max_rows() -> None:
    # 3 data rows, but 11 rows under the header: blank rows cost reading like any other.
    data = ("Họ tên,Mã xã\n" + "Nguyễn Thị Hương,00004\n\n,\n" * 3 + ",\n" * 2).encode()
    assert len(parse(data, max_rows=11)) == 3
    with pytest.raises(TableTooLarge) as info:
        parse(data, max_rows=10)
    assert info.value.limit == "rows"
    assert info.value.errors[0].row == 12


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


def test_read_table_pads_short_xlsx_rows_and_rejects_duplicate_headers() -> None:
    # A workbook does not store trailing empty cells; a CSV row must be complete (below).
    headers, rows = read_table(xlsx([["a", "b", "c"], [1], [1, 2, 3]]))
    assert headers == ["a", "b", "c"]
    assert rows == [{"a": "1", "b": None, "c": None}, {"a": "1", "b": "2", "c": "3"}]
    with pytest.raises(TabularError) as info:
        read_table(b"a,b,a\n1,2,3\n")
    assert info.value.errors == [RowError(1, "a", "duplicate column")]


def _error(call: Any) -> TabularError:
    with pytest.raises(TabularError) as info:
        call()
    return info.value


# --- limits: hostile files are refused by the limit they pass, before costing much ----------


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h.name)
def test_hostile_files_are_refused_naming_their_limit(hostile: Hostile) -> None:
    data = hostile.build()
    assert len(data) < 21_000_000  # small on the wire: what they cost is what they inflate to
    with pytest.raises(TableTooLarge) as info:
        parse_records(data, Household, content_type=hostile.content_type)
    assert (info.value.limit, info.value.maximum) == (hostile.limit, hostile.maximum)
    [error] = info.value.errors
    assert f"{hostile.maximum:,}" in error.message


def small_sheet(rows: list[list[Any]]) -> dict[str, bytes]:
    """The same rows as CSV and as XLSX."""
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    return {"csv": text.encode(), "xlsx": xlsx(rows)}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_limits_on_columns_and_cells(kind: str) -> None:
    header = ["Họ tên", "Mã xã", "Số thành viên"]
    good = [header, ["Nguyễn Thị Hương", "00004", 3], ["Trần Văn Đức", "26734", 2]]
    assert len(parse(small_sheet(good)[kind], limits=Limits(columns=3, cells=9))) == 2
    wide = [[*header, None], ["Nguyễn Thị Hương", "00004", 3, None], ["X", "00004", 1, "x"]]
    with pytest.raises(TableTooLarge) as info:
        parse(small_sheet(wide)[kind], limits=Limits(columns=3))
    # The CSV's header row has 4 cells; the workbook declares its used range A1:D3 up front.
    assert (info.value.limit, info.value.errors[0].row) == ("columns", {"csv": 1, "xlsx": 0}[kind])
    with pytest.raises(TableTooLarge) as info:
        parse(small_sheet(good)[kind], limits=Limits(cells=8))
    assert (info.value.limit, info.value.errors[0].row) == ("cells", 3)


def test_a_cell_longer_than_excel_allows_is_a_row_error() -> None:
    long = "A" * 40
    for kind, data in small_sheet([["Họ tên", "Mã xã"], [long, "00004"], ["X", "1"]]).items():
        error = rejected(data, limits=Limits(cell_chars=30))
        assert [(e.row, e.column) for e in error.errors][:1] == [(2, "Họ tên")], kind
        assert "more than 30 characters" in error.errors[0].message
        assert error.total == 3  # and the other row's cells are still checked


def test_zip_with_a_huge_directory_is_refused_before_reading_it() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(25_000):
            archive.writestr(f"x/{i:08d}.xml", b"")
    with pytest.raises(TableTooLarge) as info:
        parse(out.getvalue())
    assert info.value.limit == "zip_directory_bytes"


def test_xml_elements_beyond_what_the_cells_need_are_refused() -> None:
    data = hostile_sheets.workbook(
        [hostile_sheets.HEADER, "<row r='2'>", "<x/>" * 400_000, "</row>"]
    )
    with pytest.raises(TableTooLarge) as info:
        parse(data, limits=Limits(cells=10))
    assert info.value.limit == "xml_tags"


def test_a_dtd_is_refused_so_entities_never_expand() -> None:
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    sheet = f"<sheetData>{hostile_sheets.HEADER}<row r='2'><c t='str'><v>&b;</v></c></row>"
    data = _with_sheet(f"{bomb}<worksheet {hostile_sheets.NS}>{sheet}</sheetData></worksheet>")
    error = rejected(data)
    assert "DTD" in error.errors[0].message


def _with_sheet(xml: str) -> bytes:
    """A workbook whose first sheet is ``xml``, exactly."""
    source = zipfile.ZipFile(io.BytesIO(hostile_sheets.workbook([])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = xml.encode()
            archive.writestr(info.filename, body)
    return out.getvalue()


def test_a_workbook_at_the_limits_is_read() -> None:
    # Blank rows count, but up to the limit they are fine.
    rows = [hostile_sheets.HEADER, '<row r="3"/>', hostile_sheets.data_row(6)]
    records = parse_records(
        hostile_sheets.workbook(rows, dimension="A1:B6"),
        Kinds,
        limits=Limits(rows=5, columns=2, cells=4),
    )
    assert records == [Kinds(kind="household", name="Hộ 6")]


# --- CSV structure: a quote or delimiter out of place names its row -------------------------


def test_an_unterminated_quote_names_its_row_instead_of_swallowing_the_rest() -> None:
    data = (
        "Họ tên,Mã xã\n"
        "Nguyễn Thị Hương,00004\n"
        '"Trần Văn Đức,26734\n'  # the quote is never closed
        "Lê Văn Hùng,00004\n"
        "Phạm Thị Lan,00004\n"
    ).encode()
    error = rejected(data)
    assert [(e.row, e.column) for e in error.errors] == [(3, "")]
    assert "opened on line 3 is never closed" in error.errors[0].message


def test_text_after_a_closing_quote_names_the_row_and_reading_goes_on() -> None:
    data = (
        "Họ tên,Mã xã,Số thành viên\n"
        '"Nguyễn "Bé" Hương",00004,3\n'  # quotes inside a quoted cell not doubled
        "Trần Văn Đức,26734,ba\n"  # a bad cell further down is still found
        '"Lê ""Út"" Hùng",00004,1\n'  # doubled quotes are fine
        '"Phạm Thị Lan"x,00004,1\n'
    ).encode()
    error = rejected(data)
    assert [(e.row, e.column) for e in error.errors] == [
        (2, ""),
        (3, "Số thành viên"),
        (5, ""),
    ]
    assert "text follows a closing quote" in error.errors[0].message


@pytest.mark.parametrize(
    ("line", "count"),
    [("Trần Văn Đức,26734", 2), ("Trần Văn Đức,26734,2,", 4), ("Trần, Văn Đức,26734,2", 4)],
)
def test_a_row_with_another_cell_count_than_the_header_names_the_row(line: str, count: int) -> None:
    data = f"Họ tên,Mã xã,Số thành viên\nNguyễn Thị Hương,00004,3\n{line}\n".encode()
    error = rejected(data)
    assert [(e.row, e.column) for e in error.errors] == [(3, "")]
    assert f"this row has {count} cells but the header row has 3" in error.errors[0].message


def test_every_kind_of_fault_is_listed_in_one_round() -> None:
    data = (
        "Họ tên,Mã xã,Ghi chú\n"  # an unknown column
        "X,00004,\n"  # a bad cell
        "Trần Văn Đức,26734\n"  # a cell short
        '"Lê Văn Hùng"!,00004,\n'  # text after a quote
        "Phạm Thị Lan,abc,\n"  # a bad cell
        '"Võ Thị Yến,00004,\n'  # a quote never closed
    ).encode()
    read = read_records(data, Household, aliases=ALIASES)
    assert read.rows == []
    assert [(e.row, e.column) for e in read.errors] == [
        (1, "Ghi chú"),
        (2, "Họ tên"),
        (3, ""),
        (4, ""),
        (5, "Mã xã"),
        (6, ""),
    ]
    assert read.total == 6


def test_good_rows_come_with_their_row_numbers_and_headers() -> None:
    data = "\nHọ tên,MA XA\n\nNguyễn Thị Hương,00004\nTrần Văn Đức,26734\n".encode()
    read = read_records(data, Household, aliases=ALIASES)
    assert [n for n, _ in read.rows] == [4, 5]
    assert read.headers == {"name": "Họ tên", "commune_code": "MA XA"}
    assert (read.errors, read.total) == ([], 0)


# --- coded values in Vietnamese words -------------------------------------------------------

WORDS = {
    "kind": {"hộ gia đình": "household", "dòng họ": "clan", "công dân": "citizen"},
    "unit_kind": {"trường học": "school", "đơn vị": "other"},
    "tier": {"cấp xã": "commune"},
}


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("Hộ gia đình", "household"),
        ("HỘ GIA ĐÌNH", "household"),
        ("ho gia dinh", "household"),
        (unicodedata.normalize("NFD", "Hộ gia đình"), "household"),
        ("  Dòng họ ", "clan"),
        ("dong ho", "clan"),
        ("Công dân", "citizen"),
        ("cong-dan", "citizen"),
        ("Household", "household"),  # the codes themselves, in any case
        ("CITIZEN", "citizen"),
    ],
)
def test_coded_values_may_be_written_in_vietnamese_words(written: str, kind: str) -> None:
    data = f"kind,name\n{written},Nguyễn Thị Hương\n".encode()
    [record] = parse_records(data, Kinds, values=WORDS)
    assert record.kind == kind


def test_coded_values_in_words_in_xlsx_and_in_literal_fields() -> None:
    data = xlsx(
        [["kind", "name", "unit_kind", "tier"], ["Đơn vị", "Trường THCS", "Trường học", "Cấp xã"]]
    )
    with pytest.raises(TabularError) as info:  # "Đơn vị" is not a kind here: only unit_kind
        parse_records(data, Kinds, values=WORDS)
    [error] = info.value.errors
    assert error.column == "kind"
    assert "'Đơn vị' is not one of: household (hộ gia đình), clan (dòng họ)" in error.message
    data = xlsx(
        [["kind", "name", "unit_kind", "tier"], ["unit", "Trường THCS", "Trường học", "Cấp xã"]]
    )
    [record] = parse_records(data, Kinds, values=WORDS)
    assert (record.unit_kind, record.tier) == ("school", "commune")


def test_value_words_are_checked_when_given() -> None:
    with pytest.raises(ValueError, match="not a value"):
        parse_records(b"kind,name\nx,y\n", Kinds, values={"kind": {"hộ": "house"}})
    with pytest.raises(ValueError, match="two values"):
        parse_records(
            b"kind,name\nx,y\n", Kinds, values={"kind": {"Hộ": "household", "họ": "clan"}}
        )


# --- text as stored: NFC, trimmed, without invisible characters -----------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_invisible_characters_are_dropped_and_a_cell_of_them_is_empty(kind: str) -> None:
    zw = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
    rows = [
        ["Họ tên", "Mã xã", "registered_on"],
        [f"{zw}Nguyễn Thị\u200b Hương\u00a0 ", f"\u200b00004{zw}", zw],
        [zw, "00004", ""],
    ]
    sheet = small_sheet(rows)[kind]
    error = rejected(sheet)
    assert [(e.row, e.column, e.message) for e in error.errors] == [
        (3, "Họ tên", "a value is required")
    ]
    read = read_records(sheet, Household, aliases=ALIASES)
    assert [record for _, record in read.rows] == [Household("Nguyễn Thị Hương", "00004", 1, None)]


def test_xlsx_shared_strings_are_cleaned_rich_text_joined_and_escapes_undone() -> None:
    nfd = unicodedata.normalize("NFD", "  Nguyễn Thị Hương\u200b ")
    strings = (
        "<si><t>Họ tên</t></si><si><t>Mã xã</t></si>"
        f"<si><t xml:space='preserve'>{nfd}</t></si>"
        "<si><r><t>Trần </t></r><r><rPr><b/></rPr><t>Văn Đức</t></r><rPh><t>tran</t></rPh></si>"
        "<si><t>Lê_x000D_\nHùng</t></si><si><t>00004</t></si>"
    )
    cells = [
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>',
        *(
            f'<row r="{r}"><c r="A{r}" t="s"><v>{i}</v></c><c r="B{r}" t="s"><v>5</v></c></row>'
            for r, i in [(2, 2), (3, 3), (4, 4), (5, 2)]
        ),
    ]
    data = hostile_sheets.workbook(cells, strings=strings)
    assert [h.name for h in parse(data)] == [
        "Nguyễn Thị Hương",
        "Trần Văn Đức",
        "Lê\r\nHùng",
        "Nguyễn Thị Hương",
    ]
