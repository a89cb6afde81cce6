"""Registers and listings read from the projections (sổ đăng ký, danh sách).

The title registry, subjects, nominations, decisions, award decisions and awards: each a
keyset-paged listing with filters, Vietnamese-aware search (``q``), ``as_of``, CSV, and
read-your-writes (see :mod:`kh_saas.api.reading`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from kh_saas.api.auth import current_principal, current_tenant, roles
from kh_saas.api.problems import problem_responses
from kh_saas.api.reading import (
    AsOf,
    Cursor,
    Format,
    Limit,
    Listing,
    MinPosition,
    ReadOptions,
    Where,
    answer,
)
from kh_saas.api.registers import checked_period
from kh_saas.domain.authority import Office
from kh_saas.domain.award_vocabulary import AwardForm, Occasion
from kh_saas.domain.awards import Period
from kh_saas.domain.subjects import mask_citizen_id
from kh_saas.domain.vocabulary import SubjectKind, Title
from kh_saas.projections.search import prefix_query
from kh_saas.reference import unit_names
from kh_saas.tenants.admin_units import conversion_successors
from kh_saas.tenants.roles import Role

READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
SEES_CITIZEN_ID = {Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER}
RESPONSES = problem_responses(401, 403, 404, 422, 503)

Code5 = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{5}$", required=False)]
Q = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="Words of the name, any case, with or without diacritics; each matches "
        "a word's beginning (`nguyen van` finds Nguyễn Văn An).",
        required=False,
    ),
]
Year = Annotated[int | None, QueryParameter(ge=2000, le=2100, required=False)]
Day = Annotated[date | None, QueryParameter(required=False)]


def _options(
    limit: int, cursor: str | None, format: str, as_of: datetime | None, min_position: int | None
) -> ReadOptions:
    return ReadOptions(limit, cursor, format, as_of, min_position)


def _search(where: Where, q: str | None) -> None:
    if q is None:
        return
    query = prefix_query(q)
    if query is None:
        where.add("FALSE")
    else:
        where.add("to_tsvector('simple', r.search) @@ to_tsquery('simple', {})", query)


def _communes(request: Request[Any, Any, Any], code: str | None) -> list[str] | None:
    """A commune and the legacy communes (before 1 July 2025) now part of it."""
    if code is None:
        return None
    return [code, *_legacy_parts(current_tenant(request).province_code).get(code, ())]


@cache
def _legacy_parts(province_code: str) -> dict[str, tuple[str, ...]]:
    """Today's commune → the legacy communes merged (wholly or partly) into it."""
    parts: dict[str, list[str]] = {}
    for old, successors in conversion_successors(province_code).items():
        for s in successors:
            parts.setdefault(s.code, []).append(old)
    return {code: tuple(olds) for code, olds in parts.items()}


# --- the title registry --------------------------------------------------------------------


class RegistryRow(msgspec.Struct, kw_only=True):
    recognition_id: UUID
    subject_id: UUID
    subject_name: str | None
    subject_kind: str | None
    title: Title
    tier: str
    level: int | None
    year: int
    commune_code: str | None
    commune_name: str | None
    village_code: str | None
    decision_id: UUID
    decision_number: str
    signed_on: date
    valid_until: date
    status: Annotated[
        Literal["active", "revoked", "lapsed"],
        msgspec.Meta(description="On `valid_on` (default: today)"),
    ]
    revocation_reason: str | None


class RegistryPage(msgspec.Struct, kw_only=True):
    items: list[RegistryRow]
    next_cursor: str | None
    total: int
    total_exact: bool = True


_REGISTRY_COLUMNS = (
    "r.id",
    "r.subject_id",
    "r.subject_name",
    "r.subject_kind",
    "r.title",
    "r.tier",
    "r.level",
    "r.year",
    "r.commune_code",
    "r.village_code",
    "r.decision_id",
    "r.decision_number",
    "r.signed_on",
    "r.valid_until",
    "r.revoked",
    "r.revocation_reason",
)


