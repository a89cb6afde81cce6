"""Spreadsheet uploads (CSV or XLSX) turned into validated msgspec records.

Officers register households, clans, units and citizens in bulk by uploading the sheet they
keep in Excel. This module reads the upload into rows of text (csv_sheet, xlsx_sheet, within
the limits of limits.Limits), matches the header row to the fields of a record type (ignoring
case, accents and spacing, plus Vietnamese aliases given by the caller), maps coded values
written in words ("Hộ gia đình" → ``household``) and converts every row. It validates the
*whole* upload and lists every problem (header, unreadable rows, bad cells, whole-row rules)
before giving up, so an officer fixes the file after one upload instead of one error per
upload, and it returns nothing unless every row is good, so a bulk registration is all or
nothing.

Row numbers in errors are the spreadsheet's own, 1-based and counting the header, as the
officer sees them in Excel: the header is row 1 and the first data row is row 2. Blank rows
are skipped but still counted, so the numbers keep matching the sheet (and they count toward
the row limit: a million blank rows cost as much to read as a million full ones). Row 0 means
the file as a whole (wrong type, unreadable, wrong encoding).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Generic, Literal, TypeVar

import msgspec
import msgspec.inspect as mi
from msgspec.structs import FieldInfo

from kh_saas.imports.csv_sheet import read_csv
from kh_saas.imports.errors import (
    MAX_LISTED_ERRORS,
    Errors,
    RowError,
    TableTooLarge,
    TabularError,
    file_error,
)
from kh_saas.imports.limits import DEFAULT_MAX_ROWS, Limits
from kh_saas.imports.sheet import Cells, Faults, Row
from kh_saas.imports.text import header_key
from kh_saas.imports.xlsx_sheet import read_xlsx

__all__ = [
    "DEFAULT_MAX_ROWS",
    "MAX_LISTED_ERRORS",
    "Limits",
    "Records",
    "RowError",
    "TableTooLarge",
    "TabularError",
    "header_key",
    "parse_records",
    "read_records",
    "read_table",
]

T = TypeVar("T", bound=msgspec.Struct)


@dataclass(slots=True)
class Records(Generic[T]):
    """An upload read against a record type: the good rows and every problem found.

    ``rows`` pairs each good record with its spreadsheet row number. ``errors`` lists the
    first MAX_LISTED_ERRORS problems (header problems first, then by row) and ``total``
    counts them all; the upload is acceptable only if ``total`` is 0. ``headers`` maps each
    field's encoded name to the header the officer wrote for it, to name columns in problems
    found later (a domain rule on ``commune_code`` is reported under "Mã xã").
    """

    rows: list[tuple[int, T]]
    errors: list[RowError]
    total: int
    headers: dict[str, str]


def read_records(
    data: bytes,
    record_type: type[T],
    *,
    filename: str | None = None,
    content_type: str | None = None,
    max_rows: int | None = None,
    limits: Limits | None = None,
    aliases: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> Records[T]:
    """Read an upload and convert every data row to ``record_type``, listing all problems.

    Raises TabularError only when the file cannot be read as a table at all (type, encoding,
    no header), and TableTooLarge when it goes past a limit (``max_rows`` overrides
    ``limits.rows``). ``aliases`` maps header texts the officer may write (``"họ tên"``,
    ``"ma xa"``) to field names; they, the field names and the fields' encoded names all
    match ignoring case, accents and spacing (see header_key). ``values`` maps a field to the
    words accepted for its values (``{"kind": {"hộ gia đình": "household"}}``); they, and the
    values of enum and literal fields themselves, match the same way. Empty cells are left out
    of the row, so a field's default applies and a required field reports "a value is
    required". Conversion is msgspec's lax mode, so ``"3"`` becomes an int and
    ``"2024-05-01"`` a date where the fields say so.
    """
    schema = _Schema.build(record_type, aliases, values)
    grid = _read_grid(data, filename, content_type, _limits(limits, max_rows))
    columns, errors = schema.match(grid)
    headers_ok = errors.total == 0
    records: list[tuple[int, T]] = []
    keys, all_known, coded = columns.keys, columns.all_known, bool(schema.choices)
    for rownum, cells in grid.rows:
        whole, problems = grid.problems(rownum, cells)
        if problems:
            errors.extend(problem for _, problem in problems)
            if whole:
                continue
        # Inlined from _Columns.row for the usual case: this loop runs once per row.
        if all_known:
            row = {key: value for key, value in zip(keys, cells, strict=False) if value}
        else:
            row = columns.row(cells)
        if coded:
            schema.canonicalise(row)
        if problems or not headers_ok:
            # Check the cells one by one: the row cannot become a record, but its other
            # cells may be bad too, and the officer should hear of them in this round.
            skip = {columns.keys[i] for i, _ in problems if 0 <= i < len(columns.keys)}
            errors.extend(columns.cell_errors(schema, rownum, row, skip))
            continue
        try:
            records.append((rownum, msgspec.convert(row, record_type, strict=False)))
        except msgspec.ValidationError as exc:
            errors.extend(columns.explain(schema, rownum, row, str(exc)))
    return Records(records, errors.listed, errors.total, dict(columns.headers))


def parse_records(
    data: bytes,
    record_type: type[T],
    *,
    filename: str | None = None,
    content_type: str | None = None,
    max_rows: int | None = None,
    limits: Limits | None = None,
    aliases: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> list[T]:
    """read_records, all or nothing: the records, or a TabularError listing every problem."""
    read = read_records(
        data,
        record_type,
        filename=filename,
        content_type=content_type,
        max_rows=max_rows,
        limits=limits,
        aliases=aliases,
        values=values,
    )
    if read.total:
        raise TabularError(read.errors, read.total)
    return [record for _, record in read.rows]


def read_table(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    max_rows: int | None = None,
    limits: Limits | None = None,
) -> tuple[list[str], list[dict[str, str | None]]]:
    """Read an upload into its header texts and one dict per non-blank data row.

    Keys are the header texts as written (NFC, trimmed); values are NFC, trimmed text, or None
    for an empty cell. Raises TabularError listing every problem: duplicate headers, values in
    a column without a header, unreadable rows.
    """
    grid = _read_grid(data, filename, content_type, _limits(limits, max_rows))
    errors = Errors()
    named: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, header in enumerate(grid.header):
        if header is None:
            continue
        if header in seen:
            errors.add(RowError(grid.header_row, header, "duplicate column"))
        seen.add(header)
        named.append((i, header))
    rows: list[dict[str, str | None]] = []
    for rownum, cells in grid.rows:
        errors.extend(problem for _, problem in grid.problems(rownum, cells)[1])
        width = len(cells)
        rows.append({header: cells[i] if i < width else None for i, header in named})
    errors.raise_if_any()
    return [header for _, header in named], rows


def _limits(limits: Limits | None, max_rows: int | None) -> Limits:
    limits = limits or Limits()
    return limits if max_rows is None else dataclasses.replace(limits, rows=max_rows)


def _column_letters(index: int) -> str:
    """Spreadsheet letters of a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- the grid: rows of cleaned text, whatever the format ------------------------------------

