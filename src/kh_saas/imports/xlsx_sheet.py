"""Reading the first worksheet of an XLSX upload as numbered rows of text, within limits.

openpyxl's read-only mode cannot be bounded from outside: it builds each row whole before
handing it over (one row of three million empty cells is three million dicts first), parses
styles and shared strings into objects without a limit, and inflates whatever the zip holds.
A 33 KB workbook cost it 42 s and 2.75 GB. So the few parts needed are read here, streamed
from the zip in chunks into expat, counting as they go and stopping at the first limit:

- before opening the zip: the size of its central directory (how many entries it lists);
- before inflating a part: its declared size against the budget of uncompressed bytes, and
  whether its compressed data is larger than that size allows (a lying header); while
  inflating: the bytes actually produced, against the same budget;
- while parsing: tags, the longest tag or text run expat must hold in
  one piece, no DTD (so no entity expansion), the sheet's declared dimension, rows (blank
  and skipped ones count), cells per row and cells in all, characters per cell.

openpyxl is still used for what it does well and cheaply: telling date formats from others
and converting Excel's serial dates.
"""

from __future__ import annotations

import io
import lzma
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from xml.parsers import expat

from kh_saas.imports.errors import TableTooLarge, TabularError, file_error
from kh_saas.imports.limits import Limits
from kh_saas.imports.sheet import Cells, Faults, Reading, Row, too_long
from kh_saas.imports.text import clean_text, unescape_ooxml

#: Bytes of the zip's central directory: at ~50 bytes an entry, some 20,000 entries, where a
#: workbook has a few dozen. Python's zipfile reads the whole directory into objects at once.
MAX_DIRECTORY_BYTES = 1024 * 1024
#: Bytes between two ``<`` in any part. Expat holds a whole tag, comment or attribute value
#: in memory before it reports it; a legitimate cell (32,767 characters) is far below this.
MAX_TOKEN_BYTES = 1024 * 1024
#: Tags (counted by their ``<``) per cell allowed on average, workbook-wide: a cell takes 4
#: (``<c><v></v></c>``), 6 as an inline string, and its shared string 4 more.
TAGS_PER_CELL = 8
#: Entries kept from the style and relationship tables (Excel allows ~64,000 cell formats).
MAX_TABLE_ENTRIES = 65_536

_CHUNK = 64 * 1024

# --- the zip --------------------------------------------------------------------------------

_ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,  # a compression method zipfile does not know
    RuntimeError,  # an encrypted entry
    ValueError,
    struct.error,
)


def read_xlsx(data: bytes, limits: Limits) -> Reading:
    faults = Faults()
    return _rows(data, limits, faults), faults


