"""What every listing shares: paging, as-of, read-your-writes, CSV, and the SQL it runs.

A listing answers ``{"items": [...], "next_cursor": str | null, "total": int}``. Pages are
keyset pages over each row's creation position (``seq``), so rows written meanwhile never
shift a page; the cursor is opaque. ``as_of`` reads the row versions current at that moment
of recording; ``min_position`` waits (up to :data:`WAIT_SECONDS`) until the projections read
have applied the log that far. Every answer says with ``KH-Position`` how far they had.
``format=csv`` streams every matching row from the cursor on (UTF-8 with a BOM, so Excel
reads Vietnamese) without holding them in memory; ``format=xlsx`` streams the same rows as a
workbook (:mod:`kh_saas.exports`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import csv
import io
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.params import QueryParameter
from litestar.response import Stream

from kh_saas.api.auth import current_tenant
from kh_saas.api.problems import ProblemError
from kh_saas.api.tenant_common import service_of
from kh_saas.exports.stream import xlsx_records
from kh_saas.exports.xlsx_stream import MEDIA_TYPE as XLSX_MEDIA_TYPE
from kh_saas.projections.store import EventLog, physical
from kh_saas.projections.worker import positions
from kh_saas.storage.migrations import quote_ident
from kh_saas.tenants.catalog import Tenant

T = TypeVar("T")

WAIT_SECONDS = 2.0
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

Limit = Annotated[
    int, QueryParameter(ge=1, le=1000, description="Rows per page (1–1000).", required=False)
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=64, description="`next_cursor` of the previous page (opaque).", required=False
    ),
]
Format = Annotated[
    Literal["json", "csv", "xlsx"],
    QueryParameter(
        description="`csv` streams every matching row as CSV; `xlsx` as an Excel workbook.",
        required=False,
    ),
]
AsOf = Annotated[
    datetime | None,
    QueryParameter(
        description="RFC 3339 timestamp: the register as it stood at that moment of recording.",
        required=False,
    ),
]
MinPosition = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        description="Wait (up to 2 s) until the read model has applied the log up to this "
        "position (a write's `KH-Position`).",
        required=False,
    ),
]


#: Up to this many matching rows ``total`` is counted exactly; past it, it is PostgreSQL's
#: estimate and ``total_exact`` is false (counting millions of rows per page costs seconds).
COUNT_CAP = 1_000


class Page(msgspec.Struct, kw_only=True):
    items: list[Any]
    next_cursor: str | None
    total: int
    total_exact: bool = True


@dataclass(frozen=True)
class ReadOptions:
    limit: int = 100
    cursor: str | None = None
    format: str = "json"
    as_of: datetime | None = None
    min_position: int | None = None

    def __post_init__(self) -> None:
        if self.as_of is not None and self.as_of.tzinfo is None:
            raise ProblemError(
                422,
                "validation_failed",
                "as_of needs a time zone (RFC 3339, e.g. 2024-12-31T23:59:59+07:00)",
                field="as_of",
            )

    @property
    def after(self) -> int:
        return decode_cursor(self.cursor)


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("s"):
            raise ValueError(raw)
        return int(raw[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ProblemError(
            422, "validation_failed", "not a cursor this service gave out", field="cursor"
        ) from None


@dataclass
class Where:
    """SQL conditions with their values, numbered as asyncpg wants (``$1``, ``$2`` …)."""

    clauses: list[str] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)

    def add(self, sql: str, *values: Any) -> Where:
        """``sql`` holds one ``{}`` per value."""
        numbers = []
        for value in values:
            self.values.append(value)
            numbers.append(f"${len(self.values)}")
        self.clauses.append(sql.format(*numbers))
        return self

    def maybe(self, sql: str, value: Any) -> Where:
        return self if value is None else self.add(sql, value)

    def visible(self, alias: str, as_of: datetime | None) -> Where:
        """Row versions current now, or at ``as_of``."""
        if as_of is None:
            return self.add(f"{alias}.pos_to IS NULL")
        return self.add(
            f"{alias}.sys_from <= {{}} AND ({alias}.sys_to IS NULL OR {alias}.sys_to > {{}})",
            as_of,
            as_of,
        )

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) or "TRUE"


def table(tenant: Tenant, name: str) -> str:
    return f"{quote_ident(tenant.schema_name)}.{physical(name)}"


def pool_of(request: Request[Any, Any, Any]) -> asyncpg.Pool:
    tenant = current_tenant(request)
    return service_of(request).clusters[tenant.cluster].read


async def read_position(
    request: Request[Any, Any, Any], projection: str, min_position: int | None
) -> int:
    """The projection's position, after waiting for ``min_position`` if asked (503
    ``projection_behind`` with ``Retry-After`` when it does not get there in time)."""
    tenant = current_tenant(request)
    pool = pool_of(request)
    projector = service_of(request).projector
    state = projector.tenant(tenant.slug) if projector is not None else None
    if min_position is None and state is not None and projection in state.positions:
        return state.positions[projection]  # this process applied it: no query needed
    deadline = time.monotonic() + WAIT_SECONDS
    checked_head = False
    while True:
        async with pool.acquire() as conn:
            position = (await positions(conn, tenant.schema_name)).get(projection, 0)
            if min_position is None or position >= min_position:
                return position
            if not checked_head:  # a position no write has reached is the client's mistake
                head = await EventLog(tenant.schema_name).head(conn)
                if min_position > head:
                    raise ProblemError(
                        422,
                        "validation_failed",
                        f"min_position {min_position} is past the log's last position ({head})",
                        field="min_position",
                    )
                checked_head = True
        left = deadline - time.monotonic()
        if left <= 0:
            raise ProblemError(
                503,
                "projection_behind",
                f"The {projection} read model is at position {position}, not yet at "
                f"{min_position}; retry shortly.",
                field="min_position",
                headers={"Retry-After": "1", "KH-Position": str(position)},
            )
        if state is not None:  # woken by this process's projector; else poll
            state.advanced.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.advanced.wait(), min(left, 0.05))
        else:
            await asyncio.sleep(min(left, 0.02))


@dataclass(frozen=True)
class Listing:
    """One listing: the table it reads, the columns it selects and how a row is shown."""

    projection: str
    table: str
    #: ``SELECT`` expressions over alias ``r`` (a column name, or ``expr AS name``).
    columns: Sequence[str]
    item: Callable[[asyncpg.Record], msgspec.Struct]
    #: The item's type: its fields are the CSV's columns.
    item_type: type[msgspec.Struct]
    #: Creation-order column used for keyset paging.
    order: str = "seq"


async def answer(
    request: Request[Any, Any, Any],
    listing: Listing,
    where: Where,
    options: ReadOptions,
    *,
    csv_name: str,
) -> Response[Any]:
    """Run a listing and answer it as a JSON page or a CSV stream."""
    tenant = current_tenant(request)
    position = await read_position(request, listing.projection, options.min_position)
    headers = {"KH-Position": str(position)}
    source = f"{table(tenant, listing.table)} r"
    select = ", ".join(listing.columns)
    pool = pool_of(request)
    if options.format in ("csv", "xlsx"):
        keyed = Where(list(where.clauses), list(where.values)).add(
            f"r.{listing.order} > {{}}", options.after
        )
        sql = f"SELECT {select} FROM {source} WHERE {keyed.sql} ORDER BY r.{listing.order}"
        if options.format == "xlsx":
            return xlsx_response(pool, sql, keyed.values, listing, csv_name, headers=headers)
        return Stream(
            _csv_rows(pool, sql, keyed.values, listing),
            media_type=CSV_MEDIA_TYPE,
            headers={
                **headers,
                "Content-Disposition": f'attachment; filename="{csv_name}.csv"',
            },
        )
    page = Where(list(where.clauses), list(where.values)).add(
        f"r.{listing.order} > {{}}", options.after
    )
    rows = await pool.fetch(
        f"SELECT {select}, r.{listing.order} AS _order FROM {source} WHERE {page.sql}"
        f" ORDER BY r.{listing.order} LIMIT {options.limit + 1}",
        *page.values,
    )
    total, exact = await count(pool, source, where)
    more = len(rows) > options.limit
    rows = rows[: options.limit]
    return Response(
        Page(
            items=[listing.item(r) for r in rows],
            next_cursor=encode_cursor(rows[-1]["_order"]) if more else None,
            total=total,
            total_exact=exact,
        ),
        headers=headers,
    )


def xlsx_response(
    pool: asyncpg.Pool,
    sql: str,
    values: list[Any],
    listing: Listing,
    name: str,
    *,
    headers: dict[str, str],
) -> Stream:
    """The rows as an Excel workbook, streamed as it is written (:mod:`kh_saas.exports`)."""
    return Stream(
        xlsx_records(pool, sql, values, item=listing.item, item_type=listing.item_type, sheet=name),
        media_type=XLSX_MEDIA_TYPE,
        headers={**headers, "Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


async def count(pool: asyncpg.Pool, source: str, where: Where) -> tuple[int, bool]:
    """Matching rows: exact up to :data:`COUNT_CAP`, estimated (and said so) beyond."""
    capped = int(
        await pool.fetchval(
            f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where.sql}"
            f" LIMIT {COUNT_CAP + 1}) t",
            *where.values,
        )
    )
    if capped <= COUNT_CAP:
        return capped, True
    plan = await pool.fetchval(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {source} WHERE {where.sql}", *where.values
    )
    estimate = int(msgspec.json.decode(plan)[0]["Plan"]["Plan Rows"])
    return max(estimate, COUNT_CAP + 1), False


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


async def _csv_rows(
    pool: asyncpg.Pool, sql: str, values: list[Any], listing: Listing
) -> AsyncIterator[bytes]:
    """The header and every row, a few hundred at a time, from a server-side cursor."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    fields = listing.item_type.__struct_fields__
    buffer.write("\ufeff")
    writer.writerow(fields)
    async with pool.acquire() as conn, conn.transaction():
        async for record in conn.cursor(sql, *values, prefetch=500):
            item = listing.item(record)
            writer.writerow(csv_value(getattr(item, f)) for f in fields)
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()
