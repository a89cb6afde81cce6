"""Attainment of the targets (kết quả thực hiện chỉ tiêu): ``GET /targets/attainment`` as
JSON, and as a chart (``attainment.svg``, ``attainment.png``): communes against the target.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.plans import READERS
from kh_saas.api.problems import problem_responses
from kh_saas.api.reading import AsOf, MinPosition, ReadOptions, pool_of, read_position
from kh_saas.api.tenant_common import YearQuery, in_thread
from kh_saas.domain.plans import Denominator
from kh_saas.targets.attainment import Attainment, Source, compute_attainment

PlanQuery = Annotated[
    UUID | None,
    QueryParameter(
        description="The plan to measure against (default: the latest signed plan whose "
        "phases cover the year)",
        required=False,
    ),
]
SourceQuery = Annotated[
    Literal["statistics", "registered"],
    QueryParameter(
        description="Denominators: the statistics recorded for the year (else the latest "
        "earlier year's), or the subjects registered",
        required=False,
    ),
]
DenominatorQuery = Annotated[
    Denominator, QueryParameter(description="Which target the chart shows", required=False)
]

DESCRIPTION = (
    "Per commune in force today (records of pre-1 July 2025 communes rolled up into their "
    "successors) and for the province, per title and denominator: `held` (subjects holding "
    "the title on 31/12 of `year`: revoked and lapsed titles do not count), `total` (the "
    "denominator), `percent`, `target` (the plan's next milestone, `milestone_year`), "
    "`expected` (the share due by this year on a straight line towards it), `gap` (subjects "
    "still to recognise to reach the target) and `on_track` (percent ≥ expected). `as_of`: "
    "as recorded at that moment (a report built at its deadline)."
)


async def _attainment(
    request: Request[Any, Any, Any],
    *,
    year: int,
    plan: UUID | None,
    source: Source,
    as_of: Any,
    min_position: int | None,
) -> tuple[Attainment, int]:
    ReadOptions(as_of=as_of)  # checks the time zone
    tenant = current_tenant(request)
    position = await read_position(request, "registers", min_position)
    async with pool_of(request).acquire() as conn:
        result = await compute_attainment(
            conn,
            tenant.schema_name,
            tenant.province_code,
            year,
            plan_id=plan,
            as_of=as_of,
            source=source,
        )
    return result, position


class TargetController(Controller):
    path = "/v1/t/{slug:str}/targets"
    tags = ["plans and targets"]  # noqa: RUF012

    @get(
        "/attainment",
        opt=roles(*READERS),
        summary="Attainment of the plan's targets per commune and for the province",
        description=DESCRIPTION,
        responses=problem_responses(401, 403, 404, 422, 503),
    )
    async def attainment(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        year: YearQuery,
        *,
        plan: PlanQuery = None,
        source: SourceQuery = "statistics",
        as_of: AsOf = None,
        min_position: MinPosition = None,
    ) -> Response[Attainment]:
        result, position = await _attainment(
            request, year=year, plan=plan, source=source, as_of=as_of, min_position=min_position
        )
        return Response(result, headers={"KH-Position": str(position)})

    @get(
        "/attainment.svg",
        opt=roles(*READERS),
        summary="The attainment as a chart (SVG): communes against the target line",
        responses=problem_responses(401, 403, 404, 422, 503),
        media_type="image/svg+xml",
    )
    async def attainment_svg(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        year: YearQuery,
        *,
        denominator: DenominatorQuery = Denominator.HOUSEHOLDS,
        plan: PlanQuery = None,
        source: SourceQuery = "statistics",
        as_of: AsOf = None,
        min_position: MinPosition = None,
    ) -> Response[bytes]:
        return await _chart(
            request, year=year, denominator=denominator, plan=plan, source=source,
            as_of=as_of, min_position=min_position, kind="svg",
        )  # fmt: skip

    @get(
        "/attainment.png",
        opt=roles(*READERS),
        summary="The attainment as a chart (PNG): communes against the target line",
        responses=problem_responses(401, 403, 404, 422, 503),
        media_type="image/png",
    )
    async def attainment_png(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        year: YearQuery,
        *,
        denominator: DenominatorQuery = Denominator.HOUSEHOLDS,
        plan: PlanQuery = None,
        source: SourceQuery = "statistics",
        as_of: AsOf = None,
        min_position: MinPosition = None,
    ) -> Response[bytes]:
        return await _chart(
            request, year=year, denominator=denominator, plan=plan, source=source,
            as_of=as_of, min_position=min_position, kind="png",
        )  # fmt: skip


async def _chart(
    request: Request[Any, Any, Any],
    *,
    year: int,
    denominator: Denominator,
    plan: UUID | None,
    source: Source,
    as_of: Any,
    min_position: int | None,
    kind: Literal["svg", "png"],
) -> Response[bytes]:
    from kh_saas.targets.chart import render  # noqa: PLC0415 (matplotlib loads on the first chart only)

    result, position = await _attainment(
        request, year=year, plan=plan, source=source, as_of=as_of, min_position=min_position
    )
    tenant = current_tenant(request)
    image = await in_thread(lambda: render(result, denominator, kind, province=tenant.name))
    return Response(
        image,
        media_type="image/svg+xml" if kind == "svg" else "image/png",
        headers={"KH-Position": str(position)},
    )
