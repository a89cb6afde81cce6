"""A listing's rows from PostgreSQL to a streamed workbook, a batch at a time.

Rows come from a server-side cursor (500 per round trip), are shown as the listing shows
them (its ``item``: masked citizen ids, commune names, status) and written to the sheet; the
zip's bytes go out every ~256 KB. Memory holds one batch and one deflate window.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import msgspec

from kh_saas.exports.columns import cell_kinds
from kh_saas.exports.xlsx_stream import FLUSH_BYTES, XlsxStream


async def xlsx_records(
    pool: asyncpg.Pool,
    sql: str,
    values: list[Any],
    *,
    item: Callable[[asyncpg.Record], msgspec.Struct],
    item_type: type[msgspec.Struct],
    sheet: str,
) -> AsyncIterator[bytes]:
    """The workbook of every row ``sql`` selects, as it is written."""
    book = XlsxStream(sheet, item_type.__struct_fields__, kinds=cell_kinds(item_type))
    astuple = msgspec.structs.astuple
    async with pool.acquire() as conn, conn.transaction():
        async for record in conn.cursor(sql, *values, prefetch=500):
            book.add(astuple(item(record)))
            if book.pending >= FLUSH_BYTES:
                yield book.take()
    yield book.finish()
