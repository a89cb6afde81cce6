"""Yearly statistics (số liệu thống kê): each commune's denominators for the targets.

``PUT /statistics/{year}`` takes the figures as JSON, or ``{"source": "registered"}`` to
record the counts of the subjects registered; ``PUT /statistics/{year}/import`` takes the same
figures as a CSV or XLSX file, read by the subjects' upload machinery (Vietnamese headers:
*Mã xã, Số hộ gia đình, Số dòng họ, Số thôn, Số đơn vị, Số người lao động, Số cán bộ*).
Each submission replaces the year's figures whole; the earlier ones stay in the history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.params import FromPath, FromQuery, JSONBody

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.plans import ADMINS, READERS, plan_commands
from kh_saas.api.problems import FieldError, ProblemError, problem_responses
from kh_saas.api.reading import AsOf, pool_of
from kh_saas.api.tenant_common import BULK_BODY_BYTES, YearPath, actor, in_thread
from kh_saas.domain.errors import DomainError, NotFound
from kh_saas.domain.plans import Denominator
from kh_saas.domain.statistics import CommuneFigures
from kh_saas.imports import MAX_LISTED_ERRORS, TableTooLarge, TabularError, read_records
from kh_saas.reference import communes_of
from kh_saas.targets import store
from kh_saas.targets.attainment import registered_counts, roll_up

#: Vietnamese headers of a statistics sheet, matched without accents or case.
HEADER_ALIASES = {
    "ma xa": "commune_code",
    "ma don vi hanh chinh": "commune_code",
    "so ho": "households",
    "so ho gia dinh": "households",
    "ho gia dinh": "households",
    "so dong ho": "clans",
    "dong ho": "clans",
    "so thon": "villages",
    "so thon ban": "villages",
    "so thon, ban, to dan pho": "villages",
    "thon, ban, to dan pho": "villages",
    "so cong dong": "villages",
    "so don vi": "organisations",
    "so co quan, don vi": "organisations",
    "don vi": "organisations",
    "so nguoi lao dong": "workers",
    "nguoi lao dong": "workers",
    "so can bo": "cadres",
    "so can bo, cong chuc, vien chuc": "cadres",
    "can bo, cong chuc, vien chuc": "cadres",
}


class StatisticsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The year's figures, commune by commune; or ``source: registered`` (no figures) to
    record the counts of the subjects registered."""

    source: Literal["figures", "registered"] = "figures"
    communes: Annotated[list[CommuneFigures], msgspec.Meta(max_length=5000)] | None = None


class StatisticsOut(msgspec.Struct, kw_only=True):
    year: int
    source: str
    version: int
    recorded_at: datetime
    communes: list[CommuneFigures]


def _figures_from_counts(
    counts: dict[tuple[str, Denominator], int], communes: frozenset[str]
) -> tuple[CommuneFigures, ...]:
    rows = []
    for code in sorted(communes):
        values = {d.value: counts.get((code, d), 0) for d in Denominator}
        rows.append(CommuneFigures(commune_code=code, **values))
    return tuple(rows)


async def _record(
    request: Request[Any, Any, Any], year: int, figures: tuple[CommuneFigures, ...], source: str
) -> Response[StatisticsOut]:
    cmd, who = plan_commands(request), actor(request)
    stats = await in_thread(lambda: cmd.record_statistics(year, figures, source, who))
    out = StatisticsOut(
        year=year,
        source=stats.source,
        version=stats.version,
        recorded_at=stats.modified_on,
        communes=list(stats.communes),
    )
    return Response(out, status_code=200)


