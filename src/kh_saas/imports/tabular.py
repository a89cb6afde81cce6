"""Spreadsheet uploads (CSV or XLSX) turned into validated msgspec records.

Officers register households, clans, units and citizens in bulk by uploading the sheet they
keep in Excel. This module reads the upload into rows of text, matches the header row to the
fields of a record type (ignoring case, accents and spacing, plus Vietnamese aliases given by
the caller) and converts every row. It collects *every* problem before giving up, so an
officer fixes the whole file after one upload instead of one error per upload, and it returns
nothing unless every row is good, so a bulk registration is all or nothing.

Row numbers in errors are the spreadsheet's own, 1-based and counting the header, as the
officer sees them in Excel: the header is row 1 and the first data row is row 2. Blank rows
are skipped but still counted, so the numbers keep matching the sheet. Row 0 means the file as
a whole (wrong type, unreadable, wrong encoding).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any, Literal, TypeVar, cast

import msgspec
from msgspec.structs import FieldInfo

__all__ = [
    "DEFAULT_MAX_ROWS",
    "MAX_LISTED_ERRORS",
    "RowError",
    "TabularError",
    "header_key",
    "parse_records",
    "read_table",
]

T = TypeVar("T", bound=msgspec.Struct)

#: Data rows accepted in one upload (the bulk-registration limit).
DEFAULT_MAX_ROWS = 50_000
#: Errors listed in a TabularError; ``total`` keeps counting past this.
MAX_LISTED_ERRORS = 1_000

Cells = list[str | None]


class RowError(msgspec.Struct, frozen=True):
    """One problem in an upload.

    ``row`` is the 1-based spreadsheet row number counting the header, as Excel shows it: the
    header is row 1 and the first data row row 2 (unless the sheet starts with blank rows,
    which are skipped but counted); 0 means the file as a whole. ``column`` is the header text
    the officer wrote, ``"column F"`` for a column without a header, or ``""`` when the problem
    is not about one column.
    """

    row: int
    column: str
    message: str


class TabularError(Exception):
    """The upload was rejected. ``errors`` lists the first problems, ``total`` counts them all.

    Whole-file problems (type, encoding, size) and row problems share this one exception so a
    caller has a single thing to turn into a response.
    """

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.errors = errors
        self.total = len(errors) if total is None else total
        super().__init__(_summary(errors, self.total))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from errors and total (not the message), so it survives a process pool.
        return (type(self), (self.errors, self.total))


def read_table(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> tuple[list[str], list[dict[str, str | None]]]:
    """Read an upload into its header texts and one dict per non-blank data row.

    Keys are the header texts as written (NFC, trimmed); values are NFC, trimmed text, or None
    for an empty cell. Raises TabularError for an unusable file, duplicate headers or values in
    a column without a header.
    """
    grid = _read_grid(data, filename, content_type, max_rows)
    errors = _Errors()
    named: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, header in enumerate(grid.header):
        if header is None:
            continue
        if header in seen:
            errors.add(RowError(grid.header_row, header, "duplicate column"))
        seen.add(header)
        named.append((i, header))
    errors.raise_if_any()
    rows: list[dict[str, str | None]] = []
    for rownum, cells in grid.rows:
        errors.extend(problem for _, problem in grid.problems(rownum, cells))
        width = len(cells)
        rows.append({header: cells[i] if i < width else None for i, header in named})
    errors.raise_if_any()
    return [header for _, header in named], rows


def parse_records(
    data: bytes,
    record_type: type[T],
    *,
    filename: str | None = None,
    content_type: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    aliases: dict[str, str] | None = None,
) -> list[T]:
    """Read an upload and convert every data row to ``record_type``, or raise TabularError.

    ``aliases`` maps header texts the officer may write (``"họ tên"``, ``"ma xa"``) to field
    names; they, the field names and the fields' encoded names all match ignoring case,
    accents and spacing (see header_key). Empty cells are left out of the row, so a field's
    default applies and a required field reports "a value is required". Conversion is
    msgspec's lax mode, so ``"3"`` becomes an int and ``"2024-05-01"`` a date where the fields
    say so. All bad rows and cells are reported together; nothing is returned if any is bad.
    """
    schema = _Schema.build(record_type, aliases)
    grid = _read_grid(data, filename, content_type, max_rows)
    columns = schema.match(grid)
    errors = _Errors()
    records: list[T] = []
    for rownum, cells in grid.rows:
        problems = grid.problems(rownum, cells)
        if problems:
            errors.extend(problem for _, problem in problems)
            skip = {columns.keys[i] for i, _ in problems if i < len(columns.keys)}
            errors.extend(columns.cell_errors(schema, rownum, columns.row(cells), skip))
            continue
        # Without problems, columns without a header hold only None, so no key test is needed.
        row = {key: value for key, value in zip(columns.keys, cells, strict=False) if value}
        try:
            records.append(msgspec.convert(row, record_type, strict=False))
        except msgspec.ValidationError as exc:
            errors.extend(columns.explain(schema, rownum, row, str(exc)))
    errors.raise_if_any()
    return records


def header_key(text: str) -> str:
    """The form in which headers, aliases and field names are compared.

    Case-folded, without accents and with runs of spaces, ``_`` and ``-`` made one space, so
    "Mã xã", "MA_XA" and "ma xa" all match. ``đ`` is mapped by hand: it is a letter of its
    own, not ``d`` plus a combining mark, so stripping marks after NFD leaves it alone.
    """
    folded = unicodedata.normalize("NFD", text.casefold().translate(_LETTERS_WITH_STROKE))
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", bare).strip()


# ``ð`` (U+00F0, Icelandic eth) stands in for ``đ`` in text typed with the wrong keyboard.
_LETTERS_WITH_STROKE = str.maketrans({"đ": "d", "ð": "d"})
_SEPARATORS = re.compile(r"[\s_\-]+")


# --- errors ---------------------------------------------------------------------------------


class _Errors:
    """Collects problems, listing the first MAX_LISTED_ERRORS and counting all of them."""

    __slots__ = ("listed", "total")

    def __init__(self) -> None:
        self.listed: list[RowError] = []
        self.total = 0

    def add(self, error: RowError) -> None:
        self.total += 1
        if len(self.listed) < MAX_LISTED_ERRORS:
            self.listed.append(error)

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.add(error)

    def raise_if_any(self) -> None:
        if self.total:
            raise TabularError(self.listed, self.total)


def _summary(errors: list[RowError], total: int) -> str:
    if not errors:
        return "the uploaded table was rejected"
    first = errors[0]
    where = f" at row {first.row}" if first.row else ""
    if first.column:
        where += f", column {first.column!r}"
    noun = "problem" if total == 1 else "problems"
    return f"{total} {noun} in the uploaded table; first{where}: {first.message}"


def _file_error(message: str, row: int = 0) -> TabularError:
    return TabularError([RowError(row, "", message)])


def _column_letters(index: int) -> str:
    """Spreadsheet letters of a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- the grid: rows of cleaned text, whatever the format ------------------------------------


