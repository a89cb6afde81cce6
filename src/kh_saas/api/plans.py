"""Plans (kế hoạch) and their templates: ``/plan-templates``, ``/plans``, ``/plans/{id}``.

A province adopts a template (the seed plan of Tủa Chùa, or Decision 387/QĐ-TTg's national
figures) with its own number, issuer and signing date, editing any target, or records a
whole plan of its own. Every adoption is an event (``Plan.Adopted``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import ProblemError, problem_responses
from kh_saas.api.reading import AsOf, pool_of
from kh_saas.api.tenant_common import (
    DocumentNumber,
    IdempotencyKey,
    actor,
    create_once,
    service_of,
)
from kh_saas.domain.errors import NotFound
from kh_saas.domain.plan_templates import TEMPLATES, PlanTemplate
from kh_saas.domain.plans import Denominator, Phase, PlanIssuer, Target, check_plan
from kh_saas.reference import communes_of
from kh_saas.targets import store
from kh_saas.tenants.plan_commands import PlanCommands
from kh_saas.tenants.roles import Role

ADMINS = (Role.TENANT_ADMIN,)
READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class PlanTemplateList(msgspec.Struct):
    items: list[PlanTemplate]


class PlanIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Adopt ``template`` (its phases and targets, each target given here replacing or adding
    the template's for that denominator and year), or give the whole plan without one."""

    number: DocumentNumber
    issuer: PlanIssuer
    signed_on: date
    template: Annotated[str, msgspec.Meta(examples=["tua-chua-2022", "qd-387-2022"])] | None = None
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    legal_basis: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)] | None = None
    phases: Annotated[list[Phase], msgspec.Meta(min_length=1, max_length=10)] | None = None
    targets: Annotated[list[Target], msgspec.Meta(max_length=200)] | None = None


class PlanOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    name: str
    issuer: PlanIssuer
    signed_on: date
    phases: list[Phase]
    targets: list[Target]
    template: str | None
    legal_basis: str | None
    recorded_at: datetime


class PlanList(msgspec.Struct, kw_only=True):
    """Every plan at once (a province adopts a handful): never a next page."""

    items: list[PlanOut]
    next_cursor: str | None = None
    total: int
    total_exact: bool = True


def plan_out(p: store.PlanRecord) -> PlanOut:
    return PlanOut(
        id=p.id, number=p.number, name=p.name, issuer=p.issuer, signed_on=p.signed_on,
        phases=list(p.phases), targets=list(p.targets), template=p.template,
        legal_basis=p.legal_basis, recorded_at=p.recorded_at,
    )  # fmt: skip


def merged(template: PlanTemplate, edits: list[Target] | None) -> tuple[Target, ...]:
    """The template's targets with the edits applied (same denominator and year: replaced)."""
    by_key = {(t.denominator, t.year): t for t in template.plan_targets()}
    for t in edits or ():
        by_key[t.denominator, t.year] = t
    order = list(Denominator)
    return tuple(sorted(by_key.values(), key=lambda t: (t.year, order.index(t.denominator))))


def plan_commands(request: Request[Any, Any, Any]) -> PlanCommands:
    tenant = current_tenant(request)
    return PlanCommands(service_of(request).app_for(tenant), communes_of(tenant.province_code))


class PlanController(Controller):
    path = "/v1/t/{slug:str}"
    tags = ["plans and targets"]  # noqa: RUF012

    @get(
        "/plan-templates",
        opt=roles(*READERS),
        summary="Plan templates a province may adopt (seed plan of Tủa Chùa, QĐ 387/QĐ-TTg)",
        description="Each target says how sure its figure is (`confidence`) and where it "
        "comes from (`source`).",
        responses=problem_responses(401, 403, 404),
    )
    async def templates(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> PlanTemplateList:
        return PlanTemplateList(items=list(TEMPLATES.values()))

    @post(
        "/plans",
        opt=roles(*ADMINS),
        summary="Adopt a plan (kế hoạch): a template with edits, or a whole plan",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        status_code=201,
    )
    async def adopt(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[PlanIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[PlanOut]:
        template: PlanTemplate | None = None
        if data.template is not None:
            template = TEMPLATES.get(data.template)
            if template is None:
                raise ProblemError(
                    422,
                    "validation_failed",
                    f"no template {data.template!r}; see GET /plan-templates "
                    f"({', '.join(TEMPLATES)})",
                    field="template",
                )
            phases = tuple(data.phases) if data.phases else template.phases
            if data.targets:  # errors name the edits as sent (targets[i]), not the merge
                check_plan(phases, tuple(data.targets))
            targets = merged(template, data.targets)
        else:
            for name in ("name", "phases", "targets"):
                if not getattr(data, name):
                    raise ProblemError(
                        422,
                        "validation_failed",
                        f"{name} is required when no template is adopted",
                        field=name,
                    )
            assert data.phases is not None and data.targets is not None
            targets, phases = tuple(data.targets), tuple(data.phases)
        name = data.name or (template.name if template else "")
        legal_basis = data.legal_basis or (template.legal_basis if template else None)
        cmd, who = plan_commands(request), actor(request)

        def run() -> PlanOut:
            p = cmd.adopt_plan(
                number=data.number,
                name=name,
                issuer=data.issuer,
                signed_on=data.signed_on,
                phases=phases,
                targets=targets,
                template=template.id if template else None,
                legal_basis=legal_basis,
                actor=who,
            )
            return PlanOut(
                id=p.id, number=p.number, name=p.name, issuer=p.issuer, signed_on=p.signed_on,
                phases=list(p.phases), targets=list(p.targets), template=p.template,
                legal_basis=p.legal_basis, recorded_at=p.created_on,
            )  # fmt: skip

        return await create_once(
            request, idempotency_key, PlanOut, run, lambda out: f"/v1/t/{slug}/plans/{out.id}"
        )

    @get(
        "/plans",
        opt=roles(*READERS),
        summary="Plans adopted by the province, in the order recorded",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def plans(
        self, request: Request[Any, Any, Any], slug: FromPath[str], as_of: AsOf = None
    ) -> PlanList:
        tenant = current_tenant(request)
        async with pool_of(request).acquire() as conn:
            found = await store.plans(conn, tenant.schema_name, as_of=as_of)
        return PlanList(items=[plan_out(p) for p in found], total=len(found))

    @get(
        "/plans/{plan_id:uuid}",
        opt=roles(*READERS),
        summary="One plan: its act, phases and targets",
        responses=problem_responses(401, 403, 404),
    )
    async def plan(
        self, request: Request[Any, Any, Any], slug: FromPath[str], plan_id: FromPath[UUID]
    ) -> PlanOut:
        tenant = current_tenant(request)
        async with pool_of(request).acquire() as conn:
            found = await store.plan(conn, tenant.schema_name, plan_id)
        if found is None:
            raise NotFound("plan", plan_id)
        return plan_out(found)
