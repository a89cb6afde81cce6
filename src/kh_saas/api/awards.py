"""Awards (khen thưởng): proposals, decisions, annulments, recovery, suspensions, merits,
eligibility explained rule by rule, and the province's Giấy khen criteria."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.listings import AwardDecisionListing, AwardListing
from kh_saas.api.problems import ProblemError, problem_responses
from kh_saas.api.tenant_common import (
    BULK_BODY_BYTES,
    DocumentNumber,
    IdempotencyKey,
    YearPath,
    actor,
    create_once,
    in_thread,
    service_of,
    today,
)
from kh_saas.api.trail import AwardTrail
from kh_saas.domain.award_rules import GiayKhenCriterion, HeldTitle, RuleResult, eligible
from kh_saas.domain.award_vocabulary import AwardForm, Occasion, Rating, SuspensionReason
from kh_saas.domain.awards import (
    DEFAULT_MOVEMENT,
    Achievement,
    Award,
    AwardAnnulment,
    AwardDecision,
    AwardIssuer,
    AwardLine,
    AwardProposal,
    AwardRecipient,
    CouncilReview,
    Period,
    ProposalStatus,
    proposal_actions,
)
from kh_saas.domain.document_numbers import NumberWarning
from kh_saas.domain.nominations import Evidence
from kh_saas.domain.recognitions import Signer
from kh_saas.domain.vocabulary import RevocationReason, Title
from kh_saas.tenants.award_commands import AwardCommands, DecisionInput
from kh_saas.tenants.roles import Role

OFFICERS = (Role.TENANT_ADMIN, Role.OFFICER)
COUNCIL = (Role.TENANT_ADMIN, Role.REVIEWER)
SIGNERS = (Role.SIGNER,)
READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
Lines = Annotated[list[AwardLine], msgspec.Meta(min_length=1, max_length=10_000)]


def award_commands(request: Request[Any, Any, Any]) -> AwardCommands:
    return AwardCommands(service_of(request).app_for(current_tenant(request)))


class ProposalIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Tờ trình đề nghị khen thưởng with its lines and the achievement report."""

    number: DocumentNumber
    proposer: AwardIssuer
    form: AwardForm
    achievement: Achievement
    lines: Lines
    report: Evidence


class ProposalOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    proposer: AwardIssuer
    form: AwardForm
    achievement: Achievement
    lines: list[AwardLine]
    report: Evidence
    status: ProposalStatus
    allowed_actions: list[str]
    review: CouncilReview | None
    reasons: list[str]
    parent_id: UUID | None
    forwarded_to: UUID | None


class ReasonsIn(msgspec.Struct, forbid_unknown_fields=True):
    reasons: Annotated[list[str], msgspec.Meta(min_length=1, max_length=50)]


class ForwardIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Trình cấp trên: the new proposal's number, proposing office and form."""

    number: DocumentNumber
    proposer: AwardIssuer
    form: AwardForm


class AwardDecisionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    number: DocumentNumber
    signed_on: date
    issuer: AwardIssuer
    signer: Signer
    form: AwardForm
    achievement: Achievement
    recipients: Lines
    proposal_id: UUID | None = None


class AwardDecisionOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    signed_on: date
    issuer: AwardIssuer
    signer: Signer
    form: AwardForm
    achievement: Achievement
    recipient_count: int
    recipients: list[AwardRecipient] | None = None
    base_salary_vnd: int
    total_bonus_vnd: int
    proposal_id: UUID | None
    corrections: list[str]
    warnings: list[NumberWarning]


class CorrectionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    number: DocumentNumber | None = None
    signer: Signer | None = None


class AnnulmentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    number: DocumentNumber
    signed_on: date
    issuer: AwardIssuer
    signer: Signer
    reason: RevocationReason
    explanation: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    award_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=10_000)]


class AnnulmentOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    signed_on: date
    issuer: AwardIssuer
    signer: Signer
    reason: RevocationReason
    explanation: str
    award_ids: list[UUID]
    warnings: list[NumberWarning]


class RecoveryIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Thu hồi: the certificate returned and/or bonus paid back (VND)."""

    on: date
    certificate: bool = False
    bonus_vnd: Annotated[int, msgspec.Meta(ge=0)] = 0


class AwardOut(msgspec.Struct, kw_only=True):
    id: UUID
    subject_id: UUID
    form: AwardForm
    achievement: Achievement
    citation: str
    bonus_vnd: int
    decision_id: UUID
    decision_number: str
    signed_on: date
    annulled_by: UUID | None
    annul_reason: RevocationReason | None
    certificate_recovered: bool
    bonus_recovered_vnd: int


class SuspensionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: SuspensionReason
    since: date


class LiftIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    on: date


class SuspensionOut(msgspec.Struct, kw_only=True):
    subject_id: UUID
    active: SuspensionReason | None
    since: date | None
    periods: list[tuple[str, date, date | None]]


class MeritIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A year's rating and emulation titles of an individual (e.g. chien_si_thi_dua_co_so)."""

    rating: Rating | None = None
    emulation_titles: list[Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{3,60}$")]] = []


class MeritOut(msgspec.Struct, kw_only=True):
    subject_id: UUID
    year: int
    rating: Rating | None
    emulation_titles: list[str]


class TitleStreak(msgspec.Struct, kw_only=True):
    title: Title
    years: list[int]
    streak_to_period_end: int


class Eligibility(msgspec.Struct, kw_only=True):
    subject_id: UUID
    form: AwardForm
    achievement: Achievement
    eligible: bool
    rules: list[RuleResult]
    titles: list[TitleStreak]
    awards: list[dict[str, Any]]
    ratings: dict[int, Rating]


class CriteriaIO(msgspec.Struct, forbid_unknown_fields=True):
    criteria: Annotated[list[GiayKhenCriterion], msgspec.Meta(max_length=200)]


def proposal_out(p: AwardProposal) -> ProposalOut:
    return ProposalOut(
        id=p.id,
        number=p.number,
        proposer=p.proposer,
        form=p.form,
        achievement=p.achievement,
        lines=list(p.lines),
        report=p.report,
        status=p.status,
        allowed_actions=proposal_actions(p.status),
        review=p.review,
        reasons=list(p.reasons),
        parent_id=p.parent_id,
        forwarded_to=p.forwarded_to,
    )


def decision_out(d: AwardDecision, full: bool) -> AwardDecisionOut:
    return AwardDecisionOut(
        id=d.id,
        number=d.number,
        signed_on=d.signed_on,
        issuer=d.issuer,
        signer=d.signer,
        form=d.form,
        achievement=d.achievement,
        recipient_count=len(d.recipients),
        recipients=list(d.recipients) if full else None,
        base_salary_vnd=d.base_salary_vnd,
        total_bonus_vnd=d.total_bonus_vnd,
        proposal_id=d.proposal_id,
        corrections=list(d.corrections),
        warnings=list(d.warnings),
    )


def annulment_out(a: AwardAnnulment) -> AnnulmentOut:
    return AnnulmentOut(
        id=a.id,
        number=a.number,
        signed_on=a.signed_on,
        issuer=a.issuer,
        signer=a.signer,
        reason=a.reason,
        explanation=a.explanation,
        award_ids=list(a.award_ids),
        warnings=list(a.warnings),
    )


def award_out(a: Award) -> AwardOut:
    return AwardOut(
        id=a.id,
        subject_id=a.subject_id,
        form=a.form,
        achievement=a.achievement,
        citation=a.citation,
        bonus_vnd=a.bonus_vnd,
        decision_id=a.decision_id,
        decision_number=a.decision_number,
        signed_on=a.signed_on,
        annulled_by=a.annulled_by,
        annul_reason=a.annul_reason,
        certificate_recovered=a.certificate_recovered,
        bonus_recovered_vnd=a.bonus_recovered_vnd,
    )


def _streaks(titles: tuple[HeldTitle, ...], end: int) -> list[TitleStreak]:
    out = []
    for title in sorted({t.title for t in titles}):
        years = sorted(t.year for t in titles if t.title is title and not t.revoked)
        streak = 0
        while end - streak in years:
            streak += 1
        out.append(TitleStreak(title=title, years=years, streak_to_period_end=streak))
    return out


class AwardProposalController(Controller):
    path = "/v1/t/{slug:str}/award-proposals"
    tags = ["awards"]  # noqa: RUF012

    @post(
        "/",
        opt=roles(*OFFICERS),
        status_code=201,
        summary="File an award proposal (tờ trình đề nghị khen thưởng)",
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
        request_max_body_size=BULK_BODY_BYTES,
    )
    async def file(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[ProposalIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[ProposalOut]:
        cmd, who = award_commands(request), actor(request)
        return await create_once(
            request,
            idempotency_key,
            ProposalOut,
            lambda: proposal_out(
                cmd.file_proposal(
                    number=data.number,
                    proposer=data.proposer,
                    form=data.form,
                    achievement=data.achievement,
                    lines=data.lines,
                    report=data.report,
                    actor=who,
                )
            ),
            lambda out: f"/v1/t/{slug}/award-proposals/{out.id}",
        )

    @get(
        "/{proposal_id:uuid}",
        opt=roles(*READERS),
        summary="One proposal",
        responses=problem_responses(401, 403, 404),
    )
    async def read(
        self, request: Request[Any, Any, Any], slug: FromPath[str], proposal_id: FromPath[UUID]
    ) -> ProposalOut:
        cmd = award_commands(request)
        p = await in_thread(lambda: cmd.get(AwardProposal, proposal_id, "proposal"))
        return proposal_out(p)

    async def _act(
        self, request: Request[Any, Any, Any], proposal_id: UUID, action: str, **kw: Any
    ) -> ProposalOut:
        cmd, who = award_commands(request), actor(request)
        return proposal_out(
            await in_thread(lambda: cmd.act_on_proposal(proposal_id, action, actor=who, **kw))
        )

    @post(
        "/{proposal_id:uuid}/submit",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Submit to the emulation and commendation council",
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def submit(
        self, request: Request[Any, Any, Any], slug: FromPath[str], proposal_id: FromPath[UUID]
    ) -> ProposalOut:
        return await self._act(request, proposal_id, "submit")

    @post(
        "/{proposal_id:uuid}/review",
        opt=roles(*COUNCIL),
        status_code=200,
        summary="Record the council's meeting, vote and minutes",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def review(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        proposal_id: FromPath[UUID],
        data: JSONBody[CouncilReview],
    ) -> ProposalOut:
        return await self._act(request, proposal_id, "review", review=data)

    @post(
        "/{proposal_id:uuid}/approve",
        opt=roles(*COUNCIL),
        status_code=200,
        summary="Approve (a majority of the council voted for it)",
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def approve(
        self, request: Request[Any, Any, Any], slug: FromPath[str], proposal_id: FromPath[UUID]
    ) -> ProposalOut:
        return await self._act(request, proposal_id, "approve")

    @post(
        "/{proposal_id:uuid}/return",
        opt=roles(*COUNCIL),
        status_code=200,
        summary="Return for supplement",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def return_(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        proposal_id: FromPath[UUID],
        data: JSONBody[ReasonsIn],
    ) -> ProposalOut:
        return await self._act(request, proposal_id, "return", reasons=tuple(data.reasons))

    @post(
        "/{proposal_id:uuid}/reject",
        opt=roles(*COUNCIL),
        status_code=200,
        summary="Reject",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def reject(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        proposal_id: FromPath[UUID],
        data: JSONBody[ReasonsIn],
    ) -> ProposalOut:
        return await self._act(request, proposal_id, "reject", reasons=tuple(data.reasons))

    @post(
        "/{proposal_id:uuid}/forward",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Forward an approved proposal to the higher authority (keeps the chain)",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def forward(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        proposal_id: FromPath[UUID],
        data: JSONBody[ForwardIn],
    ) -> ProposalOut:
        return await self._act(
            request, proposal_id, "forward", forward_to=(data.number, data.proposer, data.form)
        )


class AwardDecisionController(AwardDecisionListing, Controller):
    path = "/v1/t/{slug:str}/award-decisions"
    tags = ["awards"]  # noqa: RUF012

    @post(
        "/",
        opt=roles(*SIGNERS),
        status_code=201,
        summary="Record a signed award decision (1–10,000 recipients, all or nothing)",
        description="Bonuses are computed from the dated tables; every failing recipient is "
        "named with its rule.",
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
        request_max_body_size=BULK_BODY_BYTES,
    )
    async def record(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[AwardDecisionIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[AwardDecisionOut]:
        cmd, who = award_commands(request), actor(request)
        d = DecisionInput(
            number=data.number,
            signed_on=data.signed_on,
            issuer=data.issuer,
            signer=data.signer,
            form=data.form,
            achievement=data.achievement,
            lines=data.recipients,
            proposal_id=data.proposal_id,
        )
        return await create_once(
            request,
            idempotency_key,
            AwardDecisionOut,
            lambda: decision_out(cmd.record_decision(d, actor=who, today=today()), full=True),
            lambda out: f"/v1/t/{slug}/award-decisions/{out.id}",
        )

    @get(
        "/{decision_id:uuid}",
        opt=roles(*READERS),
        summary="One award decision",
        responses=problem_responses(401, 403, 404),
    )
    async def read(
        self, request: Request[Any, Any, Any], slug: FromPath[str], decision_id: FromPath[UUID]
    ) -> AwardDecisionOut:
        cmd = award_commands(request)
        d = await in_thread(lambda: cmd.get(AwardDecision, decision_id, "award decision"))
        return decision_out(d, full=True)

    @post(
        "/{decision_id:uuid}/corrections",
        opt=roles(*SIGNERS),
        status_code=200,
        summary="Correct a misprinted number or signer (đính chính)",
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def correct(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        decision_id: FromPath[UUID],
        data: JSONBody[CorrectionIn],
    ) -> AwardDecisionOut:
        cmd, who = award_commands(request), actor(request)
        d = await in_thread(
            lambda: cmd.correct_decision(
                decision_id, number=data.number, signer=data.signer, reason=data.reason, actor=who
            )
        )
        return decision_out(d, full=False)


class AwardController(AwardListing, AwardTrail, Controller):
    path = "/v1/t/{slug:str}"
    tags = ["awards"]  # noqa: RUF012

    @get(
        "/awards/{award_id:uuid}",
        opt=roles(*READERS),
        summary="One award",
        responses=problem_responses(401, 403, 404),
    )
    async def read(
        self, request: Request[Any, Any, Any], slug: FromPath[str], award_id: FromPath[UUID]
    ) -> AwardOut:
        cmd = award_commands(request)
        a = await in_thread(lambda: cmd.get(Award, award_id, "award"))
        return award_out(a)

    @post(
        "/awards/{award_id:uuid}/recoveries",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Record recovery of an annulled award's certificate and bonus",
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def recover(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        award_id: FromPath[UUID],
        data: JSONBody[RecoveryIn],
    ) -> AwardOut:
        cmd, who = award_commands(request), actor(request)
        return award_out(
            await in_thread(
                lambda: cmd.record_recovery(
                    award_id,
                    certificate=data.certificate,
                    bonus_vnd=data.bonus_vnd,
                    on=data.on,
                    actor=who,
                )
            )
        )

    @post(
        "/award-annulments",
        opt=roles(*SIGNERS),
        status_code=201,
        summary="Annul awards (Law Art. 93.2 reasons a–d); nothing is deleted",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def annul(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[AnnulmentIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[AnnulmentOut]:
        cmd, who = award_commands(request), actor(request)
        return await create_once(
            request,
            idempotency_key,
            AnnulmentOut,
            lambda: annulment_out(
                cmd.annul(
                    number=data.number,
                    signed_on=data.signed_on,
                    issuer=data.issuer,
                    signer=data.signer,
                    reason=data.reason,
                    explanation=data.explanation,
                    award_ids=data.award_ids,
                    actor=who,
                )
            ),
            lambda out: f"/v1/t/{slug}/award-annulments/{out.id}",
        )

    @get(
        "/award-annulments/{annulment_id:uuid}",
        opt=roles(*READERS),
        summary="One annulment",
        responses=problem_responses(401, 403, 404),
    )
    async def read_annulment(
        self, request: Request[Any, Any, Any], slug: FromPath[str], annulment_id: FromPath[UUID]
    ) -> AnnulmentOut:
        cmd = award_commands(request)
        a = await in_thread(lambda: cmd.get(AwardAnnulment, annulment_id, "annulment"))
        return annulment_out(a)

    @post(
        "/subjects/{subject_id:uuid}/suspensions",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Suspend award proposals for a subject (discipline, inquiry, complaint)",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def suspend(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        subject_id: FromPath[UUID],
        data: JSONBody[SuspensionIn],
    ) -> SuspensionOut:
        cmd, who = award_commands(request), actor(request)
        s = await in_thread(lambda: cmd.suspend(subject_id, data.reason, data.since, who))
        return SuspensionOut(
            subject_id=s.subject_id, active=s.active, since=s.since, periods=list(s.periods)
        )

    @post(
        "/subjects/{subject_id:uuid}/suspensions/lift",
        opt=roles(*OFFICERS),
        status_code=200,
        summary="Lift the suspension",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def lift(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        subject_id: FromPath[UUID],
        data: JSONBody[LiftIn],
    ) -> SuspensionOut:
        cmd, who = award_commands(request), actor(request)
        s = await in_thread(lambda: cmd.lift(subject_id, data.on, who))
        return SuspensionOut(
            subject_id=s.subject_id, active=s.active, since=s.since, periods=list(s.periods)
        )

    @put(
        "/subjects/{subject_id:uuid}/merits/{year:int}",
        opt=roles(*OFFICERS),
        summary="Record an individual's yearly rating and emulation titles",
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def merit(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        subject_id: FromPath[UUID],
        year: YearPath,
        data: JSONBody[MeritIn],
    ) -> MeritOut:
        cmd, who = award_commands(request), actor(request)
        m = await in_thread(
            lambda: cmd.record_merit(
                subject_id, year, data.rating, tuple(data.emulation_titles), who
            )
        )
        return MeritOut(
            subject_id=m.subject_id,
            year=m.year,
            rating=m.rating,
            emulation_titles=list(m.emulation_titles),
        )

    @get(
        "/subjects/{subject_id:uuid}/eligibility",
        opt=roles(*READERS),
        summary="Explain, rule by rule, whether a subject may receive an award form",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def eligibility(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        subject_id: FromPath[UUID],
        form: FromQuery[AwardForm],
        *,
        period: FromQuery[Period | None] = None,
        occasion: FromQuery[Occasion] = Occasion.ANNUAL,
        movement: FromQuery[str] = DEFAULT_MOVEMENT,
        on: FromQuery[date | None] = None,
    ) -> Eligibility:
        when = on or today()
        try:  # query strings are not validated against the struct's constraints by Litestar
            achievement = msgspec.convert(
                {
                    "movement": movement,
                    "period": period or str(when.year - 1),
                    "occasion": occasion,
                },
                Achievement,
            )
        except msgspec.ValidationError as exc:
            field = str(exc).rsplit("$.", 1)[-1].rstrip("`") if "$." in str(exc) else "period"
            raise ProblemError(422, "validation_failed", str(exc), field=field) from exc
        cmd = award_commands(request)
        history, rules = await in_thread(
            lambda: cmd.eligibility(subject_id, form, achievement, when)
        )
        end = int(achievement.period[-4:])
        return Eligibility(
            subject_id=subject_id,
            form=form,
            achievement=achievement,
            eligible=eligible(rules),
            rules=rules,
            titles=_streaks(history.titles, end),
            awards=[
                {
                    "form": a.form,
                    "period": a.achievement.period,
                    "occasion": a.achievement.occasion,
                    "signed_on": a.signed_on,
                    "annulled": a.annulled,
                }
                for a in history.awards
            ],
            ratings=history.ratings,
        )

    @get(
        "/award-criteria",
        opt=roles(*READERS),
        summary="The province's Giấy khen criteria (defaults until set)",
        responses=problem_responses(401, 403, 404),
    )
    async def criteria(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> CriteriaIO:
        cmd = award_commands(request)
        return CriteriaIO(criteria=list(await in_thread(cmd.criteria)))

    @put(
        "/award-criteria",
        opt=roles(Role.TENANT_ADMIN),
        summary="Set the province's Giấy khen criteria (Law Art. 75.2)",
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def set_criteria(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[CriteriaIO]
    ) -> CriteriaIO:
        cmd, who = award_commands(request), actor(request)
        await in_thread(lambda: cmd.set_criteria(tuple(data.criteria), who))
        return data
