"""Nominations (hồ sơ đề nghị công nhận): from draft to an approved or rejected dossier.

draft ──submit──► submitted ──approve──► approved
  ▲                 │  │ └──reject──► rejected
  │                 │  └──return──► returned ──resubmit──► submitted
(scores, evidence)  └──review (scores per indicator)
draft / submitted / returned ──withdraw──► withdrawn
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.criteria import CriteriaSet, IndicatorScore
from kh_saas.domain.errors import IllegalTransition, RuleViolation
from kh_saas.domain.vocabulary import TITLE_SUBJECT, Scheme, SubjectKind, Tier, Title, scheme_for


class NominationStatus(StrEnum):
    DRAFT = "draft"  # đang lập
    SUBMITTED = "submitted"  # đã nộp
    RETURNED = "returned"  # trả lại để bổ sung
    APPROVED = "approved"  # đề nghị công nhận
    REJECTED = "rejected"  # không đề nghị
    WITHDRAWN = "withdrawn"  # rút hồ sơ


S = NominationStatus
#: action → states it may be taken in. The single source for guards and 409 messages.
ALLOWED: dict[str, frozenset[NominationStatus]] = {
    "self_assess": frozenset({S.DRAFT, S.RETURNED}),
    "attach_evidence": frozenset({S.DRAFT, S.RETURNED, S.SUBMITTED}),
    "submit": frozenset({S.DRAFT}),
    "review": frozenset({S.SUBMITTED}),
    "return": frozenset({S.SUBMITTED}),
    "resubmit": frozenset({S.RETURNED}),
    "approve": frozenset({S.SUBMITTED}),
    "reject": frozenset({S.SUBMITTED}),
    "withdraw": frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED}),
}


def allowed_actions(status: NominationStatus) -> list[str]:
    return sorted(action for action, states in ALLOWED.items() if status in states)


Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class Evidence(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Minh chứng: a file held elsewhere, identified by its hash."""

    file_name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    sha256: Sha256
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    indicator: str | None = None


