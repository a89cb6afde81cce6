"""Recognition decisions, revocations and corrections (quyết định công nhận / hủy bỏ)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from kh_saas.api.auth import roles
from kh_saas.api.listings import DecisionListing
from kh_saas.api.problems import problem_responses
from kh_saas.api.tenant_common import (
    BULK_BODY_BYTES,
    DocumentNumber,
    IdempotencyKey,
    YearQuery,
    actor,
    commands,
    create_once,
    in_thread,
    today,
)
from kh_saas.api.trail import RecognitionTrail
from kh_saas.domain.decision_rules import MAX_RECIPIENTS, DecisionDraft
from kh_saas.domain.document_numbers import NumberWarning
from kh_saas.domain.recognitions import (
    Issuer,
    Recipient,
    Recognition,
    RecognitionDecision,
    RevocationDecision,
    Signer,
    recognition_id,
)
from kh_saas.domain.vocabulary import RevocationReason, Tier, Title
from kh_saas.tenants.roles import Role

SIGNERS = (Role.SIGNER,)
READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A signed recognition decision; all recipients are recognised, or none."""

    number: DocumentNumber
    signed_on: date
    issuer: Issuer
    signer: Signer
    title: Title
    tier: Tier
    level: Annotated[int, msgspec.Meta(ge=1, le=2)] | None = None
    year: Annotated[int, msgspec.Meta(ge=2015, le=2100, description="Assessment year")]
    recipients: Annotated[list[Recipient], msgspec.Meta(min_length=1, max_length=MAX_RECIPIENTS)]


class DecisionOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    signed_on: date
    issuer: Issuer
    signer: Signer
    title: Title
    tier: Tier
    level: int | None
    year: int
    recipient_count: int
    recipients: list[Recipient] | None = None
    corrections: list[str]
    warnings: Annotated[
        list[NumberWarning],
        msgspec.Meta(
            description="Recorded, but worth a second look: a number running backwards in "
            "its issuer's year, reused, or carrying a year (only legal-normative acts do)"
        ),
    ]
    version: int


class RevocationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    number: DocumentNumber
    signed_on: date
    issuer: Issuer
    signer: Signer
    reason: RevocationReason
    explanation: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    recognition_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=MAX_RECIPIENTS)]


class RevocationOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    signed_on: date
    issuer: Issuer
    signer: Signer
    reason: RevocationReason
    explanation: str
    recognition_ids: list[UUID]
    warnings: Annotated[
        list[NumberWarning],
        msgspec.Meta(
            description="Recorded, but worth a second look: a number running backwards in "
            "its issuer's year, reused, or carrying a year (only legal-normative acts do)"
        ),
    ]


class DecisionCorrectionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    number: DocumentNumber | None = None
    signer: Signer | None = None


class RecognitionOut(msgspec.Struct, kw_only=True):
    id: UUID
    subject_id: UUID
    title: Title
    tier: Tier
    level: int | None
    year: int
    decision_id: UUID
    decision_number: str
    signed_on: date
    nomination_id: UUID | None
    valid_until: date
    upgrade_from: date | None
    revoked_by: UUID | None
    revoked_reason: RevocationReason | None
    in_force: bool


def decision_out(d: RecognitionDecision, with_recipients: bool) -> DecisionOut:
    return DecisionOut(
        id=d.id,
        number=d.number,
        signed_on=d.signed_on,
        issuer=d.issuer,
        signer=d.signer,
        title=d.title,
        tier=d.tier,
        level=d.level,
        year=d.year,
        recipient_count=len(d.recipients),
        recipients=list(d.recipients) if with_recipients else None,
        corrections=list(d.corrections),
        warnings=list(d.warnings),
        version=d.version,
    )


def recognition_out(r: Recognition) -> RecognitionOut:
    return RecognitionOut(
        id=r.id,
        subject_id=r.subject_id,
        title=r.title,
        tier=r.tier,
        level=r.level,
        year=r.year,
        decision_id=r.decision_id,
        decision_number=r.decision_number,
        signed_on=r.signed_on,
        nomination_id=r.nomination_id,
        valid_until=r.valid_until,
        upgrade_from=r.upgrade_from,
        revoked_by=r.revoked_by,
        revoked_reason=r.revoked_reason,
        in_force=r.in_force(today()),
    )


