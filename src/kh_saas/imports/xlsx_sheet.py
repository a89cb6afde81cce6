"""Reading the first worksheet of an XLSX upload as numbered rows of text, within limits.

openpyxl's read-only mode cannot be bounded from outside: it builds each row whole before
handing it over (one row of three million empty cells is three million dicts first), parses
styles and shared strings into objects without a limit, and inflates whatever the zip holds.
A 33 KB workbook cost it 42 s and 2.75 GB. So the few parts needed (package and workbook
relationships, workbook, styles, shared strings, the sheet) are streamed from the zip into
expat under the budgets of xlsx_parts, and the handlers here count what they build: the
sheet's declared dimension, rows (blank and skipped ones count), cells per row and in all,
characters per cell, shared strings. A row is refused at its first cell past a limit, long
before it is complete.

openpyxl is still used for what it does well and cheaply: telling date formats from others
and converting Excel's serial dates.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from kh_saas.imports.errors import TableTooLarge, file_error
from kh_saas.imports.limits import Limits
from kh_saas.imports.sheet import Cells, Faults, Reading, Row, too_long
from kh_saas.imports.text import clean_text, unescape_ooxml
from kh_saas.imports.xlsx_parts import (
    ZIP_ERRORS,
    Damaged,
    Done,
    Parts,
    Tags,
    Target,
    check_directory,
    parse_all,
    relative,
    unreadable,
)

#: Entries kept from the style and relationship tables (Excel allows ~64,000 cell formats).
MAX_TABLE_ENTRIES = 65_536


def read_xlsx(data: bytes, limits: Limits) -> Reading:
    faults = Faults()
    return _rows(data, limits, faults), faults


def _rows(data: bytes, limits: Limits, faults: Faults) -> Iterator[Row]:
    check_directory(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise unreadable("not a zip archive") from exc
    with archive:
        parts = Parts(archive, limits)
        book = _office_document(parts)
        rels = _relationships(parts, book)
        sheet, epoch = _first_worksheet(parts, book, rels)
        formats = _formats(parts, rels.get("styles"))
        strings = _strings(parts, rels.get("sharedStrings"), limits)
        reader = _SheetReader(strings, formats, epoch, limits, faults)
        for _ in parts.parse(sheet, reader):
            if reader.done:
                yield from reader.done
                reader.done = []
        yield from reader.done


# --- package and workbook: where the first sheet is, its strings and styles, the epoch ------


class _Relations(Target):
    def __init__(self) -> None:
        self.tags = Tags("Relationship")
        self.by_id: dict[str, tuple[str, str]] = {}  # id → (type's last segment, target)
        self.by_type: dict[str, str] = {}  # type's last segment → first target of that type

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.tags[name] or attrs.get("TargetMode"):
            return  # external targets (links to other files) are never read
        if len(self.by_id) >= MAX_TABLE_ENTRIES:
            raise Damaged("too many relationships")
        kind = attrs.get("Type", "").rpartition("/")[2]
        target = attrs.get("Target", "")
        self.by_id.setdefault(attrs.get("Id", ""), (kind, target))
        self.by_type.setdefault(kind, target)


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _office_document(parts: Parts) -> str:
    if not parts.exists("_rels/.rels"):
        return "xl/workbook.xml"
    relations = _Relations()
    parse_all(parts, "_rels/.rels", relations)
    target = relations.by_type.get("officeDocument")
    return relative("", target) if target else "xl/workbook.xml"


class _BookRels(NamedTuple):
    path: str
    by_id: dict[str, tuple[str, str]]
    by_type: dict[str, str]

    def get(self, kind: str) -> str | None:
        target = self.by_type.get(kind)
        return None if target is None else relative(self.path, target)


def _relationships(parts: Parts, book: str) -> _BookRels:
    relations = _Relations()
    path = _rels_path(book)
    if not parts.exists(path):
        raise unreadable(f"no {path}")
    parse_all(parts, path, relations)
    return _BookRels(book, relations.by_id, relations.by_type)


class _Workbook(Target):
    def __init__(self) -> None:
        self.tags = Tags("workbookPr", "sheet", "sheets")
        self.date1904 = False
        self.sheet_ids: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self.tags[name]
        if tag == "sheet" and len(self.sheet_ids) < MAX_TABLE_ENTRIES:
            # r:id, whatever the prefix: the one prefixed attribute called "id".
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
            self.sheet_ids.append(rid)
        elif tag == "workbookPr":
            self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")

    def end(self, name: str) -> None:
        if self.tags[name] == "sheets":
            raise Done  # workbookPr comes before the sheets; nothing after them is needed


def _first_worksheet(parts: Parts, book: str, rels: _BookRels) -> tuple[str, datetime]:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH  # noqa: PLC0415

    workbook = _Workbook()
    parse_all(parts, book, workbook)
    for rid in workbook.sheet_ids:
        kind, target = rels.by_id.get(rid, ("", ""))
        if kind == "worksheet":  # chart sheets and dialog sheets hold no table
            epoch: datetime = CALENDAR_MAC_1904 if workbook.date1904 else WINDOWS_EPOCH
            return relative(book, target), epoch
    raise file_error("the workbook has no worksheet")


# --- styles: which cells show dates, and their number formats -------------------------------


class _Format(NamedTuple):
    code: str
    is_date: bool
    is_timedelta: bool
    #: Digits a "00000"-style format shows, 0 for any other format.
    zero_padded: int


def _format(code: str | None) -> _Format:
    from openpyxl.styles.numbers import is_date_format, is_timedelta_format  # noqa: PLC0415

    code = code or "General"
    padded = len(code) if code and set(code) == {"0"} else 0
    return _Format(code, is_date_format(code), is_timedelta_format(code), padded)


GENERAL = _Format("General", False, False, 0)


class _Styles(Target):
    def __init__(self) -> None:
        self.tags = Tags("numFmt", "cellXfs", "xf")
        self.custom: dict[int, str] = {}
        self.xf_formats: list[int] = []  # per cell style (the cell's "s"): its numFmtId
        self.in_cell_xfs = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self.tags[name]
        if tag == "xf":
            if self.in_cell_xfs and len(self.xf_formats) < MAX_TABLE_ENTRIES:
                self.xf_formats.append(_int(attrs.get("numFmtId"), 0))
        elif tag == "numFmt":
            if len(self.custom) < MAX_TABLE_ENTRIES:
                self.custom[_int(attrs.get("numFmtId"), -1)] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            self.in_cell_xfs = True

    def end(self, name: str) -> None:
        if self.tags[name] == "cellXfs":
            raise Done  # cell styles come after the number formats; the rest is looks


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _formats(parts: Parts, path: str | None) -> list[_Format]:
    if path is None or not parts.exists(path):
        return []
    from openpyxl.styles.numbers import BUILTIN_FORMATS  # noqa: PLC0415

    styles = _Styles()
    parse_all(parts, path, styles)
    known: dict[int, _Format] = {}
    formats = []
    for fmt_id in styles.xf_formats:
        if fmt_id not in known:
            known[fmt_id] = _format(styles.custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id))
        formats.append(known[fmt_id])
    return formats


# --- shared strings -------------------------------------------------------------------------


class _Strings(Target):
    """The shared-string table, each text cleaned once here rather than in every cell."""

    def __init__(self, limits: Limits) -> None:
        self.tags = Tags("si", "t", "rPh")
        self.limits = limits
        self.strings: list[str | None] = []
        self.overlong: set[int] = set()  # indexes of texts cut at the cell limit
        self.pieces: list[str] = []
        self.length = 0
        self.collect = False
        self.phonetic = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self.tags[name]
        if tag == "t":
            self.collect = not self.phonetic
        elif tag == "si":
            self.pieces = []
            self.length = 0
        elif tag == "rPh":
            self.phonetic = True  # the reading of East Asian text, not the text

    def end(self, name: str) -> None:
        tag = self.tags[name]
        if tag == "t":
            self.collect = False
        elif tag == "si":
            if len(self.strings) >= self.limits.cells:
                raise TableTooLarge(
                    "cells",
                    self.limits.cells,
                    f"the workbook's shared-string table holds more than {self.limits.cells:,}"
                    " texts, more than its cells may use; split the file",
                )
            if self.length > self.limits.cell_chars:
                self.overlong.add(len(self.strings))
            self.strings.append(clean_text(unescape_ooxml("".join(self.pieces))))
            self.pieces = []
        elif tag == "rPh":
            self.phonetic = False

    def text(self, data: str) -> None:
        if self.collect:
            self.length += len(data)
            if self.length <= self.limits.cell_chars + len(data):
                self.pieces.append(data)


def _strings(parts: Parts, path: str | None, limits: Limits) -> _Strings:
    strings = _Strings(limits)
    if path is not None and parts.exists(path):
        parse_all(parts, path, strings)
    return strings


# --- the sheet ------------------------------------------------------------------------------

_DIGITS = "0123456789"
_COLUMNS: dict[str, int] = {}


def _column(ref: str) -> int:
    """The 1-based column of a cell reference ("C7" → 3); 0 if it is not one."""
    letters = ref.rstrip(_DIGITS)
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for letter in letters:
            if not "A" <= letter <= "Z":
                return 0
            number = number * 26 + ord(letter) - 64
        if len(letters) <= 3:
            _COLUMNS[letters] = number
    return number


class _SheetReader(Target):
    """Rows of the sheet as expat reports them, counted against the limits as they arrive.

    A cell is counted when its start tag arrives, so a row is refused at its first cell
    past the limit, long before the row is complete.
    """

    def __init__(
        self,
        strings: _Strings,
        formats: list[_Format],
        epoch: datetime,
        limits: Limits,
        faults: Faults,
    ) -> None:
        self.strings = strings.strings
        self.overlong = strings.overlong
        self.formats = formats
        self.epoch = epoch
        self.limits = limits
        self.faults = faults
        self.styles: dict[str | None, _Format] = {}
        self.tags = Tags("c", "v", "row", "t", "is", "rPh", "dimension", "sheetData")
        self.done: list[Row] = []  # complete rows not yet handed on
        self.rownum = 0
        self.in_row = False
        self.in_cell = False
        self.max_columns = limits.columns
        self.max_cells = limits.cells
        self.max_chars = limits.cell_chars
        self.col = 0  # column of the current cell
        self.count = 0  # cells stored in the current row
        self.span = 0  # the current row's cells: its rightmost stored cell, or its count
        self.last = 0  # the current row's rightmost cell holding a value
        self.values: list[tuple[int, str]] = []
        self.cells_before = 0  # cells (spans) of the rows already read
        self.kind = "n"
        self.style: str | None = None
        self.pieces: list[str] = []
        self.length = 0
        self.collect = False
        self.inline = False
        self.phonetic = False

    # expat handlers: the hot path, so plain attribute access and early returns.

    def start(self, name: str, attrs: dict[str, str]) -> None:  # noqa: PLR0912 - one dispatch
        tag = self.tags[name]
        if tag == "c":  # inlined: a method call per cell is a tenth of the reading time
            if not self.in_row:
                raise Damaged("a cell outside a row")
            ref = attrs.get("r")
            col = self.col + 1 if ref is None else _column(ref)
            if col < 1:
                raise Damaged(f"cell reference {str(ref)[:20]!r}")
            count = self.count = self.count + 1
            span = col if col > self.span else self.span
            span = count if count > span else span
            self.span = span
            if span > self.max_columns:
                raise self.limits.too_wide(self.rownum, span)
            if self.cells_before + span > self.max_cells:
                raise self.limits.too_many_cells(self.rownum)
            self.col = col
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s")
            self.pieces = []
            self.length = 0
            self.in_cell = True
        elif tag == "v":
            if self.in_cell:
                self.collect = True
        elif tag == "row":
            self._start_row(attrs.get("r"))
        elif tag == "t":
            if self.inline and not self.phonetic:
                self.collect = True
        elif tag == "is":
            self.inline = True
        elif tag == "rPh":
            self.phonetic = True
        elif tag == "dimension":
            self._check_dimension(attrs.get("ref", ""))

    def end(self, name: str) -> None:
        tag = self.tags[name]
        if tag == "c":
            self.in_cell = self.collect = False
            if self.pieces:
                value = self._value("".join(self.pieces))
                if value is not None:
                    self.values.append((self.col - 1, value))
                    self.last = self.col if self.col > self.last else self.last
        elif tag in ("v", "t"):
            self.collect = False
        elif tag == "row":
            self._end_row()
        elif tag == "is":
            self.inline = False
        elif tag == "rPh":
            self.phonetic = False
        elif tag == "sheetData":
            raise Done  # merged cells, formatting and the like after the data: not needed

    def text(self, data: str) -> None:
        if self.collect:
            self.length += len(data)
            if self.length <= self.max_chars + len(data):
                self.pieces.append(data)

    # rows

    def _start_row(self, ref: str | None) -> None:
        if ref is None:
            rownum = self.rownum + 1
        else:
            try:
                rownum = int(ref)
            except ValueError:
                raise Damaged(f"row number {ref[:20]!r}") from None
            if rownum <= self.rownum:
                raise Damaged(f"row {rownum} comes after row {self.rownum}")
        self.limits.check_row(rownum)
        self.rownum = rownum
        self.in_row = True
        self.col = self.count = self.span = self.last = 0
        self.values = []

    def _end_row(self) -> None:
        cells: Cells = [None] * self.last
        for index, value in self.values:
            cells[index] = value
        self.done.append((self.rownum, cells))
        self.cells_before += self.span
        self.in_row = False

    # values

    def _value(self, text: str) -> str | None:
        kind = self.kind
        if self.length > self.limits.cell_chars:
            self._fault(too_long(self.limits.cell_chars))
        if kind == "s":
            return self._shared(text)
        if kind == "n":
            return self._number(text)
        return self._other(kind, text)

    def _shared(self, text: str) -> str | None:
        try:
            index = int(text)
            value = self.strings[index]
        except (ValueError, IndexError):
            raise Damaged(f"shared string {text[:20]!r} does not exist") from None
        if index in self.overlong:
            self._fault(too_long(self.limits.cell_chars))
        return value

    def _other(self, kind: str, text: str) -> str | None:
        if kind == "e":  # #N/A, #REF!... kept as text and reported
            shown = clean_text(text)
            self._fault(
                f"the cell shows the Excel error {shown}; fix the formula or type the value"
            )
            return shown
        if kind == "b":
            return "true" if text.strip() in ("1", "true") else "false"
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601  # noqa: PLC0415

            try:
                return _typed_text(from_ISO8601(text.strip()))
            except ValueError:
                self._fault(f"the cell is marked as a date but holds {text[:40]!r}")
                return clean_text(text)
        return clean_text(unescape_ooxml(text))  # inlineStr, str (a formula's text), others

    def _number(self, text: str) -> str | None:
        fmt = self.styles.get(self.style)
        if fmt is None:
            index = _int(self.style, 0)
            fmt = self.formats[index] if 0 <= index < len(self.formats) else GENERAL
            self.styles[self.style] = fmt
        text = text.strip()
        if not text:
            return None
        try:
            number: int | float = float(text) if "." in text or "e" in text.lower() else int(text)
        except ValueError:
            raise Damaged(f"number {text[:20]!r}") from None
        if fmt.is_date:
            from openpyxl.utils.datetime import from_excel  # noqa: PLC0415

            try:
                when = from_excel(number, self.epoch, timedelta=fmt.is_timedelta)
            except (OverflowError, ValueError):
                self._fault(f"the cell is formatted as a date but {text} is no date Excel knows")
                return text
            return _typed_text(when)
        if isinstance(number, float) and not number.is_integer():
            return format(number, ".15g")  # Excel's 15 digits: 0.1 + 0.2 shows as 0.3
        digits = str(int(number))
        return digits.zfill(fmt.zero_padded) if fmt.zero_padded else digits

    def _fault(self, message: str) -> None:
        self.faults.cell(self.rownum, self.col - 1, message)

    def _check_dimension(self, ref: str) -> None:
        """The used range the sheet declares: refused up front when it is past the limits."""
        last = ref.rpartition(":")[2]
        cols = _column(last)
        try:
            rows = int(last[len(last.rstrip(_DIGITS)) :] or 0)
        except ValueError:
            return  # a hint only; the rows themselves are counted anyway
        limits = self.limits
        if cols > limits.columns:
            raise TableTooLarge(
                "columns",
                limits.columns,
                f"the sheet declares its used range as {ref[:40]}, {cols:,} columns wide: at"
                f" most {limits.columns:,} columns are read; delete the columns right of the"
                " table, or copy the table into a new sheet",
            )
        if rows > limits.rows + 1:
            raise TableTooLarge(
                "rows",
                limits.rows,
                f"the sheet declares its used range as {ref[:40]}, {rows:,} rows long: at"
                f" most {limits.rows:,} rows are read under the header, blank rows included;"
                " split the file or delete the empty rows",
            )


def _typed_text(value: Any) -> str:
    if isinstance(value, datetime):
        # Excel has no date-only type: midnight means a date, which is what date fields
        # (birthdays, registration days) expect.
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)
