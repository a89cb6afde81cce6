"""What a format reader (CSV, XLSX) hands on: numbered rows of text and the faults it saw."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

#: One row's cells: cleaned text (see text.clean_text), None for an empty cell.
Cells = list[str | None]
#: A row and its 1-based spreadsheet row number. Rows a reader skips (gaps in an XLSX) are
#: simply not yielded; the numbers keep counting them.
Row = tuple[int, Cells]


@dataclass(slots=True)
class Faults:
    """Row problems a reader found while reading, reported later beside the row's others.

    Filled while the rows are iterated, so read it only after iterating them.
    """

    #: Rows that could not be read as cells at all (a CSV quote, a wrong cell count): why.
    broken: dict[int, str] = field(default_factory=dict)
    #: Cells with a problem of their own (an Excel error, too long): row → [(index, why)].
    cells: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    def cell(self, row: int, index: int, message: str) -> None:
        self.cells.setdefault(row, []).append((index, message))


Reading = tuple[Iterator[Row], Faults]


def too_long(limit: int) -> str:
    return f"the cell has more than {limit:,} characters (Excel's limit for one cell)"