class Nomination(Aggregate):
    """Hồ sơ đề nghị công nhận danh hiệu for one subject, title, tier, level and year."""

    @event("Created")
    def __init__(
        self,
        *,
        subject_id: UUID,
        subject_kind: SubjectKind,
        title: Title,
        tier: Tier,
        level: int | None,
        year: int,
        criteria_set_id: UUID,
        actor: str,
    ) -> None:
        check_nomination(subject_kind, title, tier, level, year)
        self.subject_id = subject_id
        self.subject_kind = subject_kind
        self.title = title
        self.tier = tier
        self.level = level
        self.year = year
        self.criteria_set_id = criteria_set_id
        self.status = NominationStatus.DRAFT
        self.self_scores: tuple[IndicatorScore, ...] = ()
        self.review_scores: tuple[IndicatorScore, ...] = ()
        self.evidence: tuple[Evidence, ...] = ()
        self.reasons: tuple[str, ...] = ()
        self.filed_on: date | None = None

    def _guard(self, action: str) -> None:
        if self.status not in ALLOWED[action]:
            raise IllegalTransition(
                "nomination", self.status.value, action, allowed_actions(self.status)
            )

    def self_assess(
        self, scores: tuple[IndicatorScore, ...], criteria: CriteriaSet, actor: str
    ) -> None:
        self._guard("self_assess")
        check_scores(scores, criteria)
        self._self_assessed(scores=scores, actor=actor)

    @event("SelfAssessed")
    def _self_assessed(self, *, scores: tuple[IndicatorScore, ...], actor: str) -> None:
        self.self_scores = scores

    def attach_evidence(self, items: tuple[Evidence, ...], actor: str) -> None:
        self._guard("attach_evidence")
        self._evidence_attached(items=items, actor=actor)

    @event("EvidenceAttached")
    def _evidence_attached(self, *, items: tuple[Evidence, ...], actor: str) -> None:
        self.evidence = self.evidence + items

    def submit(self, actor: str, filed_on: date | None = None) -> None:
        """Nộp hồ sơ; ``filed_on`` is the day the dossier reached the receiving body."""
        self._guard("submit")
        self._submitted(actor=actor, filed_on=filed_on)

    @event("Submitted")
    def _submitted(self, *, actor: str, filed_on: date | None = None) -> None:
        self.status = NominationStatus.SUBMITTED
        self.filed_on = filed_on

    def review(self, scores: tuple[IndicatorScore, ...], criteria: CriteriaSet, actor: str) -> None:
        self._guard("review")
        check_scores(scores, criteria)
        self._reviewed(scores=scores, actor=actor)

    @event("Reviewed")
    def _reviewed(self, *, scores: tuple[IndicatorScore, ...], actor: str) -> None:
        self.review_scores = scores

    def return_for_supplement(self, reasons: tuple[str, ...], actor: str) -> None:
        self._guard("return")
        _need_reasons(reasons)
        self._returned(reasons=reasons, actor=actor)

    @event("Returned")
    def _returned(self, *, reasons: tuple[str, ...], actor: str) -> None:
        self.status = NominationStatus.RETURNED
        self.reasons = reasons

    def resubmit(self, actor: str) -> None:
        self._guard("resubmit")
        self._resubmitted(actor=actor)

    @event("Resubmitted")
    def _resubmitted(self, *, actor: str) -> None:
        self.status = NominationStatus.SUBMITTED

    def approve(self, criteria: CriteriaSet, actor: str) -> None:
        """Requires the reviewer's scores to meet the pass rule for the requested level."""
        self._guard("approve")
        if criteria.id != self.criteria_set_id:
            raise RuleViolation("approval_pass_rule", "scored against another criteria set")
        if not self.review_scores:
            raise RuleViolation(
                "approval_pass_rule", "a reviewer must score the nomination before approval"
            )
        result = criteria.evaluate({s.indicator: s for s in self.review_scores}, self.level)
        if not result.passed:
            detail = (
                f"total {result.total_points} is below the pass mark {criteria.pass_mark}"
                if criteria.scheme is Scheme.POINTS
                else f"level {self.level or 1} not reached"
            )
            parts = [detail]
            if result.missing:
                parts.append("unscored: " + ", ".join(result.missing))
            if result.failing:
                parts.append("failing: " + ", ".join(result.failing))
            raise RuleViolation("approval_pass_rule", "; ".join(parts))
        self._approved(actor=actor, level_reached=result.level_reached, total=result.total_points)

    @event("Approved")
    def _approved(self, *, actor: str, level_reached: int | None, total: Decimal | None) -> None:
        self.status = NominationStatus.APPROVED

    def reject(self, reasons: tuple[str, ...], actor: str) -> None:
        self._guard("reject")
        _need_reasons(reasons)
        self._rejected(reasons=reasons, actor=actor)

    @event("Rejected")
    def _rejected(self, *, reasons: tuple[str, ...], actor: str) -> None:
        self.status = NominationStatus.REJECTED
        self.reasons = reasons

    def withdraw(self, reason: str, actor: str) -> None:
        self._guard("withdraw")
        self._withdrawn(reason=reason, actor=actor)

    @event("Withdrawn")
    def _withdrawn(self, *, reason: str, actor: str) -> None:
        self.status = NominationStatus.WITHDRAWN


def _need_reasons(reasons: tuple[str, ...]) -> None:
    if not reasons or not all(r.strip() for r in reasons):
        raise RuleViolation("approval_pass_rule", "give at least one reason", field="reasons")


def check_nomination(
    kind: SubjectKind, title: Title, tier: Tier, level: int | None, year: int | None = None
) -> None:
    if TITLE_SUBJECT[title] is not kind:
        raise RuleViolation(
            "title_subject_kind", f"{title} is not given to a {kind}", field="title"
        )
    if scheme_for(title, tier, year) is Scheme.LEVELS:
        if level not in (1, 2):
            raise RuleViolation(
                "levels_scheme", f"{title} at {tier} tier needs level 1 or 2", field="level"
            )
    elif level is not None:
        raise RuleViolation("levels_scheme", f"{title} at {tier} tier has no levels", field="level")


def check_scores(scores: tuple[IndicatorScore, ...], criteria: CriteriaSet) -> None:
    known = criteria.indicators()
    seen: set[str] = set()
    for index, score in enumerate(scores):
        field = f"scores[{index}]"
        indicator = known.get(score.indicator)
        if indicator is None:
            raise RuleViolation("level_reached", f"no indicator {score.indicator!r}", field=field)
        if score.indicator in seen:
            raise RuleViolation("level_reached", f"{score.indicator} scored twice", field=field)
        seen.add(score.indicator)
        if criteria.scheme is Scheme.POINTS:
            if score.points is None or indicator.max_points is None:
                raise RuleViolation("points_pass_mark", "give points", field=f"{field}.points")
            if score.points < 0 or score.points > indicator.max_points:
                raise RuleViolation(
                    "points_pass_mark",
                    f"{score.points} is outside 0–{indicator.max_points} points"
                    f" of {score.indicator}",
                    field=f"{field}.points",
                )
        elif score.passed is None:
            raise RuleViolation("level_reached", "say passed true/false", field=f"{field}.passed")
