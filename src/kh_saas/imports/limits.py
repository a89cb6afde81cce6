"""How much of an upload is read before it is refused.

A spreadsheet is small on the wire and large in memory: a zip inflates a thousandfold, a row
can claim a cell in column XFD, a sheet can hold a million blank rows. Every reader counts
against these limits *while* it reads, before it builds anything big, and stops at the first
one passed with a TableTooLarge naming the limit. They are generous for the real use (50,000
households with a dozen or two columns) and small enough that the worst file within them
costs about what the largest honest one does.
"""

from __future__ import annotations

from dataclasses import dataclass

from kh_saas.imports.errors import TableTooLarge

#: Data rows accepted in one upload (the bulk-registration limit).
DEFAULT_MAX_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class Limits:
    #: Rows under the header, blank ones included: reading stops past row ``rows + 1``.
    rows: int = DEFAULT_MAX_ROWS
    #: Cells in one row, counting empty ones up to the last one the file stores.
    columns: int = 256
    #: Cells in the whole sheet, counted the same way (header and blank rows included).
    cells: int = 1_000_000
    #: Characters in one cell: Excel's own limit. Past it the row is reported, not the file.
    cell_chars: int = 32_767
    #: Bytes of XML inflated from an XLSX (the parts read: workbook, styles, strings, sheet).
    uncompressed_bytes: int = 128 * 1024 * 1024

    def __post_init__(self) -> None:
        if min(self.rows, self.columns, self.cells, self.cell_chars) < 1:
            raise ValueError("limits must be at least 1")

    def check_row(self, rownum: int) -> None:
        """Refuse a row past the last one allowed; blank rows count like any other."""
        if rownum > self.rows + 1:
            raise TableTooLarge(
                "rows",
                self.rows,
                f"the sheet goes on past row {self.rows + 1:,}: at most {self.rows:,} rows"
                " are read under the header, blank rows included; split the file or delete"
                " the empty rows",
                row=rownum,
            )

    def too_wide(self, rownum: int, cells: int) -> TableTooLarge:
        return TableTooLarge(
            "columns",
            self.columns,
            f"row {rownum:,} has {cells:,} or more cells (counting empty ones): at most"
            f" {self.columns:,} columns are read; delete the columns right of the table",
            row=rownum,
        )

    def too_many_cells(self, rownum: int) -> TableTooLarge:
        return TableTooLarge(
            "cells",
            self.cells,
            f"the sheet has more than {self.cells:,} cells by row {rownum:,} (empty cells"
            " inside rows and blank rows count): split the file or delete unused columns",
            row=rownum,
        )