@dataclass(slots=True)
class _Grid:
    """A sheet as text: the header row and the non-blank data rows with their row numbers."""

    header: Cells
    header_row: int
    rows: list[tuple[int, Cells]]
    #: Cells showing an Excel error such as ``#N/A``: row number → [(column index, text)].
    excel_errors: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    unnamed: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.unnamed = [i for i, header in enumerate(self.header) if header is None]

    def label(self, index: int) -> str:
        header = self.header[index] if index < len(self.header) else None
        return header if header is not None else f"column {_column_letters(index)}"

    def problems(self, rownum: int, cells: Cells) -> list[tuple[int, RowError]]:
        """Values under no header and Excel error cells in one row, with their column index.

        A value under no header would otherwise be dropped without a word.
        """
        found: list[tuple[int, RowError]] = []
        width = len(self.header)
        if len(cells) > width or self.unnamed:
            for i in (*self.unnamed, *range(width, len(cells))):
                if i < len(cells) and cells[i] is not None:
                    message = "value in a column without a header"
                    found.append((i, RowError(rownum, self.label(i), message)))
        for i, text in self.excel_errors.get(rownum, ()):
            message = f"the cell shows the Excel error {text}; fix the formula or type the value"
            found.append((i, RowError(rownum, self.label(i), message)))
        return found


def _read_grid(data: bytes, filename: str | None, content_type: str | None, max_rows: int) -> _Grid:
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1")
    declared = _declared_kind(filename, content_type)
    if not data:
        raise _file_error("the file is empty; row 1 should hold the column headers", row=1)
    # The bytes decide, not the name: officers rename files, browsers guess types.
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, max_rows)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        # An OLE2 container: a legacy .xls, or an .xlsx saved with a password.
        raise _file_error(
            "legacy .xls or password-protected workbook: save it as .xlsx without a password,"
            " or as 'CSV UTF-8'"
        )
    if declared == "xlsx":
        raise _file_error("the file is named or typed as .xlsx but is not an .xlsx workbook")
    return _read_csv(data, max_rows)