def _registry(on: date) -> Listing:
    names = unit_names()

    def item(r: asyncpg.Record) -> RegistryRow:
        status = "revoked" if r["revoked"] else "lapsed" if r["valid_until"] < on else "active"
        return RegistryRow(
            recognition_id=r["id"],
            subject_id=r["subject_id"],
            subject_name=r["subject_name"],
            subject_kind=r["subject_kind"],
            title=Title(r["title"]),
            tier=r["tier"],
            level=r["level"],
            year=r["year"],
            commune_code=r["commune_code"],
            commune_name=names.get(r["commune_code"] or ""),
            village_code=r["village_code"],
            decision_id=r["decision_id"],
            decision_number=r["decision_number"],
            signed_on=r["signed_on"],
            valid_until=r["valid_until"],
            status=status,  # type: ignore[arg-type]
            revocation_reason=r["revocation_reason"],
        )

    return Listing("registers", "recognitions", _REGISTRY_COLUMNS, item, RegistryRow)


class RegistryController(Controller):
    path = "/v1/t/{slug:str}/registry"
    tags = ["registers"]  # noqa: RUF012

    @get(
        "/",
        opt=roles(*READERS),
        summary="The title registry: one row per recognition (sổ công nhận danh hiệu)",
        description="`as_of`: what the registry said at that moment of recording. `valid_on`: "
        "who held the title on that date, as known now (after later revocations, which void a "
        "title, and corrections). `commune_code` of a commune in force today also finds the "
        "records kept under the legacy communes now part of it.",
        responses=RESPONSES,
    )
    async def registry(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        title: Annotated[Title | None, QueryParameter(required=False)] = None,
        year: Year = None,
        commune_code: Code5 = None,
        village_code: Annotated[str | None, QueryParameter(max_length=32, required=False)] = None,
        subject_kind: Annotated[SubjectKind | None, QueryParameter(required=False)] = None,
        status: Annotated[
            Literal["active", "revoked", "lapsed"] | None, QueryParameter(required=False)
        ] = None,
        q: Q = None,
        valid_on: Day = None,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[RegistryPage]:
        options = _options(limit, cursor, format, as_of, min_position)
        on = valid_on or datetime.now(UTC).date()
        where = Where().visible("r", as_of)
        where.maybe("r.title = {}", title.value if title else None)
        where.maybe("r.year = {}", year)
        where.maybe("r.commune_code = ANY({}::text[])", _communes(request, commune_code))
        where.maybe("r.village_code = {}", village_code)
        where.maybe("r.subject_kind = {}", subject_kind.value if subject_kind else None)
        _search(where, q)
        if valid_on is not None:
            where.add("NOT r.revoked AND r.signed_on <= {} AND r.valid_until >= {}", on, on)
        if status == "revoked":
            where.add("r.revoked")
        elif status == "lapsed":
            where.add("NOT r.revoked AND r.valid_until < {}", on)
        elif status == "active":
            where.add("NOT r.revoked AND r.valid_until >= {}", on)
        return await answer(request, _registry(on), where, options, csv_name="registry")


# --- subjects ------------------------------------------------------------------------------


class SubjectRow(msgspec.Struct, kw_only=True):
    id: UUID
    kind: SubjectKind
    name: str
    commune_code: str | None
    commune_name: str | None
    village_code: str | None
    ref: str | None
    citizen_id: Annotated[
        str | None, msgspec.Meta(description="Masked (********1234) for auditors")
    ]
    corrections: int
    registered_at: datetime


def _subjects(role: Role) -> Listing:
    names = unit_names()
    full = role in SEES_CITIZEN_ID

    def item(r: asyncpg.Record) -> SubjectRow:
        cccd = r["citizen_id"]
        return SubjectRow(
            id=r["id"],
            kind=SubjectKind(r["kind"]),
            name=r["name"],
            commune_code=r["commune_code"],
            commune_name=names.get(r["commune_code"] or ""),
            village_code=r["village_code"],
            ref=r["ref"],
            citizen_id=cccd if full else mask_citizen_id(cccd),
            corrections=r["corrections"],
            registered_at=r["registered_at"],
        )

    columns = (
        "r.id",
        "r.kind",
        "r.name",
        "r.commune_code",
        "r.village_code",
        "r.ref",
        "r.citizen_id",
        "r.corrections",
        "r.registered_at",
    )
    return Listing("registers", "subjects", columns, item, SubjectRow)


class SubjectPage(msgspec.Struct, kw_only=True):
    items: list[SubjectRow]
    next_cursor: str | None
    total: int
    total_exact: bool = True


# --- nominations ---------------------------------------------------------------------------


class NominationRow(msgspec.Struct, kw_only=True):
    id: UUID
    subject_id: UUID
    subject_name: str | None
    subject_kind: str | None
    commune_code: str | None
    title: Title
    tier: str
    level: int | None
    year: int
    status: str
    created_at: datetime


class NominationPage(msgspec.Struct, kw_only=True):
    items: list[NominationRow]
    next_cursor: str | None
    total: int
    total_exact: bool = True


def _nomination(r: asyncpg.Record) -> NominationRow:
    return NominationRow(
        id=r["id"],
        subject_id=r["subject_id"],
        subject_name=r["subject_name"],
        subject_kind=r["subject_kind"],
        commune_code=r["commune_code"],
        title=Title(r["title"]),
        tier=r["tier"],
        level=r["level"],
        year=r["year"],
        status=r["status"],
        created_at=r["created_at"],
    )


NOMINATIONS = Listing(
    "registers",
    "nominations",
    (
        "r.id",
        "r.subject_id",
        "r.subject_name",
        "r.subject_kind",
        "r.commune_code",
        "r.title",
        "r.tier",
        "r.level",
        "r.year",
        "r.status",
        "r.created_at",
    ),
    _nomination,
    NominationRow,
)


# --- decisions -----------------------------------------------------------------------------


class DecisionRow(msgspec.Struct, kw_only=True):
    id: UUID
    kind: Literal["recognition", "revocation"]
    number: str
    signed_on: date
    issuer_office: str
    issuer_name: str
    issuer_unit_code: str | None
    signer_name: str
    signer_position: str
    title: str | None
    tier: str | None
    level: int | None
    year: int | None
    recipient_count: int
    reason: str | None
    corrections: int


class DecisionPage(msgspec.Struct, kw_only=True):
    items: list[DecisionRow]
    next_cursor: str | None
    total: int
    total_exact: bool = True


_DECISION_FIELDS = DecisionRow.__struct_fields__

DECISIONS = Listing(
    "registers",
    "decisions",
    tuple(f"r.{f}" for f in _DECISION_FIELDS),
    lambda r: DecisionRow(**{f: r[f] for f in _DECISION_FIELDS}),
    DecisionRow,
)


# --- awards --------------------------------------------------------------------------------


class AwardDecisionRow(msgspec.Struct, kw_only=True):
    id: UUID
    kind: Literal["award", "annulment"]
    number: str
    signed_on: date
    issuer_signer: str
    issuer_name: str
    issuer_unit_code: str | None
    signer_name: str
    signer_position: str
    form: str | None
    movement: str | None
    period: str | None
    occasion: str | None
    recipient_count: int
    base_salary_vnd: int | None
    total_bonus_vnd: int | None
    proposal_id: UUID | None
    reason: str | None
    corrections: int


class AwardDecisionPage(msgspec.Struct, kw_only=True):
    items: list[AwardDecisionRow]
    next_cursor: str | None
    total: int
    total_exact: bool = True


_AD_FIELDS = AwardDecisionRow.__struct_fields__

AWARD_DECISIONS = Listing(
    "registers",
    "award_decisions",
    tuple(f"r.{f}" for f in _AD_FIELDS),
    lambda r: AwardDecisionRow(**{f: r[f] for f in _AD_FIELDS}),
    AwardDecisionRow,
)


class AwardRow(msgspec.Struct, kw_only=True):
    id: UUID
    subject_id: UUID
    subject_name: str | None
    subject_kind: str | None
    commune_code: str | None
    recipient_kind: str
    form: str
    movement: str
    period: str
    occasion: str
    citation: str
    bonus_vnd: int
    decision_id: UUID
    decision_number: str
    signed_on: date
    status: Literal["active", "annulled"]
    annulment_reason: str | None
    certificate_recovered: bool
    bonus_recovered_vnd: int


class AwardPage(msgspec.Struct, kw_only=True):
    items: list[AwardRow]
    next_cursor: str | None
    total: int
    total_exact: bool = True


_AWARD_FIELDS = [f for f in AwardRow.__struct_fields__ if f != "status"]

AWARDS = Listing(
    "registers",
    "awards",
    (*(f"r.{f}" for f in _AWARD_FIELDS), "r.annulled"),
    lambda r: AwardRow(
        **{f: r[f] for f in _AWARD_FIELDS}, status="annulled" if r["annulled"] else "active"
    ),
    AwardRow,
)


# Each listing joins the controller that owns its path (a path's handlers must live in one
# controller): these mixins hold the listings' handlers.


class SubjectListing:
    @get("/", opt=roles(*READERS), summary="Subjects (đối tượng)", responses=RESPONSES)
    async def subjects(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        kind: Annotated[SubjectKind | None, QueryParameter(required=False)] = None,
        commune_code: Code5 = None,
        village_code: Annotated[str | None, QueryParameter(max_length=32, required=False)] = None,
        q: Q = None,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[SubjectPage]:
        options = _options(limit, cursor, format, as_of, min_position)
        where = Where().visible("r", as_of)
        where.maybe("r.kind = {}", kind.value if kind else None)
        where.maybe("r.commune_code = ANY({}::text[])", _communes(request, commune_code))
        where.maybe("r.village_code = {}", village_code)
        _search(where, q)
        role = current_principal(request).role
        return await answer(request, _subjects(role), where, options, csv_name="subjects")


class NominationListing:
    @get(
        "/",
        opt=roles(*READERS),
        summary="Nominations (hồ sơ đề nghị)",
        responses=RESPONSES,
    )
    async def nominations(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        status: Annotated[
            Literal["draft", "submitted", "returned", "approved", "rejected", "withdrawn"] | None,
            QueryParameter(required=False),
        ] = None,
        title: Annotated[Title | None, QueryParameter(required=False)] = None,
        year: Year = None,
        commune_code: Code5 = None,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[NominationPage]:
        options = _options(limit, cursor, format, as_of, min_position)
        where = Where().visible("r", as_of)
        where.maybe("r.status = {}", status)
        where.maybe("r.title = {}", title.value if title else None)
        where.maybe("r.year = {}", year)
        where.maybe("r.commune_code = ANY({}::text[])", _communes(request, commune_code))
        return await answer(request, NOMINATIONS, where, options, csv_name="nominations")


class DecisionListing:
    @get(
        "/",
        opt=roles(*READERS),
        summary="Recognition and revocation decisions (quyết định)",
        responses=RESPONSES,
    )
    async def decisions(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        title: Annotated[Title | None, QueryParameter(required=False)] = None,
        year: Year = None,
        issuer: Annotated[
            Office | None, QueryParameter(required=False, description="The issuing office")
        ] = None,
        signed_from: Day = None,
        signed_to: Day = None,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[DecisionPage]:
        options = _options(limit, cursor, format, as_of, min_position)
        where = Where().visible("r", as_of)
        where.maybe("r.title = {}", title.value if title else None)
        where.maybe("r.year = {}", year)
        where.maybe("r.issuer_office = {}", issuer.value if issuer else None)
        where.maybe("r.signed_on >= {}", signed_from)
        where.maybe("r.signed_on <= {}", signed_to)
        return await answer(request, DECISIONS, where, options, csv_name="decisions")


class AwardDecisionListing:
    @get(
        "/",
        opt=roles(*READERS),
        summary="Award decisions and annulments (quyết định khen thưởng, hủy bỏ)",
        responses=RESPONSES,
    )
    async def award_decisions(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        form: Annotated[AwardForm | None, QueryParameter(required=False)] = None,
        occasion: Annotated[Occasion | None, QueryParameter(required=False)] = None,
        period: Annotated[Period | None, QueryParameter(required=False)] = None,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[AwardDecisionPage]:
        options = _options(limit, cursor, format, as_of, min_position)
        where = Where().visible("r", as_of)
        where.maybe("r.form = {}", form.value if form else None)
        where.maybe("r.occasion = {}", occasion.value if occasion else None)
        where.maybe("r.period = {}", checked_period(period))
        return await answer(request, AWARD_DECISIONS, where, options, csv_name="award-decisions")


class AwardListing:
    @get(
        "/awards",
        opt=roles(*READERS),
        summary="Awards (khen thưởng) granted, with annulment and recovery",
        responses=RESPONSES,
    )
    async def awards(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        form: Annotated[AwardForm | None, QueryParameter(required=False)] = None,
        occasion: Annotated[Occasion | None, QueryParameter(required=False)] = None,
        period: Annotated[Period | None, QueryParameter(required=False)] = None,
        status: Annotated[
            Literal["active", "annulled"] | None, QueryParameter(required=False)
        ] = None,
        q: Q = None,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[AwardPage]:
        options = _options(limit, cursor, format, as_of, min_position)
        where = Where().visible("r", as_of)
        where.maybe("r.form = {}", form.value if form else None)
        where.maybe("r.occasion = {}", occasion.value if occasion else None)
        where.maybe("r.period = {}", checked_period(period))
        if status is not None:
            where.add("r.annulled = {}", status == "annulled")
        _search(where, q)
        return await answer(request, AWARDS, where, options, csv_name="awards")