class DecisionController(DecisionListing, Controller):
    path = "/v1/t/{slug:str}/decisions"
    tags = ["decisions"]  # noqa: RUF012

    @post(
        "/",
        opt=roles(*SIGNERS),
        summary="Record a signed recognition decision (1–50,000 recipients, all or nothing)",
        description="Every failing recipient is named in `errors` with the rule it breaks.",
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
        status_code=201,
        request_max_body_size=BULK_BODY_BYTES,
    )
    async def record(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[DecisionIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[DecisionOut]:
        cmd, who = commands(request), actor(request)
        draft = DecisionDraft(
            number=data.number,
            signed_on=data.signed_on,
            issuer=data.issuer,
            title=data.title,
            tier=data.tier,
            level=data.level,
            year=data.year,
            recipients=data.recipients,
        )

        def run() -> DecisionOut:
            decision = cmd.record_decision(draft, signer=data.signer, actor=who, today=today())
            return decision_out(decision, with_recipients=False)

        return await create_once(
            request,
            idempotency_key,
            DecisionOut,
            run,
            lambda out: f"/v1/t/{slug}/decisions/{out.id}",
        )

    @get(
        "/{decision_id:uuid}",
        opt=roles(*READERS),
        summary="One decision with its recipients",
        responses=problem_responses(401, 403, 404),
    )
    async def read(
        self, request: Request[Any, Any, Any], slug: FromPath[str], decision_id: FromPath[UUID]
    ) -> DecisionOut:
        cmd = commands(request)
        decision = await in_thread(lambda: cmd.get(RecognitionDecision, decision_id, "decision"))
        return decision_out(decision, with_recipients=True)

    @post(
        "/{decision_id:uuid}/corrections",
        opt=roles(*SIGNERS),
        summary="Correct a decision's number or signer (đính chính); history keeps both",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        status_code=200,
    )
    async def correct(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        decision_id: FromPath[UUID],
        data: JSONBody[DecisionCorrectionIn],
    ) -> DecisionOut:
        cmd, who = commands(request), actor(request)
        decision = await in_thread(
            lambda: cmd.correct_decision(
                decision_id, number=data.number, signer=data.signer, reason=data.reason, actor=who
            )
        )
        return decision_out(decision, with_recipients=False)


class RevocationController(Controller):
    path = "/v1/t/{slug:str}/revocations"
    tags = ["decisions"]  # noqa: RUF012

    @post(
        "/",
        opt=roles(*SIGNERS),
        summary="Record a revocation decision (hủy bỏ): takes recognitions back, deletes nothing",
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
        status_code=201,
        request_max_body_size=BULK_BODY_BYTES,
    )
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[RevocationIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[RevocationOut]:
        cmd, who = commands(request), actor(request)

        def run() -> RevocationOut:
            r = cmd.revoke(
                number=data.number,
                signed_on=data.signed_on,
                issuer=data.issuer,
                signer=data.signer,
                reason=data.reason,
                explanation=data.explanation,
                recognition_ids=data.recognition_ids,
                actor=who,
            )
            return revocation_out(r)

        return await create_once(
            request,
            idempotency_key,
            RevocationOut,
            run,
            lambda out: f"/v1/t/{slug}/revocations/{out.id}",
        )

    @get(
        "/{revocation_id:uuid}",
        opt=roles(*READERS),
        summary="One revocation decision",
        responses=problem_responses(401, 403, 404),
    )
    async def read(
        self, request: Request[Any, Any, Any], slug: FromPath[str], revocation_id: FromPath[UUID]
    ) -> RevocationOut:
        cmd = commands(request)
        r = await in_thread(lambda: cmd.get(RevocationDecision, revocation_id, "revocation"))
        return revocation_out(r)


def revocation_out(r: RevocationDecision) -> RevocationOut:
    return RevocationOut(
        id=r.id,
        number=r.number,
        signed_on=r.signed_on,
        issuer=r.issuer,
        signer=r.signer,
        reason=r.reason,
        explanation=r.explanation,
        recognition_ids=list(r.recognition_ids),
        warnings=list(r.warnings),
    )


class RecognitionController(RecognitionTrail, Controller):
    path = "/v1/t/{slug:str}/recognitions"
    tags = ["decisions"]  # noqa: RUF012

    @get(
        "/{recognition_id:uuid}",
        opt=roles(*READERS),
        summary="One recognition (a subject holding a title for a year)",
        responses=problem_responses(401, 403, 404),
    )
    async def read(
        self, request: Request[Any, Any, Any], slug: FromPath[str], recognition_id: FromPath[UUID]
    ) -> RecognitionOut:
        cmd = commands(request)
        rec = await in_thread(lambda: cmd.get(Recognition, recognition_id, "recognition"))
        return recognition_out(rec)

    @get(
        "/",
        opt=roles(*READERS),
        summary="Look up the recognition of a subject for a title and year",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def lookup(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        subject_id: FromQuery[UUID],
        title: FromQuery[Title],
        year: YearQuery,
    ) -> RecognitionOut:
        cmd = commands(request)
        rid = recognition_id(subject_id, title, year)
        rec = await in_thread(lambda: cmd.get(Recognition, rid, "recognition"))
        return recognition_out(rec)