_CLEAN: tuple[bool, Sequence[tuple[int, RowError]]] = (False, ())


@dataclass(slots=True)
class _Grid:
    """A sheet as text: the header row and the non-blank data rows with their row numbers."""

    header: Cells
    header_row: int
    rows: list[Row]
    faults: Faults
    unnamed: list[int] = field(init=False)
    width: int = field(init=False)

    def __post_init__(self) -> None:
        self.unnamed = [i for i, header in enumerate(self.header) if header is None]
        self.width = len(self.header)

    def label(self, index: int) -> str:
        header = self.header[index] if index < len(self.header) else None
        return header if header is not None else f"column {_column_letters(index)}"

    def problems(self, rownum: int, cells: Cells) -> tuple[bool, Sequence[tuple[int, RowError]]]:
        """A row's own problems, with their column index (-1 for the row as a whole).

        True first when the row could not be read as cells at all, so its cells mean
        nothing. Otherwise: values under no header (which would be dropped without a word)
        and cells the reader found at fault (Excel errors, too long).
        """
        faults = self.faults
        if not (faults.broken or faults.cells or self.unnamed) and len(cells) <= self.width:
            return _CLEAN  # the usual row, asked about in the hot loop
        broken = faults.broken.get(rownum)
        if broken is not None:
            return True, [(-1, RowError(rownum, "", broken))]
        found: list[tuple[int, RowError]] = []
        width = self.width
        if len(cells) > width or self.unnamed:
            for i in (*self.unnamed, *range(width, len(cells))):
                if i < len(cells) and cells[i] is not None:
                    message = "value in a column without a header"
                    found.append((i, RowError(rownum, self.label(i), message)))
        for i, message in self.faults.cells.get(rownum, ()):
            found.append((i, RowError(rownum, self.label(i), message)))
        return False, found


