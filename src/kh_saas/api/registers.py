"""Registers (sổ theo dõi) from the registers projection: recognitions per commune, awards.

Counts the recognitions of a title and assessment year that were not revoked, per commune of
the subject as recorded, or rolled up into today's communes (``by=current_units``) through the
old → new conversion table, so records kept under pre-1 July 2025 communes count where those
communes are now.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.exports import TableFormat, table_download
from kh_saas.api.problems import ProblemError, problem_responses
from kh_saas.api.reading import AsOf, MinPosition, Where, pool_of, read_position, table
from kh_saas.api.tenant_common import YearQuery
from kh_saas.domain.admin_units import SplitPolicy, roll_up_counts
from kh_saas.domain.award_vocabulary import Occasion
from kh_saas.domain.awards import Period
from kh_saas.domain.vocabulary import Title
from kh_saas.reference import unit_names
from kh_saas.tenants.admin_units import conversion_successors
from kh_saas.tenants.roles import Role

READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
GRANTED = "kh_saas.domain.recognitions:Recognition.Granted"
REVOKED = "kh_saas.domain.recognitions:Recognition.Revoked"
SUBJECT = "kh_saas.domain.subjects:Subject.Registered"


class CommuneCount(msgspec.Struct):
    commune_code: str | None
    commune_name: str | None
    count: int


class RecognitionRegister(msgspec.Struct, kw_only=True):
    title: Title
    year: int
    by: str
    total: Annotated[int, msgspec.Meta(description="Recognitions in force (not revoked)")]
    items: list[CommuneCount]
    unmapped: Annotated[
        list[CommuneCount], msgspec.Meta(description="Old communes with no known successor")
    ]


class RegisterController(Controller):
    path = "/v1/t/{slug:str}/registers"
    tags = ["registers"]  # noqa: RUF012

    @get(
        "/recognitions",
        opt=roles(*READERS),
        summary="Recognitions of a title and year per commune (recorded, or by current units)",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def recognitions(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        title: FromQuery[Title],
        year: YearQuery,
        *,
        by: FromQuery[Literal["recorded", "current_units"]] = "recorded",
        split: FromQuery[SplitPolicy] = SplitPolicy.PRIMARY,
        as_of: AsOf = None,
        min_position: MinPosition = None,
    ) -> Response[RecognitionRegister]:
        tenant = current_tenant(request)
        position = await read_position(request, "registers", min_position)
        where = Where().visible("r", as_of)
        where.add("r.title = {} AND r.year = {} AND NOT r.revoked", title.value, year)
        rows = await pool_of(request).fetch(
            f"SELECT r.commune_code AS commune, count(*) AS n"
            f" FROM {table(tenant, 'recognitions')} r WHERE {where.sql} GROUP BY 1 ORDER BY 1",
            *where.values,
        )
        counts = {r["commune"]: int(r["n"]) for r in rows}
        names = unit_names()
        unmapped: dict[str, int] = {}
        if by == "current_units":
            successors = conversion_successors(tenant.province_code)
            legacy = {c: n for c, n in counts.items() if c in successors}
            rolled = roll_up_counts(legacy, successors, split)
            merged = {c: n for c, n in counts.items() if c not in successors}
            for code, n in rolled.by_current.items():
                merged[code] = merged.get(code, 0) + n
            counts, unmapped = merged, rolled.unmapped

        def items(d: dict[str | None, int] | dict[str, int]) -> list[CommuneCount]:
            return [
                CommuneCount(code, names.get(code) if code else None, n)
                for code, n in sorted(d.items(), key=lambda kv: kv[0] or "")
            ]

        register = RecognitionRegister(
            title=title,
            year=year,
            by=by,
            total=sum(counts.values()) + sum(unmapped.values()),
            items=items(counts),
            unmapped=items(unmapped),
        )
        return Response(register, headers={"KH-Position": str(position)})


def checked_period(period: str | None) -> str | None:
    # Query strings are not checked against msgspec constraints by Litestar.
    if period is not None and not re.fullmatch(r"20[0-9]{2}(-20[0-9]{2})?", period):
        raise ProblemError(422, "validation_failed", "period is YYYY or YYYY-YYYY", field="period")
    return period


AWARD_GRANTED = "kh_saas.domain.awards:Award.Granted"
AWARD_ANNULLED = "kh_saas.domain.awards:Award.Annulled"


class AwardCount(msgspec.Struct):
    form: str
    recipient_kind: str
    state_form: Annotated[bool, msgspec.Meta(description="False for the association's own")]
    count: int
    bonus_vnd: int


class AwardRegister(msgspec.Struct, kw_only=True):
    period: str | None
    occasion: str | None
    state_awards: int
    association_awards: int
    total_bonus_vnd: int
    items: list[AwardCount]


class AwardRegisterController(Controller):
    path = "/v1/t/{slug:str}/registers"
    tags = ["registers"]  # noqa: RUF012

    @get(
        "/awards",
        opt=roles(*READERS),
        summary="Awards in force (not annulled) by form and recipient kind, with the bonus "
        "budget; the association's certificates are counted apart from state forms",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def awards(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        period: FromQuery[Period | None] = None,
        occasion: FromQuery[Occasion | None] = None,
        as_of: AsOf = None,
        min_position: MinPosition = None,
        format: TableFormat = "json",
    ) -> Response[AwardRegister]:
        tenant = current_tenant(request)
        position = await read_position(request, "registers", min_position)
        where = Where().visible("r", as_of).add("NOT r.annulled")
        where.maybe("r.period = {}", checked_period(period))
        where.maybe("r.occasion = {}", occasion.value if occasion else None)
        rows = await pool_of(request).fetch(
            f"SELECT r.form, r.recipient_kind AS kind, count(*) AS n, sum(r.bonus_vnd) AS bonus"
            f" FROM {table(tenant, 'awards')} r WHERE {where.sql} GROUP BY 1, 2 ORDER BY 1, 2",
            *where.values,
        )
        items = [
            AwardCount(
                form=r["form"],
                recipient_kind=r["kind"],
                state_form=r["form"] != "association_certificate",
                count=int(r["n"]),
                bonus_vnd=int(r["bonus"] or 0),
            )
            for r in rows
        ]
        register = AwardRegister(
            period=period,
            occasion=occasion,
            state_awards=sum(i.count for i in items if i.state_form),
            association_awards=sum(i.count for i in items if not i.state_form),
            total_bonus_vnd=sum(i.bonus_vnd for i in items),
            items=items,
        )
        headers = {"KH-Position": str(position)}
        if format != "json":  # the rows (one per form and recipient kind) as a download
            return table_download(  # type: ignore[return-value]
                items, AwardCount, name="award-register", format=format, headers=headers
            )
        return Response(register, headers=headers)
