"""Report schedule and reports (lịch báo cáo, báo cáo kết quả): JSON, XLSX and PDF.

``GET /reports/annual?year=2025`` and ``GET /reports/phase?phase=2021-2025`` read the
registers as they stood at the communes' deadline of the (last) year by default: the
``report-schedule`` flow from communes in force on its due date, at 00:00 Vietnam time of the
day named in "trước ngày …". ``as_of`` overrides it; with no schedule the report is as of now.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.params import FromPath, JSONBody, QueryParameter

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import ProblemError, problem_responses
from kh_saas.api.reading import AsOf, MinPosition, pool_of, read_position
from kh_saas.api.targets import PlanQuery, SourceQuery
from kh_saas.api.tenant_common import actor, commands, in_thread
from kh_saas.domain.report_schedule import (
    VIETNAM,
    Letterhead,
    ReportFlow,
    ReportSchedule,
    commune_deadline,
    cutoff,
    flows_for_year,
)
from kh_saas.domain.vocabulary import Tier
from kh_saas.reports.build import Period, build_report
from kh_saas.reports.document import PDF_MEDIA_TYPE, document_bytes
from kh_saas.reports.model import Deadline, Report
from kh_saas.reports.workbook import XLSX_MEDIA_TYPE, workbook_bytes
from kh_saas.targets.attainment import Source
from kh_saas.tenants.report_schedule import load_schedule, set_schedule
from kh_saas.tenants.roles import Role

ADMINS = (Role.TENANT_ADMIN,)
READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
PHASE = re.compile(r"^(20[0-9]{2})-(20[0-9]{2})$")

ReportFormat = Annotated[
    Literal["json", "xlsx", "pdf"],
    QueryParameter(
        description="`xlsx`: a workbook, one sheet per table; `pdf`: the administrative "
        "document (Decree 30/2020/NĐ-CP).",
        required=False,
    ),
]
Number = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^[0-9]{1,6}$",
        description="Số of the printed report (its ký hiệu comes from the letterhead); "
        "blank in a draft.",
        required=False,
    ),
]
Dated = Annotated[
    date | None,
    QueryParameter(description="Date printed on the report (default: today).", required=False),
]


class ScheduleIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Lịch báo cáo: every flow of the province, replacing the previous ones."""

    flows: Annotated[list[ReportFlow], msgspec.Meta(min_length=1, max_length=50)]
    letterhead: Letterhead | None = None


class DueFlow(msgspec.Struct, kw_only=True):
    reporter: Tier
    recipient_tier: Tier
    recipient: str
    due_on: date
    cutoff: datetime
    rerouted: bool


class ScheduleOut(msgspec.Struct, kw_only=True):
    configured: bool
    flows: list[ReportFlow]
    letterhead: Letterhead
    #: With ``year``: each flow's due date that year.
    year: int | None = None
    due: list[DueFlow] | None = None


def _out(schedule: ReportSchedule | None, year: int | None) -> ScheduleOut:
    flows = list(schedule.flows) if schedule else []
    due = None
    if year is not None:
        due = [
            DueFlow(
                reporter=f.reporter,
                recipient_tier=f.recipient_tier,
                recipient=f.recipient,
                due_on=f.due_on(year),
                cutoff=cutoff(f.due_on(year)),
                rerouted=f.rerouted,
            )
            for f in flows_for_year(flows, year)
        ]
    return ScheduleOut(
        configured=schedule is not None,
        flows=flows,
        letterhead=schedule.letterhead if schedule else Letterhead(),
        year=year,
        due=due,
    )


def _phase(text: str) -> Period:
    match = PHASE.match(text)
    if match is None:
        raise ProblemError(422, "validation_failed", "a phase is written 2021-2025", field="phase")
    first, last = int(match[1]), int(match[2])
    if not (2015 <= first < last <= 2100 and last - first <= 10):
        raise ProblemError(
            422,
            "validation_failed",
            "a phase runs from an earlier to a later year, at most ten years apart",
            field="phase",
        )
    return Period(first, last, "phase")


def _checked_as_of(as_of: datetime | None) -> datetime | None:
    if as_of is not None and as_of.tzinfo is None:
        raise ProblemError(
            422,
            "validation_failed",
            "as_of needs a time zone (RFC 3339, e.g. 2025-12-01T00:00:00+07:00)",
            field="as_of",
        )
    return as_of