_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Windows browsers send application/vnd.ms-excel for a .csv whenever Excel is installed, and
# others send octet-stream, so the declared type is only a hint used when there is no name.
_CSV_TYPES = {
    "text/csv",
    "text/plain",
    "text/x-csv",
    "text/comma-separated-values",
    "text/tab-separated-values",
    "application/csv",
    "application/x-csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
}


def _declared_kind(filename: str | None, content_type: str | None) -> Literal["csv", "xlsx"]:
    """What the upload claims to be; anything but CSV or XLSX is refused before reading."""
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if suffix:
        if suffix in _CSV_SUFFIXES:
            return "csv"
        if suffix in _XLSX_SUFFIXES:
            return "xlsx"
        raise _file_error(f"unsupported file type {suffix!r}: upload .xlsx or .csv (CSV UTF-8)")
    mime = (content_type or "").partition(";")[0].strip().lower()
    if not mime or mime in _CSV_TYPES:
        return "csv"
    if mime == _XLSX_TYPE:
        return "xlsx"
    raise _file_error(f"unsupported file type {mime!r}: upload .xlsx or .csv (CSV UTF-8)")


def _collect(rows: Iterable[tuple[int, Cells]], max_rows: int) -> _Grid:
    """Header = first non-blank row; keep non-blank rows after it, at most ``max_rows``.

    Stops reading at the first row over the limit, so an oversized upload costs little.
    """
    it = iter(rows)
    first = next(((n, cells) for n, cells in it if any(cells)), None)
    if first is None:
        raise _file_error("the file is empty; row 1 should hold the column headers", row=1)
    header_row, header = first
    kept: list[tuple[int, Cells]] = []
    for rownum, cells in it:
        if not any(cells):
            continue
        if len(kept) == max_rows:
            message = f"more than {max_rows:,} data rows; split the file"
            raise TabularError([RowError(rownum, "", message)])
        kept.append((rownum, cells))
    if not kept:
        raise _file_error("no data rows under the header", row=header_row + 1)
    while header and header[-1] is None:
        header.pop()
    return _Grid(header, header_row, kept)


# --- CSV ------------------------------------------------------------------------------------


