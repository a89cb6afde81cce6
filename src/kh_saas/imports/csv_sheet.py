"""Reading a CSV upload as numbered rows of text, within limits, naming every bad row.

The text is decoded once, NFC-normalised and cleared of invisible characters in one pass
(far cheaper than per cell, and safe: no delimiter, quote or newline composes with a mark),
then split into lines here and parsed by the csv module in strict mode, one record at a time:

- a line longer than MAX_ROW_CHARS is refused before the csv module builds it (a line of
  millions of commas would otherwise become a list of millions of cells);
- a quote that is never closed, or text after a closing quote, is a fault of the row it is
  in, not a silent merge of the rows after it into one cell; reading resumes on the next line,
  so every such row is listed;
- every row must have as many cells as the header row: Excel writes them so, and a row with
  another count has lost or gained a delimiter, which shifts its values into wrong columns.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterator

from kh_saas.imports.errors import TableTooLarge, file_error
from kh_saas.imports.limits import Limits
from kh_saas.imports.sheet import Faults, Reading, Row, too_long
from kh_saas.imports.text import INVISIBLE

#: Characters in one CSV row (a record may span lines inside quotes).
MAX_ROW_CHARS = 1024 * 1024


def read_csv(data: bytes, limits: Limits) -> Reading:
    text = unicodedata.normalize("NFC", _decode(data))
    if INVISIBLE.search(text):
        text = INVISIBLE.sub("", text)
    delimiter, skip_first_line = _sniff_delimiter(text)
    lines = _Lines(text)
    if skip_first_line:  # Excel's "sep=;" line is not a row: the header is still row 1
        found = _EOL.search(text)
        lines.pos = lines.start = len(text) if found is None else found.end()
        lines.line = 1
    faults = Faults()
    return _rows(lines, delimiter, limits, faults), faults


def _rows(lines: _Lines, delimiter: str, limits: Limits, faults: Faults) -> Iterator[Row]:
    reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
    width: int | None = None  # cells in the header row, once it is read
    columns, cells_limit, cell_chars = limits.columns, limits.cells, limits.cell_chars
    seen = 0
    rownum = 0
    while True:
        rownum += 1
        lines.start = lines.pos
        lines.record_line = lines.line + 1
        lines.rownum = rownum
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            faults.broken[rownum] = _parse_problem(str(exc), lines, delimiter)
            yield rownum, []
            continue
        count = len(record)
        if count > columns:
            raise limits.too_wide(rownum, count)
        seen += count
        if seen > cells_limit:
            raise limits.too_many_cells(rownum)
        # Empty strings become None so that blank rows and empty cells look the same
        # whatever the format; str.strip also removes the no-break spaces Excel users paste.
        cells = [c.strip() or None for c in record]
        if lines.pos - lines.start > cell_chars:  # only then can one cell be too long
            for i, c in enumerate(record):
                if len(c) > cell_chars:
                    faults.cell(rownum, i, too_long(cell_chars))
        if width is None:
            if any(cells):
                width = count
        elif count != width and any(cells):
            faults.broken[rownum] = (
                f"this row has {count} cells but the header row has {width}: a delimiter"
                f' ({_name(delimiter)}) is missing or extra, or a quote (") is misplaced'
            )
        yield rownum, cells


def _parse_problem(message: str, lines: _Lines, delimiter: str) -> str:
    if message.startswith("unexpected end of data"):
        return (
            f'a quote (") opened on line {lines.record_line} is never closed, so everything'
            ' after it would be one cell: close it, or double a quote meant as text ("")'
        )
    if "expected after" in message:
        return (
            f'on line {lines.line}, text follows a closing quote ("): inside a quoted cell'
            f' write a quote as two (""), and end the cell right after its closing quote'
            f" with {_name(delimiter)}"
        )
    if message.startswith("field larger than field limit"):
        return (
            f'a cell is far too long: a quote (") opened on line {lines.record_line} is'
            " probably not closed where it should be"
        )
    return f"unreadable CSV on line {lines.line}: {message}"


def _name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))


_EOL = re.compile(r"\r\n?|\n")


class _Lines:
    """The text's lines for csv.reader, refusing an over-long row before it is parsed.

    csv.reader pulls one line at a time and returns a record as soon as a line completes it,
    so the characters handed out since a record started (``start``) are exactly its own.
    Iterating is a generator, not ``__next__``: this is the CSV path's hot loop.
    """

    __slots__ = ("line", "pos", "record_line", "rownum", "start", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.start = 0
        self.line = 0  # lines handed out so far: the file's line number of the last one
        self.record_line = 1
        self.rownum = 0

    def __iter__(self) -> Iterator[str]:
        text = self.text
        size = len(text)
        find = text.find
        pos = self.pos
        while pos < size:
            # Lines end at "\n", "\r\n" or a lone "\r" (old Macs), as universal newlines
            # do; two bounded finds are several times faster than a regex per line.
            newline = find("\n", pos)
            end = size if newline < 0 else newline + 1
            cr = find("\r", pos, end)
            if 0 <= cr < end - 2 or (cr >= 0 and newline < 0):
                end = cr + 1
            if end - self.start > MAX_ROW_CHARS:
                raise TableTooLarge(
                    "row_characters",
                    MAX_ROW_CHARS,
                    f"row {self.rownum:,} (from line {self.record_line:,}) is longer than"
                    f" {MAX_ROW_CHARS:,} characters",
                    row=self.rownum,
                )
            self.pos = end
            self.line += 1
            yield text[pos:end]
            pos = end


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused.

    Excel's plain "CSV" on a Vietnamese Windows writes the ANSI code page (cp1258) and the
    "Unicode Text" choice writes UTF-16; guessing a code page silently garbles names, so only
    encodings that say what they are are accepted, with a hint at the Excel choice that works.
    """
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise file_error("UTF-32 text is not supported; save the file as 'CSV UTF-8'")
    if data.startswith(codecs.BOM_UTF8):
        encoding, name = "utf-8-sig", "UTF-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, name = "utf-16", "UTF-16"
    elif b"\x00" in data[:4096]:
        # Valid UTF-8 as far as bytes go, but NULs between letters mean UTF-16 without BOM.
        raise file_error("the file looks like UTF-16 without a BOM; save it as 'CSV UTF-8'")
    else:
        encoding, name = "utf-8", "UTF-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise file_error(
            f"the file is not {name} text (bad bytes on line {line}); in Excel use"
            " Save As → 'CSV UTF-8 (Comma delimited)'"
        ) from exc


def _sniff_delimiter(text: str) -> tuple[str, bool]:
    """The delimiter, and whether the first line is Excel's ``sep=`` directive to skip.

    Counted on the header line only: headers rarely contain a delimiter, while data (names
    with commas, decimal commas) often does. Excel writes ``;`` where the list separator is
    ``;`` (decimal-comma locales, Vietnamese included) and tabs for "Unicode Text".
    """
    found = _EOL.search(text, 0, MAX_ROW_CHARS)
    first = text[: found.start()] if found else text[:MAX_ROW_CHARS]
    directive = re.fullmatch(r"sep=(.)", first)
    if directive:
        return directive.group(1), True
    unquoted = "".join(first.split('"')[::2])
    return max(",;\t", key=unquoted.count), False  # ties, and no delimiter at all, give ","
