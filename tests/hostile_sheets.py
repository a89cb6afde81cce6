"""Spreadsheets crafted by hand to cost a reader far more than their size, with the limit each
must be refused by. Used by the tests and by ``bench/tabular_parse.py``.

Each is small on the wire (kilobytes) and valid enough that a careless reader does the work:
a workbook is written part by part with zipfile, so its XML and its zip headers can say
anything.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kh_saas.imports import Limits

LIMITS = Limits()
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
        '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<workbook {NS} xmlns:r="{_REL}"><sheets>'
        '<sheet name="Hộ gia đình" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}

HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>kind</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
)


def data_row(r: int) -> str:
    return (
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>household</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>Hộ {r}</t></is></c></row>'
    )


def workbook(
    sheet_data: Iterable[str], *, dimension: str | None = None, strings: str | None = None
) -> bytes:
    """A minimal valid workbook whose first sheet's <sheetData> holds ``sheet_data``;
    ``strings`` is the content of its shared-string table (``<si>`` elements), if any."""
    parts = dict(_PARTS)
    if strings is not None:
        rel = f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        rels = parts["xl/_rels/workbook.xml.rels"]
        parts["xl/_rels/workbook.xml.rels"] = rels.replace(
            "</Relationships>", rel + "</Relationships>"
        )
        parts["xl/sharedStrings.xml"] = f"<sst {NS}>{strings}</sst>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            head = f"<worksheet {NS}>" + (f'<dimension ref="{dimension}"/>' if dimension else "")
            sheet.write((head + "<sheetData>").encode())
            for piece in sheet_data:
                sheet.write(piece.encode())
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def _repeat(piece: str, times: int, chunk: int = 4096) -> Iterable[str]:
    block = piece * chunk
    full, rest = divmod(times, chunk)
    for _ in range(full):
        yield block
    yield piece * rest


def lie_about_size(data: bytes, part: str, declared: int) -> bytes:
    """The zip with ``part``'s uncompressed size rewritten in its local and central headers."""
    out = bytearray(data)
    name = part.encode()
    central = out.find(b"PK\x01\x02")
    while central >= 0:
        length = struct.unpack_from("<H", out, central + 28)[0]
        if bytes(out[central + 46 : central + 46 + length]) == name:
            struct.pack_into("<I", out, central + 24, declared)
            local = struct.unpack_from("<I", out, central + 42)[0]
            struct.pack_into("<I", out, local + 22, declared)
            return bytes(out)
        central = out.find(b"PK\x01\x02", central + 4)
    raise ValueError(f"no {part} in the zip")


# --- the hostile files --------------------------------------------------------------------


def many_empty_cells() -> bytes:
    """The 33 KB workbook of the issue: one row of three million empty cells."""
    return workbook([HEADER, '<row r="2">', *_repeat("<c/>", 3_000_000), "</row>"])


def cells_at_xfd() -> bytes:
    """Every row stores an empty cell in column XFD, the last Excel has: 16,384 cells wide."""
    rows = (
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>household</t></is></c><c r="XFD{r}"/></row>'
        for r in range(2, 50_002)
    )
    return workbook([HEADER, *rows])


def huge_dimension() -> bytes:
    """A small sheet that declares every cell of the grid as its used range."""
    return workbook([HEADER, data_row(2)], dimension="A1:XFD1048576")


@functools.cache
def zip_bomb() -> bytes:
    """Honest headers: the sheet inflates to 256 MiB of blank space between its rows."""
    return workbook([HEADER, *_repeat(" ", 256 * 1024 * 1024, 1024 * 1024), data_row(2)])


def lying_zip_bomb() -> bytes:
    """The same sheet, its headers claiming it inflates to 10 KB."""
    return lie_about_size(zip_bomb(), "xl/worksheets/sheet1.xml", 10_000)


def blank_rows() -> bytes:
    """100,000 stored blank rows before the one data row."""
    return workbook([HEADER, *(f'<row r="{r}"/>' for r in range(2, 100_002)), data_row(100_002)])


def far_row() -> bytes:
    """The one data row is the sheet's last, row 1,048,576: a million rows skipped."""
    return workbook([HEADER, data_row(1_048_576)])


def too_many_cells() -> bytes:
    """10,000 rows of 200 cells: two million cells, each 16 bytes."""
    row = "<row>" + "<c><v>1</v></c>" * 200 + "</row>"
    return workbook([HEADER, *_repeat(row, 10_000, 64)])


def long_token() -> bytes:
    """One attribute of 64 MiB, which expat would hold in memory whole."""
    return workbook([HEADER, '<row r="2" spans="', *_repeat("1", 64 * 1024 * 1024, 1 << 20), '"/>'])


def csv_blank_lines() -> bytes:
    return b"kind,name\n" + b"\n" * 100_000 + "household,Hộ A\n".encode()


def csv_long_row() -> bytes:
    """One row of 20 million empty cells: 20 MB of commas."""
    return b"kind,name\nhousehold," + b"," * 20_000_000 + b"\n"


def csv_wide_rows() -> bytes:
    """Rows of 300 cells."""
    return b"kind,name" + b"," * 298 + b"\n" + (b"household,A" + b"," * 298 + b"\n") * 10


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[], bytes]
    content_type: str
    #: The limit it must be refused by (the problem's ``field``) and the limit's value.
    limit: str
    maximum: int


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HOSTILE = [
    Hostile("3 million empty cells in a row", many_empty_cells, XLSX, "columns", LIMITS.columns),
    Hostile("a cell at XFD in 50,000 rows", cells_at_xfd, XLSX, "columns", LIMITS.columns),
    Hostile("dimension A1:XFD1048576", huge_dimension, XLSX, "columns", LIMITS.columns),
    Hostile("zip bomb, 256 MiB", zip_bomb, XLSX, "uncompressed_bytes", LIMITS.uncompressed_bytes),
    Hostile(
        "zip bomb, lying header",
        lying_zip_bomb,
        XLSX,
        "uncompressed_bytes",
        LIMITS.uncompressed_bytes,
    ),
    Hostile("100,000 blank rows", blank_rows, XLSX, "rows", LIMITS.rows),
    Hostile("data in row 1,048,576", far_row, XLSX, "rows", LIMITS.rows),
    Hostile("2 million cells", too_many_cells, XLSX, "cells", LIMITS.cells),
    Hostile("a 64 MiB attribute", long_token, XLSX, "xml_token_bytes", 1024 * 1024),
    Hostile("CSV, 100,000 blank lines", csv_blank_lines, "text/csv", "rows", LIMITS.rows),
    Hostile("CSV, 20 million commas", csv_long_row, "text/csv", "row_characters", 1024 * 1024),
    Hostile("CSV, rows of 300 cells", csv_wide_rows, "text/csv", "columns", LIMITS.columns),
]