def _read_csv(data: bytes, max_rows: int) -> _Grid:
    # One NFC pass over the whole text is far cheaper than one per cell, and safe: no
    # delimiter, quote or newline composes with a following combining mark.
    text = unicodedata.normalize("NFC", _decode(data))
    delimiter, skip_first_line = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    if skip_first_line:
        next(reader)
    # Empty strings become None here so that blank rows and empty cells look the same
    # whatever the format; str.strip also removes the no-break spaces Excel users paste.
    rows = ((n, [c.strip() or None for c in record]) for n, record in enumerate(reader, 1))
    try:
        return _collect(rows, max_rows)
    except csv.Error as exc:
        raise _file_error(f"unreadable CSV near line {reader.line_num}: {exc}") from exc


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused.

    Excel's plain "CSV" on a Vietnamese Windows writes the ANSI code page (cp1258) and the
    "Unicode Text" choice writes UTF-16; guessing a code page silently garbles names, so only
    encodings that say what they are are accepted, with a hint at the Excel choice that works.
    """
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise _file_error("UTF-32 text is not supported; save the file as 'CSV UTF-8'")
    if data.startswith(codecs.BOM_UTF8):
        encoding, name = "utf-8-sig", "UTF-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, name = "utf-16", "UTF-16"
    elif b"\x00" in data[:4096]:
        # Valid UTF-8 as far as bytes go, but NULs between letters mean UTF-16 without BOM.
        raise _file_error("the file looks like UTF-16 without a BOM; save it as 'CSV UTF-8'")
    else:
        encoding, name = "utf-8", "UTF-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _file_error(
            f"the file is not {name} text (bad bytes on line {line}); in Excel use"
            " Save As → 'CSV UTF-8 (Comma delimited)'"
        ) from exc


def _sniff_delimiter(text: str) -> tuple[str, bool]:
    """The delimiter, and whether the first line is Excel's ``sep=`` directive to skip.

    Counted on the header line only: headers rarely contain a delimiter, while data (names
    with commas, decimal commas) often does. Excel writes ``;`` where the list separator is
    ``;`` (decimal-comma locales, Vietnamese included) and tabs for "Unicode Text".
    """
    end = text.find("\n")
    first = (text if end < 0 else text[:end]).rstrip("\r")
    directive = re.fullmatch(r"sep=(.)", first)
    if directive:
        return directive.group(1), True
    unquoted = "".join(first.split('"')[::2])
    return max(",;\t", key=unquoted.count), False  # ties, and no delimiter at all, give ","


# --- XLSX -----------------------------------------------------------------------------------


def _read_xlsx(data: bytes, max_rows: int) -> _Grid:
    # Imported here: CSV-only processes never need openpyxl (nor its ~0.1 s import).
    from openpyxl import load_workbook  # noqa: PLC0415

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _XLSX_ERRORS as exc:
        raise _file_error("not a readable .xlsx workbook; open and save it again in Excel") from exc
    try:
        if not book.worksheets:
            raise _file_error("the workbook has no worksheet")
        sheet = book.worksheets[0]
        # The stored dimension may be wrong (some writers put "A1"), and read-only mode would
        # then cut rows; padded to a huge one, every row would be 16,384 cells wide.
        sheet.reset_dimensions()
        cells = _XlsxCells()
        # Gaps between stored rows come back as empty rows, so counting gives the row number.
        rows = (
            (n, [cells.text(cell) for cell in row])
            for n, row in enumerate(_guarded(sheet.iter_rows()), 1)
        )
        grid = _collect(rows, max_rows)
        grid.excel_errors = cells.errors
        return grid
    finally:
        book.close()


# What openpyxl raises on a damaged or foreign zip (a .docx, an .ods, a truncated upload).
# Its InvalidFileException is only raised for file names, never for a file object as here.
_XLSX_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    EOFError,
    OSError,
    SyntaxError,  # xml.etree.ElementTree.ParseError
)


def _guarded(rows: Iterator[Any]) -> Iterator[Any]:
    """openpyxl's rows, with its failures on a damaged sheet turned into a TabularError.

    Only openpyxl's own step is guarded, so a bug in this module is not reported as a bad file.
    """
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except _XLSX_ERRORS as exc:
            raise _file_error("the first worksheet is damaged; open and save it again") from exc
        yield row


_ZERO_PADDED = re.compile(r"0+")


class _XlsxCells:
    """Turns openpyxl cells into the text a CSV of the same sheet would hold.

    Numbers come as int or float even when they are codes; callers' schemas want strings, so
    integral numbers are written without ".0". Leading zeros survive only where the sheet
    shows them: in a text cell, or under a "00000"-style number format (the usual way codes
    are formatted), which is what the officer sees on screen.
    """

    __slots__ = ("errors",)

    def __init__(self) -> None:
        self.errors: dict[int, list[tuple[int, str]]] = {}

    def text(self, cell: Any) -> str | None:
        value = cell.value
        if type(value) is str:
            if cell.data_type == "e":  # #N/A, #REF!... kept as text, reported by the grid
                self.errors.setdefault(cell.row, []).append((cell.column - 1, value))
            return unicodedata.normalize("NFC", value).strip() or None
        return None if value is None else _value_text(value, cell)


def _value_text(value: object, cell: Any) -> str | None:
    kind = type(value)
    if kind is int or kind is float:
        return _number_text(cast(float, value), cell.number_format)
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, datetime):
        # Excel has no date-only type: midnight means a date, which is what date fields
        # (birthdays, registration days) expect.
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip() or None  # e.g. timedelta


def _number_text(value: float, number_format: str) -> str:
    if isinstance(value, float) and not value.is_integer():
        return format(value, ".15g")  # Excel's 15 digits: 0.1 + 0.2 shows as 0.3
    text = str(int(value))
    if _ZERO_PADDED.fullmatch(number_format):
        text = text.zfill(len(number_format))
    return text


# --- matching headers to a record type and validating rows ----------------------------------


@dataclass(slots=True)
class _Schema:
    """A record type's fields and the header keys that name them."""

    record_type: type[msgspec.Struct]
    fields: dict[str, FieldInfo]  # by encoded name, the key msgspec.convert expects
    lookup: dict[str, str]  # header_key → encoded name
    accepted: dict[str, list[str]]  # encoded name → header texts accepted, aliases first
    probes: dict[str, type[msgspec.Struct]] = field(default_factory=dict)

    @classmethod
    def build(cls, record_type: type[msgspec.Struct], aliases: dict[str, str] | None) -> _Schema:
        if not (isinstance(record_type, type) and issubclass(record_type, msgspec.Struct)):
            raise TypeError(f"record_type must be a msgspec.Struct subclass, not {record_type!r}")
        infos = msgspec.structs.fields(record_type)
        by_name = {name: info for info in infos for name in (info.name, info.encode_name)}
        lookup: dict[str, str] = {}
        accepted: dict[str, list[str]] = {info.encode_name: [] for info in infos}
        # Aliases first: a caller's alias may deliberately take over a field's own name.
        for alias, target in (aliases or {}).items():
            info = by_name.get(target)
            if info is None:
                raise ValueError(f"alias {alias!r} names no field of {record_type.__name__}")
            key = header_key(alias)
            if lookup.setdefault(key, info.encode_name) != info.encode_name:
                raise ValueError(f"alias {alias!r} matches headers of two fields")
            accepted[info.encode_name].append(alias)
        for info in infos:
            for name in dict.fromkeys((info.name, info.encode_name)):
                if lookup.setdefault(header_key(name), info.encode_name) == info.encode_name:
                    accepted[info.encode_name].append(name)
        fields = {info.encode_name: info for info in infos}
        return cls(record_type, fields, lookup, accepted)

    def match(self, grid: _Grid) -> _Columns:
        """Which field each column feeds; unknown, duplicate and missing columns raise."""
        errors = _Errors()
        keys: list[str] = []
        headers: dict[str, str] = {}
        for header in grid.header:
            if header is None:
                keys.append("")
                continue
            name = self.lookup.get(header_key(header))
            if name is None:
                errors.add(RowError(grid.header_row, header, self._unknown_message()))
            elif name in headers:
                message = f"duplicate column: {headers[name]!r} already gives this value"
                errors.add(RowError(grid.header_row, header, message))
                name = None
            else:
                headers[name] = header
            keys.append(name or "")
        for name, info in self.fields.items():
            if info.required and name not in headers:
                accepted = ", ".join(repr(text) for text in self.accepted[name])
                message = f"required column is missing; accepted headers: {accepted}"
                errors.add(RowError(grid.header_row, self._label(name), message))
        errors.raise_if_any()
        return _Columns(keys, headers)

    def _label(self, name: str) -> str:
        """The header to name a field by: its first alias (callers list Vietnamese first)."""
        return next(iter(self.accepted[name]), self.fields[name].name)

    def _unknown_message(self) -> str:
        expected = ", ".join(repr(self._label(name)) for name in self.fields)
        return f"unknown column; expected columns: {expected}"

    def check(self, name: str, value: str) -> str | None:
        """Why one cell's value is invalid for its field on its own, or None if it is valid.

        msgspec stops at a record's first bad field; a one-field struct per field lets every
        bad cell of a row be reported. Only rows that already failed pay for it.
        """
        info = self.fields[name]
        probe = self.probes.get(name)
        if probe is None:
            probe = self.probes[name] = msgspec.defstruct("Cell", [(info.name, info.type)])
        try:
            msgspec.convert({info.name: value}, probe, strict=False)
        except msgspec.ValidationError as exc:
            return _split_message(str(exc))[1]
        return None


