"""Awards (khen thưởng): proposals, decisions, awards, annulments, suspensions, merit records.

One achievement is rewarded once: an ``Award``'s id is derived from (subject, movement,
period, occasion), so a second award for the same achievement fails atomically in the store,
whatever its form.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.admin_units import era_on
from kh_saas.domain.award_vocabulary import (
    SIGNER_OF,
    AwardForm,
    AwardSigner,
    Occasion,
    Rating,
    RecipientKind,
    SuspensionReason,
)
from kh_saas.domain.document_numbers import NumberWarning
from kh_saas.domain.errors import Conflict, IllegalTransition, RuleViolation
from kh_saas.domain.ids import stable_id
from kh_saas.domain.nominations import Evidence
from kh_saas.domain.recognitions import Signer
from kh_saas.domain.vocabulary import RevocationReason

#: The movement this product serves; awards name it so "the same achievement" is well defined.
DEFAULT_MOVEMENT = "xhht-2023-2030"
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Period = Annotated[str, msgspec.Meta(pattern=r"^(20[0-9]{2})(-20[0-9]{2})?$", examples=["2024"])]


class AwardIssuer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who signs (or proposes): the kind of authority and its name on that date."""

    signer: AwardSigner
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    unit_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2,5}$")] | None = None


class Achievement(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Thành tích: what is rewarded — a movement, a period and an occasion."""

    movement: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9-]{1,40}$")] = DEFAULT_MOVEMENT
    period: Period
    occasion: Occasion


class AwardLine(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One recipient of a proposal or decision, with the text printed on the certificate."""

    subject_id: UUID
    recipient_kind: RecipientKind
    citation: Text  # nội dung thành tích ghi trên bằng / giấy khen


def award_id(subject_id: UUID, achievement: Achievement) -> UUID:
    return stable_id(
        "award", str(subject_id), achievement.movement, achievement.period, achievement.occasion
    )


def period_years(period: str) -> range:
    """``"2024"`` → 2024; ``"2023-2025"`` → 2023–2025 (a backwards range is refused)."""
    first, _, last = period.partition("-")
    years = range(int(first), int(last or first) + 1)
    if not years:
        raise RuleViolation(
            "one_award_per_achievement",
            f"period {period!r} ends before it starts",
            field="achievement.period",
        )
    return years


# --- proposals ------------------------------------------------------------------------------


class ProposalStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # trình hội đồng
    RETURNED = "returned"
    APPROVED = "approved"  # hội đồng thông qua
    REJECTED = "rejected"
    FORWARDED = "forwarded"  # trình cấp trên


P = ProposalStatus
PROPOSAL_ALLOWED: dict[str, frozenset[ProposalStatus]] = {
    "submit": frozenset({P.DRAFT, P.RETURNED}),
    "review": frozenset({P.SUBMITTED}),
    "approve": frozenset({P.SUBMITTED}),
    "return": frozenset({P.SUBMITTED}),
    "reject": frozenset({P.SUBMITTED}),
    "forward": frozenset({P.APPROVED}),
}


#: How high each authority stands on the proposal chain (commune → (district) → province →
#: ministry → Prime Minister). Agency heads and the association propose to the commune or the
#: province, so they stand below both.
AUTHORITY_RANK: dict[AwardSigner, int] = {
    AwardSigner.ASSOCIATION: 0,
    AwardSigner.AGENCY_HEAD: 0,
    AwardSigner.COMMUNE_CHAIRMAN: 1,
    AwardSigner.DISTRICT_CHAIRMAN: 2,
    AwardSigner.PROVINCE_CHAIRMAN: 3,
    AwardSigner.MINISTER: 4,
    AwardSigner.PRIME_MINISTER: 5,
}


def check_forward(current: AwardIssuer, to: AwardIssuer, form: AwardForm) -> None:
    """Trình cấp trên: a proposal moves up to a higher office, for a form that office or one
    above it decides — never down or sideways (Law 06/2022/QH15 Art. 83)."""
    here, there = AUTHORITY_RANK[current.signer], AUTHORITY_RANK[to.signer]
    if there <= here:
        raise RuleViolation(
            "forward_upward",
            f"a proposal of the {current.signer} is forwarded to a higher authority, "
            f"not to the {to.signer}",
            field="proposer.signer",
        )
    if AUTHORITY_RANK[SIGNER_OF[form]] < there:
        raise RuleViolation(
            "forward_upward",
            f"{form} is decided by the {SIGNER_OF[form]}, below the {to.signer} "
            "it would be forwarded to",
            field="form",
        )


def proposal_actions(status: ProposalStatus) -> list[str]:
    return sorted(a for a, states in PROPOSAL_ALLOWED.items() if status in states)


class CouncilReview(msgspec.Struct, frozen=True, kw_only=True):
    """Hội đồng thi đua – khen thưởng: its meeting and vote."""

    met_on: date
    votes_for: Annotated[int, msgspec.Meta(ge=0)]
    votes_total: Annotated[int, msgspec.Meta(ge=1)]
    minutes: Evidence


class AwardProposal(Aggregate):
    """Tờ trình đề nghị khen thưởng, from a proposing office to the authority for ``form``."""

    @event("Filed")
    def __init__(
        self,
        *,
        number: str,
        proposer: AwardIssuer,
        form: AwardForm,
        achievement: Achievement,
        lines: tuple[AwardLine, ...],
        report: Evidence,
        parent_id: UUID | None,
        actor: str,
    ) -> None:
        if not lines:
            raise RuleViolation("one_award_per_achievement", "a proposal needs lines", "lines")
        self.number = number
        self.proposer = proposer
        self.form = form
        self.achievement = achievement
        self.lines = lines
        self.report = report
        self.parent_id = parent_id
        self.status = ProposalStatus.DRAFT
        self.review: CouncilReview | None = None
        self.reasons: tuple[str, ...] = ()
        self.forwarded_to: UUID | None = None

    def _guard(self, action: str) -> None:
        if self.status not in PROPOSAL_ALLOWED[action]:
            raise IllegalTransition(
                "proposal", self.status.value, action, proposal_actions(self.status)
            )

    def submit(self, actor: str) -> None:
        self._guard("submit")
        self._submitted(actor=actor)

    @event("Submitted")
    def _submitted(self, *, actor: str) -> None:
        self.status = ProposalStatus.SUBMITTED

    def record_review(self, review: CouncilReview, actor: str) -> None:
        self._guard("review")
        if review.votes_for > review.votes_total:
            raise RuleViolation("council_review", "more votes for than votes cast", "votes_for")
        self._reviewed(review=review, actor=actor)

    @event("Reviewed")
    def _reviewed(self, *, review: CouncilReview, actor: str) -> None:
        self.review = review

    def approve(self, actor: str) -> None:
        """The council must have met and voted in favour (more than half)."""
        self._guard("approve")
        if self.review is None:
            raise RuleViolation("council_review", "record the council's review first")
        if self.review.votes_for * 2 <= self.review.votes_total:
            raise RuleViolation(
                "council_review",
                f"{self.review.votes_for} of {self.review.votes_total} votes is not a majority",
            )
        self._approved(actor=actor)

    @event("Approved")
    def _approved(self, *, actor: str) -> None:
        self.status = ProposalStatus.APPROVED

    def return_for_supplement(self, reasons: tuple[str, ...], actor: str) -> None:
        self._guard("return")
        self._returned(reasons=_reasons(reasons), actor=actor)

    @event("Returned")
    def _returned(self, *, reasons: tuple[str, ...], actor: str) -> None:
        self.status = ProposalStatus.RETURNED
        self.reasons = reasons

    def reject(self, reasons: tuple[str, ...], actor: str) -> None:
        self._guard("reject")
        self._rejected(reasons=_reasons(reasons), actor=actor)

    @event("Rejected")
    def _rejected(self, *, reasons: tuple[str, ...], actor: str) -> None:
        self.status = ProposalStatus.REJECTED
        self.reasons = reasons

    def forward(
        self, *, number: str, proposer: AwardIssuer, form: AwardForm, actor: str
    ) -> AwardProposal:
        """Trình cấp trên: a new proposal at the next authority, linked to this one."""
        self._guard("forward")
        check_forward(self.proposer, proposer, form)
        upper = AwardProposal(
            number=number,
            proposer=proposer,
            form=form,
            achievement=self.achievement,
            lines=self.lines,
            report=self.report,
            parent_id=self.id,
            actor=actor,
        )
        self._forwarded(to=upper.id, actor=actor)
        return upper

    @event("Forwarded")
    def _forwarded(self, *, to: UUID, actor: str) -> None:
        self.status = ProposalStatus.FORWARDED
        self.forwarded_to = to


def _reasons(reasons: tuple[str, ...]) -> tuple[str, ...]:
    if not reasons or not all(r.strip() for r in reasons):
        raise RuleViolation("council_review", "give at least one reason", field="reasons")
    return reasons


# --- decisions and awards -------------------------------------------------------------------


class AwardRecipient(msgspec.Struct, frozen=True, kw_only=True):
    subject_id: UUID
    recipient_kind: RecipientKind
    citation: str
    bonus_vnd: int
    award_id: UUID


class AwardDecision(Aggregate):
    """Quyết định khen thưởng."""

    @staticmethod
    def create_id(issuer: AwardIssuer, number: str, signed_on: date) -> UUID:
        return stable_id(
            "award-decision",
            issuer.signer,
            issuer.unit_code or "-",
            era_on(signed_on),
            str(signed_on.year),
            number,
        )

    @event("Signed")
    def __init__(
        self,
        *,
        number: str,
        signed_on: date,
        issuer: AwardIssuer,
        signer: Signer,
        form: AwardForm,
        achievement: Achievement,
        recipients: tuple[AwardRecipient, ...],
        base_salary_vnd: int,
        total_bonus_vnd: int,
        proposal_id: UUID | None,
        actor: str,
        warnings: tuple[NumberWarning, ...] = (),
    ) -> None:
        self.number = number
        self.signed_on = signed_on
        self.issuer = issuer
        self.signer = signer
        self.form = form
        self.achievement = achievement
        self.recipients = recipients
        self.base_salary_vnd = base_salary_vnd
        self.total_bonus_vnd = total_bonus_vnd
        self.proposal_id = proposal_id
        self.warnings = warnings
        self.corrections: tuple[str, ...] = ()

    @event("Corrected")
    def correct(
        self, *, number: str | None, signer: Signer | None, reason: str, actor: str
    ) -> None:
        if number is not None:
            self.number = number
        if signer is not None:
            self.signer = signer
        self.corrections = (*self.corrections, reason)


class Award(Aggregate):
    """One subject rewarded for one achievement."""

    @staticmethod
    def create_id(subject_id: UUID, achievement: Achievement) -> UUID:
        return award_id(subject_id, achievement)

    @event("Granted")
    def __init__(
        self,
        *,
        subject_id: UUID,
        recipient_kind: RecipientKind,
        form: AwardForm,
        achievement: Achievement,
        citation: str,
        bonus_vnd: int,
        decision_id: UUID,
        decision_number: str,
        signed_on: date,
        actor: str,
    ) -> None:
        self.subject_id = subject_id
        self.recipient_kind = recipient_kind
        self.form = form
        self.achievement = achievement
        self.citation = citation
        self.bonus_vnd = bonus_vnd
        self.decision_id = decision_id
        self.decision_number = decision_number
        self.signed_on = signed_on
        self.annulled_by: UUID | None = None
        self.annul_reason: RevocationReason | None = None
        self.certificate_recovered = False
        self.bonus_recovered_vnd = 0

    def annul(
        self,
        *,
        annulment_id: UUID,
        number: str,
        signed_on: date,
        reason: RevocationReason,
        actor: str,
    ) -> None:
        if self.annulled_by is not None:
            raise Conflict("already_annulled", f"already annulled by {self.annulled_by}")
        self._annulled(
            annulment_id=annulment_id,
            number=number,
            signed_on=signed_on,
            reason=reason,
            actor=actor,
        )

    @event("Annulled")
    def _annulled(
        self,
        *,
        annulment_id: UUID,
        number: str,
        signed_on: date,
        reason: RevocationReason,
        actor: str,
    ) -> None:
        self.annulled_by = annulment_id
        self.annul_reason = reason

    def record_recovery(self, *, certificate: bool, bonus_vnd: int, on: date, actor: str) -> None:
        """Thu hồi hiện vật và tiền thưởng, after an annulment."""
        if self.annulled_by is None:
            raise RuleViolation("award_annulment", "only an annulled award is recovered")
        if bonus_vnd < 0 or self.bonus_recovered_vnd + bonus_vnd > self.bonus_vnd:
            raise RuleViolation(
                "award_annulment",
                f"recovered bonus would exceed the {self.bonus_vnd} VND paid",
                field="bonus_vnd",
            )
        self._recovered(certificate=certificate, bonus_vnd=bonus_vnd, on=on, actor=actor)

    @event("Recovered")
    def _recovered(self, *, certificate: bool, bonus_vnd: int, on: date, actor: str) -> None:
        self.certificate_recovered = self.certificate_recovered or certificate
        self.bonus_recovered_vnd += bonus_vnd


class AwardAnnulment(Aggregate):
    """Quyết định hủy bỏ quyết định khen thưởng (Law 06/2022/QH15 Art. 93.2)."""

    @staticmethod
    def create_id(issuer: AwardIssuer, number: str, signed_on: date) -> UUID:
        return stable_id(
            "award-annulment",
            issuer.signer,
            issuer.unit_code or "-",
            era_on(signed_on),
            str(signed_on.year),
            number,
        )

    @event("Signed")
    def __init__(
        self,
        *,
        number: str,
        signed_on: date,
        issuer: AwardIssuer,
        signer: Signer,
        reason: RevocationReason,
        explanation: str,
        award_ids: tuple[UUID, ...],
        actor: str,
        warnings: tuple[NumberWarning, ...] = (),
    ) -> None:
        self.number = number
        self.signed_on = signed_on
        self.issuer = issuer
        self.signer = signer
        self.reason = reason
        self.explanation = explanation
        self.award_ids = award_ids
        self.warnings = warnings


# --- suspensions and merit records ---------------------------------------------------------


class Suspension(Aggregate):
    """Tạm dừng xét khen thưởng while a subject is under discipline, inquiry or complaint."""

    @staticmethod
    def create_id(subject_id: UUID) -> UUID:
        return stable_id("award-suspension", str(subject_id))

    @event("Opened")
    def __init__(self, *, subject_id: UUID, actor: str) -> None:
        self.subject_id = subject_id
        self.active: SuspensionReason | None = None
        self.since: date | None = None
        self.periods: tuple[tuple[str, date, date | None], ...] = ()

    def suspend(self, reason: SuspensionReason, since: date, actor: str) -> None:
        if self.active is not None:
            raise Conflict(
                "already_suspended", f"already suspended ({self.active}) since {self.since}"
            )
        self._suspended(reason=reason, since=since, actor=actor)

    @event("Suspended")
    def _suspended(self, *, reason: SuspensionReason, since: date, actor: str) -> None:
        self.active = reason
        self.since = since

    def lift(self, on: date, actor: str) -> None:
        if self.active is None or self.since is None:
            raise Conflict("not_suspended", "the subject is not suspended")
        if on < self.since:
            raise RuleViolation("suspended_subject", "lifted before it began", field="on")
        self._lifted(on=on, actor=actor)

    @event("Lifted")
    def _lifted(self, *, on: date, actor: str) -> None:
        assert self.active is not None and self.since is not None
        self.periods = (*self.periods, (self.active.value, self.since, on))
        self.active = None
        self.since = None


class MeritYear(Aggregate):
    """Một năm công tác of an individual: the yearly rating and emulation titles conferred."""

    @staticmethod
    def create_id(subject_id: UUID, year: int) -> UUID:
        return stable_id("merit-year", str(subject_id), str(year))

    @event("Recorded")
    def __init__(
        self,
        *,
        subject_id: UUID,
        year: int,
        rating: Rating | None,
        emulation_titles: tuple[str, ...],
        actor: str,
    ) -> None:
        self.subject_id = subject_id
        self.year = year
        self.rating = rating
        self.emulation_titles = emulation_titles

    @event("Amended")
    def amend(
        self, *, rating: Rating | None, emulation_titles: tuple[str, ...], actor: str
    ) -> None:
        self.rating = rating
        self.emulation_titles = emulation_titles