def _read_grid(
    data: bytes, filename: str | None, content_type: str | None, limits: Limits
) -> _Grid:
    declared = _declared_kind(filename, content_type)
    if not data:
        raise file_error("the file is empty; row 1 should hold the column headers", row=1)
    # The bytes decide, not the name: officers rename files, browsers guess types.
    if data.startswith(b"PK\x03\x04"):
        rows, faults = read_xlsx(data, limits)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        # An OLE2 container: a legacy .xls, or an .xlsx saved with a password.
        raise file_error(
            "legacy .xls or password-protected workbook: save it as .xlsx without a password,"
            " or as 'CSV UTF-8'"
        )
    elif declared == "xlsx":
        raise file_error("the file is named or typed as .xlsx but is not an .xlsx workbook")
    else:
        rows, faults = read_csv(data, limits)
    return _collect(rows, faults, limits)


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
        raise file_error(f"unsupported file type {suffix!r}: upload .xlsx or .csv (CSV UTF-8)")
    mime = (content_type or "").partition(";")[0].strip().lower()
    if not mime or mime in _CSV_TYPES:
        return "csv"
    if mime == _XLSX_TYPE:
        return "xlsx"
    raise file_error(f"unsupported file type {mime!r}: upload .xlsx or .csv (CSV UTF-8)")


def _collect(rows: Iterable[Row], faults: Faults, limits: Limits) -> _Grid:
    """Header = first non-blank row; keep the non-blank (or unreadable) rows after it.

    Every row counts toward the row limit, blank or not, and reading stops at the first row
    past it, so an oversized upload costs little.
    """
    it = iter(rows)
    broken = faults.broken
    for rownum, cells in it:
        limits.check_row(rownum)
        if rownum in broken:
            raise file_error(f"the header row cannot be read: {broken[rownum]}", row=rownum)
        if any(cells):
            header_row, header = rownum, cells
            break
    else:
        raise file_error("the file is empty; row 1 should hold the column headers", row=1)
    kept: list[Row] = []
    last = limits.rows + 1
    for rownum, cells in it:
        if rownum > last:
            limits.check_row(rownum)
        if any(cells) or rownum in broken:
            kept.append((rownum, cells))
    if not kept:
        raise file_error("no data rows under the header", row=header_row + 1)
    while header and header[-1] is None:
        header.pop()
    return _Grid(header, header_row, kept, faults)


# --- matching headers to a record type and validating rows ----------------------------------


def _choices(info: mi.Type) -> list[str]:
    """The text values an enum or literal field (optional or not) accepts, in order."""
    if isinstance(info, mi.EnumType):
        return [m.value for m in info.cls if isinstance(m.value, str)]
    if isinstance(info, mi.LiteralType):
        return [v for v in info.values if isinstance(v, str)]
    if isinstance(info, mi.UnionType):
        return [v for t in info.types for v in _choices(t)]
    if isinstance(info, mi.Metadata):
        return _choices(info.type)
    return []


@dataclass(slots=True)
class _Choices:
    """The words accepted for one field's values, folded, and how to name them to a clerk."""

    lookup: dict[str, str]  # header_key(word) → value
    labels: str  # "household (hộ gia đình), clan (dòng họ), …"
    known: dict[str, str] = field(default_factory=dict)  # cell text → value, as seen so far

    def canonical(self, text: str) -> str:
        value = self.known.get(text)
        if value is None:
            value = self.lookup.get(header_key(text), text)
            if len(self.known) < 10_000:  # distinct spellings in one column are few
                self.known[text] = value
        return value


