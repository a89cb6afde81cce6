"""Registers read straight from the event log (sổ theo dõi): recognitions per commune.

Counts the recognitions of a title and assessment year that were not revoked, per commune of
the subject as recorded, or rolled up into today's communes (``by=current_units``) through the
old → new conversion table, so records kept under pre-1 July 2025 communes count where those
communes are now.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import ProblemError, problem_responses
from kh_saas.api.tenant_common import YearQuery, service_of
from kh_saas.domain.admin_units import SplitPolicy, roll_up_counts
from kh_saas.domain.award_vocabulary import Occasion
from kh_saas.domain.awards import Period
from kh_saas.domain.vocabulary import Title
from kh_saas.reference import read_rows
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident
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


def _names() -> dict[str, str]:
    names = {r["code"]: r["name"] for r in read_rows("legacy_communes.csv")}
    names.update({r["code"]: r["name"] for r in read_rows("communes.csv")})
    return names


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
    ) -> RecognitionRegister:
        tenant = current_tenant(request)
        pool = service_of(request).clusters[tenant.cluster].read
        table = f"{quote_ident(tenant.schema_name)}.{EVENTS_TABLE}"
        rows = await pool.fetch(
            f"""
            WITH granted AS (
                SELECT r.originator_id, (convert_from(r.state, 'UTF8')::jsonb) AS s
                FROM {table} r WHERE r.topic = $1
            )
            SELECT convert_from(subj.state, 'UTF8')::jsonb ->> 'commune_code' AS commune,
                   count(*) AS n
            FROM granted g
            JOIN {table} subj ON subj.originator_id = (g.s ->> 'subject_id')::uuid
                             AND subj.originator_version = 1 AND subj.topic = $2
            WHERE g.s ->> 'title' = $3 AND (g.s ->> 'year')::int = $4
              AND NOT EXISTS (SELECT 1 FROM {table} v
                              WHERE v.originator_id = g.originator_id AND v.topic = $5)
            GROUP BY 1 ORDER BY 1
            """,
            GRANTED,
            SUBJECT,
            title.value,
            year,
            REVOKED,
        )
        counts = {r["commune"]: int(r["n"]) for r in rows}
        names = _names()
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

        return RecognitionRegister(
            title=title,
            year=year,
            by=by,
            total=sum(counts.values()) + sum(unmapped.values()),
            items=items(counts),
            unmapped=items(unmapped),
        )


def _checked_period(period: str | None) -> str | None:
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
    ) -> AwardRegister:
        tenant = current_tenant(request)
        pool = service_of(request).clusters[tenant.cluster].read
        table = f"{quote_ident(tenant.schema_name)}.{EVENTS_TABLE}"
        rows = await pool.fetch(
            f"""
            WITH granted AS (
                SELECT originator_id, convert_from(state, 'UTF8')::jsonb AS s
                FROM {table} WHERE topic = $1
            )
            SELECT s ->> 'form' AS form, s ->> 'recipient_kind' AS kind, count(*) AS n,
                   sum((s ->> 'bonus_vnd')::bigint) AS bonus
            FROM granted g
            WHERE ($2::text IS NULL OR s -> 'achievement' ->> 'period' = $2)
              AND ($3::text IS NULL OR s -> 'achievement' ->> 'occasion' = $3)
              AND NOT EXISTS (SELECT 1 FROM {table} v
                              WHERE v.originator_id = g.originator_id AND v.topic = $4)
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            AWARD_GRANTED,
            _checked_period(period),
            occasion,
            AWARD_ANNULLED,
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
        return AwardRegister(
            period=period,
            occasion=occasion,
            state_awards=sum(i.count for i in items if i.state_form),
            association_awards=sum(i.count for i in items if not i.state_form),
            total_bonus_vnd=sum(i.bonus_vnd for i in items),
            items=items,
        )