@dataclass(slots=True)
class _Columns:
    """The outcome of matching a header row: the field per column, the header per field."""

    keys: list[str]  # per column: encoded field name, "" for a column without header
    headers: dict[str, str]  # encoded field name → header text as written, in column order

    def row(self, cells: Cells) -> dict[str, str]:
        return {key: value for key, value in zip(self.keys, cells, strict=False) if key and value}

    def explain(
        self, schema: _Schema, rownum: int, row: dict[str, str], message: str
    ) -> list[RowError]:
        """Every bad cell of a row msgspec rejected, else its own message (a whole-row rule)."""
        found = self.cell_errors(schema, rownum, row, set())
        if not found:
            name, text = _split_message(message)
            found.append(RowError(rownum, self.headers.get(name, ""), text))
        return found

    def cell_errors(
        self, schema: _Schema, rownum: int, row: dict[str, str], skip: set[str]
    ) -> list[RowError]:
        found: list[RowError] = []
        for name, header in self.headers.items():
            if name in skip:
                continue
            value = row.get(name)
            if value is None:
                problem = "a value is required" if schema.fields[name].required else None
            else:
                problem = schema.check(name, value)
            if problem is not None:
                found.append(RowError(rownum, header, problem))
        return found


_AT_PATH = re.compile(r" - at `\$(?:\.([^.\[`]+))?[^`]*`$")
_MISSING = re.compile(r"Object missing required field `([^`]+)`")


def _split_message(message: str) -> tuple[str, str]:
    """A msgspec ValidationError message as (encoded field name or "", text without path).

    msgspec ends messages with "- at `$.field`", except a missing required field, which it
    names in the text ("Object missing required field `name`").
    """
    at = _AT_PATH.search(message)
    if at:
        return at.group(1) or "", message[: at.start()]
    missing = _MISSING.match(message)
    if missing:
        return missing.group(1), "a value is required"
    return "", message