async def _report(
    request: Request[Any, Any, Any],
    period: Period,
    *,
    format: str,
    as_of: datetime | None,
    number: str | None,
    dated: date | None,
    min_position: int | None,
    plan: UUID | None,
    source: Source,
) -> Response[Any]:
    as_of = _checked_as_of(as_of)
    tenant = current_tenant(request)
    cmd = commands(request)
    await read_position(request, "registers", min_position)
    schedule = await in_thread(lambda: load_schedule(cmd.app))
    flow = commune_deadline(schedule.flows, period.last_year) if schedule else None
    deadline = (
        Deadline(
            due_on=flow.due_on(period.last_year), cutoff=cutoff(flow.due_on(period.last_year)),
            flow=flow,
        )
        if flow
        else None
    )  # fmt: skip
    at = as_of or (deadline.cutoff if deadline else None)
    async with pool_of(request).acquire() as conn:
        report = await build_report(
            conn,
            schema=tenant.schema_name,
            province_code=tenant.province_code,
            period=period,
            as_of=at,
            deadline=deadline,
            plan_id=plan,
            source=source,
        )
    letterhead = schedule.letterhead if schedule else Letterhead()
    report.letterhead = letterhead
    headers = {"KH-Position": str(report.position)}
    name = f"bao-cao-{period.kind}-{period.label}"
    if format == "xlsx":
        body = await in_thread(lambda: workbook_bytes(report))
        return _file(body, XLSX_MEDIA_TYPE, f"{name}.xlsx", headers)
    if format == "pdf":
        day = dated or datetime.now(UTC).astimezone(VIETNAM).date()
        body = await in_thread(lambda: document_bytes(report, letterhead, number=number, dated=day))
        return _file(body, PDF_MEDIA_TYPE, f"{name}.pdf", headers)
    return Response(report, headers=headers)


def _file(body: bytes, media_type: str, filename: str, headers: dict[str, str]) -> Response[Any]:
    return Response(
        body,
        media_type=media_type,
        headers={**headers, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


class ReportController(Controller):
    path = "/v1/t/{slug:str}"
    tags = ["reports"]  # noqa: RUF012

    @get(
        "/report-schedule",
        opt=roles(*READERS),
        summary="Who reports to whom by which date (lịch báo cáo)",
        description="`year`: also each flow's due date that year (flows in force on it).",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def schedule(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        year: Annotated[int | None, QueryParameter(ge=2015, le=2100, required=False)] = None,
    ) -> ScheduleOut:
        cmd = commands(request)
        return _out(await in_thread(lambda: load_schedule(cmd.app)), year)

    @put(
        "/report-schedule",
        opt=roles(*ADMINS),
        summary="Replace the report flows and the printed report's letterhead",
        description="A flow to or from the district tier ends on 30 June 2025; unless a flow "
        "from communes to the province covers the time after, one is added from 1 July 2025 "
        "with the communes' own due date (`rerouted: true`). Recorded as an event.",
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def set_schedule(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[ScheduleIn],
    ) -> ScheduleOut:
        cmd, who = commands(request), actor(request)
        letterhead = data.letterhead or Letterhead()
        saved = await in_thread(lambda: set_schedule(cmd.app, data.flows, letterhead, who))
        return _out(saved, None)

    @get(
        "/reports/annual",
        opt=roles(*READERS),
        summary="Báo cáo kết quả of a year: JSON, XLSX or PDF",
        description="As the registers stood at the communes' deadline of `year` (see "
        "`report-schedule`) unless `as_of` is given; each commune's completeness says what was "
        "recorded after it and which communes recorded nothing; `attainment`: the targets of "
        "`plan` (default: the plan covering the year) as of the same moment.",
        responses=problem_responses(401, 403, 404, 422, 503),
    )
    async def annual(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        year: Annotated[int, QueryParameter(ge=2015, le=2100, description="Report year")],
        format: ReportFormat = "json",
        as_of: AsOf = None,
        number: Number = None,
        dated: Dated = None,
        plan: PlanQuery = None,
        source: SourceQuery = "statistics",
        min_position: MinPosition = None,
    ) -> Response[Report]:
        return await _report(
            request, Period(year, year, "annual"), format=format, as_of=as_of, number=number,
            dated=dated, min_position=min_position, plan=plan, source=source,
        )  # fmt: skip

    @get(
        "/reports/phase",
        opt=roles(*READERS),
        summary="Sơ kết / tổng kết report of a phase (e.g. 2021-2025): JSON, XLSX or PDF",
        description="A phase ending before 2030 is a sơ kết (interim review), one ending in "
        "2030 a tổng kết (final review). Recognitions of its assessment years, awards and "
        "revocations signed within them, as of the deadline of its last year.",
        responses=problem_responses(401, 403, 404, 422, 503),
    )
    async def phase(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        phase: Annotated[
            str,
            QueryParameter(
                max_length=9,
                description="First and last year: 2021-2025, 2026-2030, "
                "2023-2025 (Decision 1315's movement)",
                examples=[],
            ),
        ],
        format: ReportFormat = "json",
        as_of: AsOf = None,
        number: Number = None,
        dated: Dated = None,
        plan: PlanQuery = None,
        source: SourceQuery = "statistics",
        min_position: MinPosition = None,
    ) -> Response[Report]:
        return await _report(
            request, _phase(phase), format=format, as_of=as_of, number=number, dated=dated,
            min_position=min_position, plan=plan, source=source,
        )  # fmt: skip
