"""Small tables (a register's counts per commune or per award form) as CSV or XLSX downloads.

Listings stream their rows from a cursor (``api.reading``); a register is a handful of rows
already computed, written here in one piece with the same writers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Annotated, Literal

import msgspec
from litestar import Response
from litestar.params import QueryParameter

from kh_saas.api.reading import CSV_MEDIA_TYPE, csv_value
from kh_saas.exports.columns import cell_kinds
from kh_saas.exports.xlsx_stream import MEDIA_TYPE as XLSX_MEDIA_TYPE
from kh_saas.exports.xlsx_stream import XlsxStream

TableFormat = Annotated[
    Literal["json", "csv", "xlsx"],
    QueryParameter(
        description="`csv` or `xlsx` answer the rows (`items`) as a download.", required=False
    ),
]


def table_download(
    items: Sequence[msgspec.Struct],
    item_type: type[msgspec.Struct],
    *,
    name: str,
    format: str,
    headers: dict[str, str],
) -> Response[bytes]:
    """``items`` as a CSV (UTF-8 with a BOM, for Excel) or XLSX attachment named ``name``."""
    fields = item_type.__struct_fields__
    rows = [msgspec.structs.astuple(i) for i in items]
    if format == "xlsx":
        body = b"".join(XlsxStream(name, fields, kinds=cell_kinds(item_type)).rows(rows))
        media = XLSX_MEDIA_TYPE
    else:
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(fields)
        writer.writerows([csv_value(v) for v in row] for row in rows)
        body, media = buffer.getvalue().encode(), CSV_MEDIA_TYPE
    return Response(
        body,
        media_type=media,
        headers={**headers, "Content-Disposition": f'attachment; filename="{name}.{format}"'},
    )


