"""Nominations (hồ sơ đề nghị): create, score, attach evidence, and move through review."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from kh_saas.api.auth import roles
from kh_saas.api.listings import NominationListing
from kh_saas.api.problems import problem_responses
from kh_saas.api.tenant_common import (
    IdempotencyKey,
    actor,
    commands,
    create_once,
    in_thread,
    today,
)
from kh_saas.domain.authority import AuthorityRow
from kh_saas.domain.criteria import IndicatorScore
from kh_saas.domain.decision_rules import decision_due, dossier_due
from kh_saas.domain.nominations import Evidence, Nomination, NominationStatus, allowed_actions
from kh_saas.domain.vocabulary import Tier, Title
from kh_saas.tenants.roles import Role

OFFICERS = (Role.TENANT_ADMIN, Role.OFFICER)
REVIEWERS = (Role.TENANT_ADMIN, Role.REVIEWER)
READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)


class NominationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    subject_id: UUID
    title: Title
    tier: Tier
    level: Annotated[int, msgspec.Meta(ge=1, le=2)] | None = None
    year: Annotated[int, msgspec.Meta(ge=2015, le=2100, description="Assessment year")]
    criteria_set_id: UUID


class ScoresIn(msgspec.Struct, forbid_unknown_fields=True):
    scores: Annotated[list[IndicatorScore], msgspec.Meta(min_length=1, max_length=500)]


class EvidenceIn(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[Evidence], msgspec.Meta(min_length=1, max_length=200)]


class ReasonsIn(msgspec.Struct, forbid_unknown_fields=True):
    reasons: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]],
        msgspec.Meta(min_length=1, max_length=50),
    ]


class EmptyIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class SubmitIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Nộp hồ sơ: the day the dossier reached the receiving body (default: today)."""

    filed_on: date | None = None


class NominationOut(msgspec.Struct, kw_only=True):
    id: UUID
    subject_id: UUID
    title: Title
    tier: Tier
    level: int | None
    year: int
    criteria_set_id: UUID
    status: NominationStatus
    allowed_actions: list[str]
    self_scores: list[IndicatorScore]
    review_scores: list[IndicatorScore]
    evidence: list[Evidence]
    reasons: list[str]
    filed_on: Annotated[date | None, msgspec.Meta(description="Ngày nộp hồ sơ")]
    dossier_due_on: Annotated[
        date | None,
        msgspec.Meta(description="Hạn nộp hồ sơ from the authority matrix (None: local practice)"),
    ]
    decision_due_on: Annotated[
        date | None, msgspec.Meta(description="Hạn quyết định công nhận from the matrix")
    ]
    late: Annotated[
        bool | None,
        msgspec.Meta(
            description="Filed after the dossier deadline (or, not yet filed, past it); "
            "shown only: nothing is refused on that ground. None without a deadline."
        ),
    ]
    version: int
    modified_on: datetime


def nomination_out(n: Nomination, row: AuthorityRow | None) -> NominationOut:
    due = dossier_due(row, n.year)
    filed = n.filed_on
    late = None if due is None else (filed or today()) > due
    if due is not None and filed is None and n.status is not NominationStatus.DRAFT:
        late = None  # submitted before filing dates were recorded: unknown
    return NominationOut(
        id=n.id,
        subject_id=n.subject_id,
        title=n.title,
        tier=n.tier,
        level=n.level,
        year=n.year,
        criteria_set_id=n.criteria_set_id,
        status=n.status,
        allowed_actions=allowed_actions(n.status),
        self_scores=list(n.self_scores),
        review_scores=list(n.review_scores),
        evidence=list(n.evidence),
        reasons=list(n.reasons),
        filed_on=filed,
        dossier_due_on=due,
        decision_due_on=decision_due(row, n.year),
        late=late,
        version=n.version,
        modified_on=n.modified_on,
    )


