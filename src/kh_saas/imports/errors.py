"""What a rejected upload reports: row problems, and the limits an upload went past."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

#: Errors listed in a TabularError; ``total`` keeps counting past this.
MAX_LISTED_ERRORS = 1_000


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
        super().__init__(summary(errors, self.total))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from errors and total (not the message), so it survives a process pool.
        return (type(self), (self.errors, self.total))


class TableTooLarge(TabularError):
    """The upload goes past one of the reader's limits; reading stopped there.

    ``limit`` names the limit (``rows``, ``columns``, ``cells``, ``uncompressed_bytes``, …)
    and ``maximum`` is its value, so a caller can answer 413 naming both. Nothing more of the
    file is read, which is what keeps a hostile upload cheap.
    """

    def __init__(self, limit: str, maximum: int, message: str, row: int = 0) -> None:
        self.limit = limit
        self.maximum = maximum
        super().__init__([RowError(row, "", message)])

    def __reduce__(self) -> tuple[Any, ...]:
        first = self.errors[0]
        return (type(self), (self.limit, self.maximum, first.message, first.row))


class Errors:
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


def file_error(message: str, row: int = 0) -> TabularError:
    return TabularError([RowError(row, "", message)])


def summary(errors: list[RowError], total: int) -> str:
    if not errors:
        return "the uploaded table was rejected"
    first = errors[0]
    where = f" at row {first.row}" if first.row else ""
    if first.column:
        where += f", column {first.column!r}"
    noun = "problem" if total == 1 else "problems"
    return f"{total} {noun} in the uploaded table; first{where}: {first.message}"