class StatisticsController(Controller):
    path = "/v1/t/{slug:str}/statistics"
    tags = ["plans and targets"]  # noqa: RUF012

    @put(
        "/{year:int}",
        opt=roles(*ADMINS),
        summary="Record the year's denominators per commune (replaces the year's figures)",
        description="`communes`: today's communes (5-digit codes), each once, with any of "
        "`households`, `clans`, `villages`, `organisations`, `workers`, `cadres`. "
        '`{"source": "registered"}` records the counts of the subjects registered instead '
        "(records of pre-2025 communes counted in their successors).",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        request_max_body_size=BULK_BODY_BYTES,
    )
    async def put_statistics(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        year: YearPath,
        data: JSONBody[StatisticsIn],
    ) -> Response[StatisticsOut]:
        tenant = current_tenant(request)
        current = communes_of(tenant.province_code)
        if data.source == "registered":
            if data.communes is not None:
                raise ProblemError(
                    422,
                    "validation_failed",
                    "give either communes or source registered, not both",
                    field="communes",
                )
            async with pool_of(request).acquire() as conn:
                counts = await registered_counts(conn, tenant.schema_name)
            rolled, _ = roll_up(counts, current, tenant.province_code)
            return await _record(request, year, _figures_from_counts(rolled, current), "registered")
        if not data.communes:
            raise ProblemError(
                422, "validation_failed", "communes is required (at least one)", field="communes"
            )
        return await _record(request, year, tuple(data.communes), "figures")

    @put(
        "/{year:int}/import",
        opt=roles(*ADMINS),
        summary="The same figures from a CSV or XLSX file (one row per commune)",
        description="Send the file as the body (`Content-Type: text/csv` or the XLSX type, "
        "or `?filename=`). Columns: `commune_code` (Mã xã) and any of `households` (Số hộ "
        "gia đình), `clans` (Số dòng họ), `villages` (Số thôn, bản, tổ dân phố), "
        "`organisations` (Số đơn vị), `workers` (Số người lao động), `cadres` (Số cán bộ, "
        "công chức, viên chức). 422 lists every bad row and column; 413 names the limit.",
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
        request_max_body_size=BULK_BODY_BYTES,
    )
    async def import_statistics(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        year: YearPath,
        filename: FromQuery[str | None] = None,
    ) -> Response[StatisticsOut]:
        body = await request.body()
        content_type = request.headers.get("content-type")
        try:
            read = await in_thread(
                lambda: read_records(
                    body,
                    CommuneFigures,
                    filename=filename,
                    content_type=content_type,
                    aliases=HEADER_ALIASES,
                )
            )
        except TableTooLarge as exc:
            message = exc.errors[0].message
            raise ProblemError(
                413, "table_too_large", message, field=exc.limit,
                errors=[FieldError(exc.limit, message)],
            ) from exc  # fmt: skip
        except TabularError as exc:
            raise _sheet_rejection(exc.errors, exc.total) from exc
        if read.total:
            raise _sheet_rejection(read.errors, read.total)
        figures = tuple(r for _, r in read.rows)
        try:
            return await _record(request, year, figures, "import")
        except DomainError as exc:
            # communes[i].commune_code → the sheet's row and column
            index = int((exc.field or "communes[0]").split("[")[1].split("]")[0])
            row = read.rows[index][0] if index < len(read.rows) else 0
            column = read.headers.get("commune_code", "commune_code")
            raise ProblemError(
                422,
                "bulk_rejected",
                f"1 problem in the upload; nothing was stored: {exc.message}",
                errors=[FieldError(f"row {row}, column {column}", exc.message, exc.code)],
            ) from exc

    @get(
        "/{year:int}",
        opt=roles(*READERS),
        summary="The year's figures as last recorded (or as of a moment)",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def get_statistics(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        year: YearPath,
        as_of: AsOf = None,
    ) -> StatisticsOut:
        tenant = current_tenant(request)
        async with pool_of(request).acquire() as conn:
            found = await store.statistics(
                conn, tenant.schema_name, year, as_of=as_of, fall_back=False
            )
        if found is None:
            raise NotFound("statistics of year", year)
        return StatisticsOut(
            year=found.year,
            source=found.source,
            version=found.version,
            recorded_at=found.recorded_at,
            communes=list(found.communes),
        )


def _sheet_rejection(errors: list[Any], total: int) -> ProblemError:
    listed = sorted(errors, key=lambda e: e.row)[:MAX_LISTED_ERRORS]
    detail = f"{total:,} problem(s) in the upload; nothing was stored"
    return ProblemError(
        422,
        "bulk_rejected",
        detail,
        errors=[FieldError(_where(e.row, e.column), e.message) for e in listed],
    )


def _where(row: int, column: str) -> str:
    if row == 0:
        return "file"
    return f"row {row}" + (f", column {column}" if column else "")