class NominationController(NominationListing, Controller):
    path = "/v1/t/{slug:str}/nominations"
    tags = ["nominations"]  # noqa: RUF012

    @post(
        "/",
        opt=roles(*OFFICERS),
        summary="Open a nomination (hồ sơ đề nghị) for a subject, title, tier/level and year",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        status_code=201,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[NominationIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[NominationOut]:
        cmd, who = commands(request), actor(request)

        def run() -> NominationOut:
            n = cmd.create_nomination(
                subject_id=data.subject_id,
                title=data.title,
                tier=data.tier,
                level=data.level,
                year=data.year,
                criteria_set_id=data.criteria_set_id,
                actor=who,
                today=today(),
            )
            return nomination_out(n, cmd.deadline_row(n.title, n.tier, n.level, n.year))

        return await create_once(
            request,
            idempotency_key,
            NominationOut,
            run,
            lambda out: f"/v1/t/{slug}/nominations/{out.id}",
        )

    @get(
        "/{nomination_id:uuid}",
        opt=roles(*READERS),
        summary="One nomination, with the actions allowed in its state",
        responses=problem_responses(401, 403, 404),
    )
    async def read(
        self, request: Request[Any, Any, Any], slug: FromPath[str], nomination_id: FromPath[UUID]
    ) -> NominationOut:
        cmd = commands(request)

        def read() -> NominationOut:
            n = cmd.get(Nomination, nomination_id, "nomination")
            return nomination_out(n, cmd.deadline_row(n.title, n.tier, n.level, n.year))

        return await in_thread(read)

    async def _act(
        self,
        request: Request[Any, Any, Any],
        nomination_id: UUID,
        action: str,
        *,
        scores: tuple[IndicatorScore, ...] = (),
        evidence: tuple[Evidence, ...] = (),
        reasons: tuple[str, ...] = (),
        filed_on: date | None = None,
    ) -> NominationOut:
        cmd, who = commands(request), actor(request)

        def act() -> NominationOut:
            n = cmd.act_on_nomination(
                nomination_id,
                action,
                actor=who,
                scores=scores,
                evidence=evidence,
                reasons=reasons,
                filed_on=filed_on,
            )
            return nomination_out(n, cmd.deadline_row(n.title, n.tier, n.level, n.year))

        return await in_thread(act)

    @post(
        "/{nomination_id:uuid}/self-assessment",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Record the self-assessment scores (tự đánh giá)",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def self_assess(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        nomination_id: FromPath[UUID],
        data: JSONBody[ScoresIn],
    ) -> NominationOut:
        return await self._act(request, nomination_id, "self_assess", scores=tuple(data.scores))

    @post(
        "/{nomination_id:uuid}/evidence",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Attach evidence references (minh chứng): file name, SHA-256, storage URL",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def attach_evidence(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        nomination_id: FromPath[UUID],
        data: JSONBody[EvidenceIn],
    ) -> NominationOut:
        return await self._act(
            request, nomination_id, "attach_evidence", evidence=tuple(data.items)
        )

    @post(
        "/{nomination_id:uuid}/review",
        opt=roles(*REVIEWERS),
        status_code=200,
        summary="Record the reviewer's score per indicator (chấm điểm, thẩm định)",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def review(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        nomination_id: FromPath[UUID],
        data: JSONBody[ScoresIn],
    ) -> NominationOut:
        return await self._act(request, nomination_id, "review", scores=tuple(data.scores))

    @post(
        "/{nomination_id:uuid}/submit",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Submit the dossier (nộp hồ sơ), optionally with the day it was filed",
        description="The response shows the dossier deadline and whether it was filed late; "
        "a late dossier is not refused.",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        nomination_id: FromPath[UUID],
        data: JSONBody[SubmitIn | None] = None,
    ) -> NominationOut:
        filed_on = (data.filed_on if data else None) or today()
        return await self._act(request, nomination_id, "submit", filed_on=filed_on)

    @post(
        "/{nomination_id:uuid}/resubmit",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Resubmit after supplementing",
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def resubmit(
        self, request: Request[Any, Any, Any], slug: FromPath[str], nomination_id: FromPath[UUID]
    ) -> NominationOut:
        return await self._act(request, nomination_id, "resubmit")

    @post(
        "/{nomination_id:uuid}/return",
        opt=roles(*REVIEWERS),
        status_code=200,
        summary="Return for supplement (trả lại để bổ sung), with reasons",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def return_(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        nomination_id: FromPath[UUID],
        data: JSONBody[ReasonsIn],
    ) -> NominationOut:
        return await self._act(request, nomination_id, "return", reasons=tuple(data.reasons))

    @post(
        "/{nomination_id:uuid}/approve",
        opt=roles(*REVIEWERS),
        status_code=200,
        summary="Approve: the reviewer's scores must meet the criteria set's pass rule",
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def approve(
        self, request: Request[Any, Any, Any], slug: FromPath[str], nomination_id: FromPath[UUID]
    ) -> NominationOut:
        return await self._act(request, nomination_id, "approve")

    @post(
        "/{nomination_id:uuid}/reject",
        opt=roles(*REVIEWERS),
        status_code=200,
        summary="Reject, with reasons",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def reject(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        nomination_id: FromPath[UUID],
        data: JSONBody[ReasonsIn],
    ) -> NominationOut:
        return await self._act(request, nomination_id, "reject", reasons=tuple(data.reasons))

    @post(
        "/{nomination_id:uuid}/withdraw",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Withdraw the nomination",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        nomination_id: FromPath[UUID],
        data: JSONBody[ReasonsIn],
    ) -> NominationOut:
        return await self._act(request, nomination_id, "withdraw", reasons=tuple(data.reasons))
