"""Bulk imports: spreadsheets uploaded by officers, turned into validated records."""

from kh_saas.imports.errors import MAX_LISTED_ERRORS, RowError, TableTooLarge, TabularError
from kh_saas.imports.limits import DEFAULT_MAX_ROWS, Limits
from kh_saas.imports.tabular import Records, parse_records, read_records, read_table
from kh_saas.imports.text import header_key

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
