"""Registers read straight from the event log (sổ theo dõi): recognitions per commune.

Counts the recognitions of a title and assessment year that were not revoked, per commune of
the subject as recorded, or rolled up into today's communes (``by=current_units``) through the
old → new conversion table, so records kept under pre-1 July 2025 communes count where those
communes are now.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import problem_responses
from kh_saas.api.tenant_common import service_of
from kh_saas.domain.admin_units import SplitPolicy, roll_up_counts
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
        year: FromQuery[int],
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