def _rows(data: bytes, limits: Limits, faults: Faults) -> Iterator[Row]:
    _check_directory(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise _unreadable("not a zip archive") from exc
    with archive:
        parts = _Parts(archive, limits)
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


def _check_directory(data: bytes) -> None:
    """Refuse a central directory too large to read, from the end record zipfile reads."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65_535))
    if end < 0 or len(data) < end + 22:
        return  # not a zip: zipfile says so
    size: int = struct.unpack_from("<I", data, end + 12)[0]
    record = end - 20 - 56  # a ZIP64 end record sits just before its locator
    if (
        record >= 0
        and data[end - 20 : end - 16] == b"PK\x06\x07"
        and data[record : record + 4] == b"PK\x06\x06"
    ):
        size = struct.unpack_from("<Q", data, record + 40)[0]
    if size > MAX_DIRECTORY_BYTES:
        raise TableTooLarge(
            "zip_directory_bytes",
            MAX_DIRECTORY_BYTES,
            f"the workbook's zip directory has {size:,} bytes (tens of thousands of entries):"
            f" at most {MAX_DIRECTORY_BYTES:,} are read; a workbook needs a few dozen entries",
        )


def _unreadable(why: str) -> TabularError:
    return file_error(f"not a readable .xlsx workbook ({why}); open and save it again in Excel")


def _damaged(path: str, why: str) -> TabularError:
    return file_error(f"the workbook is damaged ({path}: {why}); open and save it again in Excel")


class _Parts:
    """The zip's parts, inflated under one byte budget and parsed under one node budget."""

    def __init__(self, archive: zipfile.ZipFile, limits: Limits) -> None:
        self.archive = archive
        self.bytes_left = limits.uncompressed_bytes
        self.budget = limits.uncompressed_bytes
        self.tags = limits.cells * TAGS_PER_CELL + 4 * limits.rows + 100_000
        self.tags_left = self.tags

    def exists(self, path: str) -> bool:
        return path in self.archive.NameToInfo

    def chunks(self, path: str) -> Iterator[bytes]:
        try:
            info = self.archive.getinfo(path)
        except KeyError:
            raise _unreadable(f"no {path}") from None
        declared = info.file_size
        if declared > self.bytes_left:
            raise TableTooLarge(
                "uncompressed_bytes",
                self.budget,
                f"{path} inflates to {declared:,} bytes: at most {self.budget:,} bytes of"
                " the workbook are read uncompressed; split the file",
            )
        # Deflate never grows data by more than a few bytes per 64 KiB block, so compressed
        # data larger than this is a header that lies about what it inflates to.
        if info.compress_size > declared + declared // 32 + 4096:
            raise TableTooLarge(
                "uncompressed_bytes",
                self.budget,
                f"{path} declares {declared:,} bytes uncompressed but holds"
                f" {info.compress_size:,} compressed bytes, so its size is a lie (a zip bomb?):"
                f" at most {self.budget:,} bytes of the workbook are read uncompressed",
            )
        self.bytes_left -= declared
        produced = 0
        try:
            stream = self.archive.open(info)
        except _ZIP_ERRORS as exc:
            raise _damaged(path, "cannot be opened") from exc
        with stream:
            while True:
                try:
                    chunk = stream.read(_CHUNK)
                except _ZIP_ERRORS as exc:
                    raise _damaged(path, "cannot be inflated") from exc
                if not chunk:
                    return
                produced += len(chunk)
                if produced > declared:  # zipfile stops at the declared size; be sure
                    raise TableTooLarge(
                        "uncompressed_bytes",
                        self.budget,
                        f"{path} inflates past its declared {declared:,} bytes: at most"
                        f" {self.budget:,} bytes of the workbook are read uncompressed",
                    )
                yield chunk

    def parse(self, path: str, target: _Target) -> Iterator[None]:
        """Feed a part to ``target``'s handlers, yielding after each chunk."""
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.buffer_size = _CHUNK
        parser.StartElementHandler = target.start
        parser.EndElementHandler = target.end
        parser.CharacterDataHandler = target.text
        parser.StartDoctypeDeclHandler = _no_doctype
        gap = 0  # bytes since the last "<"
        try:
            for chunk in self.chunks(path):
                first = chunk.find(b"<")
                if (gap + len(chunk) if first < 0 else gap + first) > MAX_TOKEN_BYTES:
                    raise TableTooLarge(
                        "xml_token_bytes",
                        MAX_TOKEN_BYTES,
                        f"{path} holds a tag or text of more than {MAX_TOKEN_BYTES:,} bytes"
                        " in one piece; no cell of a workbook needs that many",
                    )
                gap = gap + len(chunk) if first < 0 else len(chunk) - chunk.rfind(b"<") - 1
                # Tags counted by their "<" in C, not per element in Python: the budget
                # bounds the handlers' work without costing any of it.
                self.tags_left -= chunk.count(b"<")
                if self.tags_left < 0:
                    raise TableTooLarge(
                        "xml_tags",
                        self.tags,
                        f"the workbook has more than {self.tags:,} XML tags in the parts read"
                        " (its cells need far fewer); save it again in Excel",
                    )
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
        except _Done:
            return
        except expat.ExpatError as exc:
            raise _damaged(path, f"not well-formed XML: {exc}") from exc
        except _Damaged as exc:
            raise _damaged(path, str(exc)) from exc


def _no_doctype(*_: object) -> None:
    # OOXML parts have no DTD; one could only be there to expand entities.
    raise _Damaged("a DTD is not allowed")


class _Done(Exception):  # control flow: the handler has read what it needs
    pass


class _Damaged(Exception):  # raised in handlers, turned into a TabularError
    pass


class _Target:
    """Expat handlers for one part."""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def _parse_all(parts: _Parts, path: str, target: _Target) -> None:
    for _ in parts.parse(path, target):
        pass


# --- names ----------------------------------------------------------------------------------


class _Tags(dict[str, str]):
    """Element names as written ("c", "x:c") → their local name if it is one asked for, else "".

    Names are matched without namespace processing, which makes expat markedly faster; a
    prefix ("x:") is what some writers use, and Strict OOXML differs only in the namespace.
    Filled as names are met, up to a bound (a hostile file may invent any number of names).
    """

    def __init__(self, *local: str) -> None:
        super().__init__({name: name for name in local})
        self.local = frozenset(local)

    def __missing__(self, name: str) -> str:
        local = name.rpartition(":")[2]
        found = local if local in self.local else ""
        if len(self) < 1_000:
            self[name] = found
        return found


def _relative(source: str, target: str) -> str:
    """A relationship target as a zip path: absolute ("/xl/…") or relative to its source."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


# --- package and workbook: where the first sheet is, its strings and styles, the epoch ------


class _Relations(_Target):
    def __init__(self) -> None:
        self.tags = _Tags("Relationship")
        self.by_id: dict[str, tuple[str, str]] = {}  # id → (type's last segment, target)
        self.by_type: dict[str, str] = {}  # type's last segment → first target of that type

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.tags[name] or attrs.get("TargetMode"):
            return  # external targets (links to other files) are never read
        if len(self.by_id) >= MAX_TABLE_ENTRIES:
            raise _Damaged("too many relationships")
        kind = attrs.get("Type", "").rpartition("/")[2]
        target = attrs.get("Target", "")
        self.by_id.setdefault(attrs.get("Id", ""), (kind, target))
        self.by_type.setdefault(kind, target)


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _office_document(parts: _Parts) -> str:
    if not parts.exists("_rels/.rels"):
        return "xl/workbook.xml"
    relations = _Relations()
    _parse_all(parts, "_rels/.rels", relations)
    target = relations.by_type.get("officeDocument")
    return _relative("", target) if target else "xl/workbook.xml"


class _BookRels(NamedTuple):
    path: str
    by_id: dict[str, tuple[str, str]]
    by_type: dict[str, str]

    def get(self, kind: str) -> str | None:
        target = self.by_type.get(kind)
        return None if target is None else _relative(self.path, target)


def _relationships(parts: _Parts, book: str) -> _BookRels:
    relations = _Relations()
    path = _rels_path(book)
    if not parts.exists(path):
        raise _unreadable(f"no {path}")
    _parse_all(parts, path, relations)
    return _BookRels(book, relations.by_id, relations.by_type)


class _Workbook(_Target):
    def __init__(self) -> None:
        self.tags = _Tags("workbookPr", "sheet", "sheets")
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
            raise _Done  # workbookPr comes before the sheets; nothing after them is needed


def _first_worksheet(parts: _Parts, book: str, rels: _BookRels) -> tuple[str, datetime]:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH  # noqa: PLC0415

    workbook = _Workbook()
    _parse_all(parts, book, workbook)
    for rid in workbook.sheet_ids:
        kind, target = rels.by_id.get(rid, ("", ""))
        if kind == "worksheet":  # chart sheets and dialog sheets hold no table
            epoch: datetime = CALENDAR_MAC_1904 if workbook.date1904 else WINDOWS_EPOCH
            return _relative(book, target), epoch
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


class _Styles(_Target):
    def __init__(self) -> None:
        self.tags = _Tags("numFmt", "cellXfs", "xf")
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
            raise _Done  # cell styles come after the number formats; the rest is looks


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _formats(parts: _Parts, path: str | None) -> list[_Format]:
    if path is None or not parts.exists(path):
        return []
    from openpyxl.styles.numbers import BUILTIN_FORMATS  # noqa: PLC0415

    styles = _Styles()
    _parse_all(parts, path, styles)
    known: dict[int, _Format] = {}
    formats = []
    for fmt_id in styles.xf_formats:
        if fmt_id not in known:
            known[fmt_id] = _format(styles.custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id))
        formats.append(known[fmt_id])
    return formats


# --- shared strings -------------------------------------------------------------------------


class _Strings(_Target):
    """The shared-string table, each text cleaned once here rather than in every cell."""

    def __init__(self, limits: Limits) -> None:
        self.tags = _Tags("si", "t", "rPh")
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


def _strings(parts: _Parts, path: str | None, limits: Limits) -> _Strings:
    strings = _Strings(limits)
    if path is not None and parts.exists(path):
        _parse_all(parts, path, strings)
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


class _SheetReader(_Target):
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
        self.tags = _Tags("c", "v", "row", "t", "is", "rPh", "dimension", "sheetData")
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
                raise _Damaged("a cell outside a row")
            ref = attrs.get("r")
            col = self.col + 1 if ref is None else _column(ref)
            if col < 1:
                raise _Damaged(f"cell reference {str(ref)[:20]!r}")
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
            raise _Done  # merged cells, formatting and the like after the data: not needed

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
                raise _Damaged(f"row number {ref[:20]!r}") from None
            if rownum <= self.rownum:
                raise _Damaged(f"row {rownum} comes after row {self.rownum}")
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
            raise _Damaged(f"shared string {text[:20]!r} does not exist") from None
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
            raise _Damaged(f"number {text[:20]!r}") from None
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
