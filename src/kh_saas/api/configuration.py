"""A province's own rules: its authority matrix and its criteria sets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import problem_responses
from kh_saas.api.tenant_common import (
    IdempotencyKey,
    actor,
    commands,
    create_once,
    in_thread,
    service_of,
)
from kh_saas.domain.authority import AuthorityRow
from kh_saas.domain.criteria import CriteriaSet, Criterion
from kh_saas.domain.vocabulary import Scheme, Tier, Title
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident
from kh_saas.tenants.roles import Role

ADMINS = (Role.TENANT_ADMIN,)
READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
CRITERIA_TOPIC = "kh_saas.domain.criteria:CriteriaSet.Published"


class AuthorityMatrixIO(msgspec.Struct, forbid_unknown_fields=True):
    """Ma trận thẩm quyền: rows keyed by (title, tier, level), effective-dated."""

    rows: Annotated[list[AuthorityRow], msgspec.Meta(min_length=1, max_length=500)]


class CriteriaSetIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title
    tier: Tier
    edition: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,40}$", examples=["qt-2026"])]
    scheme: Scheme
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    legal_basis: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    effective_from: date
    criteria: Annotated[list[Criterion], msgspec.Meta(min_length=1, max_length=100)]
    pass_mark: Decimal | None = None


class CriteriaSetOut(msgspec.Struct, kw_only=True):
    id: UUID
    title: Title
    tier: Tier
    edition: str
    scheme: Scheme
    name: str
    legal_basis: str
    effective_from: date
    criteria: list[Criterion]
    pass_mark: Decimal | None


class CriteriaSetList(msgspec.Struct):
    items: list[CriteriaSetOut]


def criteria_out(c: CriteriaSet) -> CriteriaSetOut:
    return CriteriaSetOut(
        id=c.id, title=c.title, tier=c.tier, edition=c.edition, scheme=c.scheme, name=c.name,
        legal_basis=c.legal_basis, effective_from=c.effective_from, criteria=list(c.criteria),
        pass_mark=c.pass_mark,
    )  # fmt: skip


class ConfigurationController(Controller):
    path = "/v1/t/{slug:str}"
    tags = ["configuration"]  # noqa: RUF012

    @get(
        "/authority-matrix",
        opt=roles(*READERS),
        summary="Who evaluates, receives and decides each title (national defaults until set)",
        responses=problem_responses(401, 403, 404),
    )
    async def authority(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> AuthorityMatrixIO:
        cmd = commands(request)
        return AuthorityMatrixIO(rows=list(await in_thread(cmd.authority_rows)))

    @put(
        "/authority-matrix",
        opt=roles(*ADMINS),
        summary="Replace the province's authority matrix (rows must not overlap in time)",
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def set_authority(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[AuthorityMatrixIO],
    ) -> AuthorityMatrixIO:
        cmd, who = commands(request), actor(request)
        matrix = await in_thread(lambda: cmd.set_authority_rows(tuple(data.rows), who))
        return AuthorityMatrixIO(rows=list(matrix.rows))

    @get(
        "/criteria-sets",
        opt=roles(*READERS),
        summary="Published criteria sets (bộ tiêu chí), national defaults included",
        responses=problem_responses(401, 403, 404),
    )
    async def criteria_sets(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> CriteriaSetList:
        tenant = current_tenant(request)
        pool = service_of(request).clusters[tenant.cluster].read
        table = f"{quote_ident(tenant.schema_name)}.{EVENTS_TABLE}"
        rows = await pool.fetch(
            f"SELECT originator_id FROM {table} WHERE topic = $1 ORDER BY notification_id",
            CRITERIA_TOPIC,
        )
        ids = [r["originator_id"] for r in rows]
        cmd = commands(request)
        loaded = await in_thread(lambda: cmd.app.get_many(ids))
        return CriteriaSetList(
            items=[criteria_out(c) for c in loaded.values() if isinstance(c, CriteriaSet)]
        )

    @get(
        "/criteria-sets/{criteria_set_id:uuid}",
        opt=roles(*READERS),
        summary="One criteria set",
        responses=problem_responses(401, 403, 404),
    )
    async def criteria_set(
        self, request: Request[Any, Any, Any], slug: FromPath[str], criteria_set_id: FromPath[UUID]
    ) -> CriteriaSetOut:
        cmd = commands(request)
        return criteria_out(
            await in_thread(lambda: cmd.get(CriteriaSet, criteria_set_id, "criteria set"))
        )

    @post(
        "/criteria-sets",
        opt=roles(*ADMINS),
        summary="Publish a criteria set edition (the province's localisation)",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        status_code=201,
    )
    async def publish(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[CriteriaSetIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[CriteriaSetOut]:
        cmd, who = commands(request), actor(request)

        def run() -> CriteriaSetOut:
            return criteria_out(
                cmd.publish_criteria_set(
                    title=data.title,
                    tier=data.tier,
                    edition=data.edition,
                    scheme=data.scheme,
                    name=data.name,
                    legal_basis=data.legal_basis,
                    effective_from=data.effective_from,
                    criteria=tuple(data.criteria),
                    pass_mark=data.pass_mark,
                    actor=who,
                )
            )

        return await create_once(
            request,
            idempotency_key,
            CriteriaSetOut,
            run,
            lambda out: f"/v1/t/{slug}/criteria-sets/{out.id}",
        )
