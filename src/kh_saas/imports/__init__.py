"""Bulk imports: spreadsheets uploaded by officers, turned into validated records."""

from kh_saas.imports.tabular import (
    DEFAULT_MAX_ROWS,
    MAX_LISTED_ERRORS,
    RowError,
    TabularError,
    header_key,
    parse_records,
    read_table,
)

__all__ = [
    "DEFAULT_MAX_ROWS",
    "MAX_LISTED_ERRORS",
    "RowError",
    "TabularError",
    "header_key",
    "parse_records",
    "read_table",
]