@dataclass(slots=True)
class _Schema:
    """A record type's fields, the header keys that name them and the words for their values."""

    record_type: type[msgspec.Struct]
    fields: dict[str, FieldInfo]  # by encoded name, the key msgspec.convert expects
    lookup: dict[str, str]  # header_key → encoded name
    accepted: dict[str, list[str]]  # encoded name → header texts accepted, aliases first
    choices: dict[str, _Choices]  # encoded name → its accepted values, for coded fields
    probes: dict[str, type[msgspec.Struct]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        record_type: type[msgspec.Struct],
        aliases: Mapping[str, str] | None,
        values: Mapping[str, Mapping[str, str]] | None,
    ) -> _Schema:
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
        choices = _build_choices(record_type, by_name, values or {})
        return cls(record_type, fields, lookup, accepted, choices)

    def match(self, grid: _Grid) -> tuple[_Columns, Errors]:
        """Which field each column feeds, and the header's problems (unknown, duplicate and
        missing columns). Columns that match are used even when others do not, so their
        cells are checked in the same round."""
        errors = Errors()
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
        return _Columns(keys, headers), errors

    def canonicalise(self, row: dict[str, str]) -> None:
        """Coded values written in words ("Hộ gia đình", "HO GIA DINH") → the code."""
        for name, choices in self.choices.items():
            text = row.get(name)
            if text is not None:
                row[name] = choices.canonical(text)

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
        choices = self.choices.get(name)
        if choices is not None and value not in choices.lookup.values():
            return f"{value!r} is not one of: {choices.labels}"
        probe = self.probes.get(name)
        if probe is None:
            probe = self.probes[name] = msgspec.defstruct("Cell", [(info.name, info.type)])
        try:
            msgspec.convert({info.name: value}, probe, strict=False)
        except msgspec.ValidationError as exc:
            return _split_message(str(exc))[1]
        return None


def _build_choices(
    record_type: type[msgspec.Struct],
    by_name: dict[str, FieldInfo],
    values: Mapping[str, Mapping[str, str]],
) -> dict[str, _Choices]:
    info = mi.type_info(record_type)
    assert isinstance(info, mi.StructType)
    coded = {f.encode_name: _choices(f.type) for f in info.fields}
    words: dict[str, dict[str, str]] = {name: {} for name, codes in coded.items() if codes}
    for target, spellings in values.items():
        field_info = by_name.get(target)
        if field_info is None:
            raise ValueError(f"values given for {target!r}, no field of {record_type.__name__}")
        name = field_info.encode_name
        words.setdefault(name, {})
        for word, code in spellings.items():
            if coded[name] and code not in coded[name]:
                raise ValueError(f"{word!r} maps to {code!r}, not a value of {target!r}")
            words[name][word] = code
    built: dict[str, _Choices] = {}
    for name, spelled in words.items():
        codes = coded[name] or list(dict.fromkeys(spelled.values()))
        lookup = {header_key(code): code for code in codes}
        for word, code in spelled.items():
            if lookup.setdefault(header_key(word), code) != code:
                raise ValueError(f"{word!r} is given for two values of {name!r}")
        first = {code: word for word, code in reversed(list(spelled.items()))}
        labels = ", ".join(f"{code} ({first[code]})" if code in first else code for code in codes)
        built[name] = _Choices(lookup, labels)
    return built


@dataclass(slots=True)
class _Columns:
    """The outcome of matching a header row: the field per column, the header per field."""

    keys: list[str]  # per column: encoded field name, "" for a column without (known) header
    headers: dict[str, str]  # encoded field name → header text as written, in column order
    _all_known: bool = field(init=False)

    def row(self, cells: Cells) -> dict[str, str]:
        if self.all_known:  # the usual case, and the hot loop: one test less per cell
            return {key: value for key, value in zip(self.keys, cells, strict=False) if value}
        return {key: value for key, value in zip(self.keys, cells, strict=False) if key and value}

    @property
    def all_known(self) -> bool:
        return self._all_known

    def __post_init__(self) -> None:
        self._all_known = all(self.keys)

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
