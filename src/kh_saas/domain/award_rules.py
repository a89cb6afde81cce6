"""The award rules as data plus small named predicates, each explaining itself.

``explain`` answers "may this subject receive this form for this achievement?" rule by rule,
from recorded history; ``check_award_decision`` applies the same predicates to every line of a
decision and fails it whole if any line fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.award_vocabulary import (
    GIAY_KHEN,
    GOOD_OR_BETTER,
    NOT_MERIT,
    SIGNER_OF,
    AwardForm,
    Rating,
    RecipientKind,
    SuspensionReason,
)
from kh_saas.domain.awards import Achievement, AwardIssuer, AwardLine, period_years
from kh_saas.domain.errors import RuleViolation
from kh_saas.domain.ids import stable_id
from kh_saas.domain.rules import RULES
from kh_saas.domain.vocabulary import SubjectKind, Title

REFORM_DATE = date(2025, 7, 1)
CSTDCS = "chien_si_thi_dua_co_so"  # Chiến sĩ thi đua cơ sở

#: Which recipient kind each subject kind receives awards as.
RECIPIENT_OF = {
    SubjectKind.CITIZEN: RecipientKind.INDIVIDUAL,
    SubjectKind.HOUSEHOLD: RecipientKind.HOUSEHOLD,
    SubjectKind.CLAN: RecipientKind.COLLECTIVE,
    SubjectKind.COMMUNITY: RecipientKind.COLLECTIVE,
    SubjectKind.UNIT: RecipientKind.COLLECTIVE,
}


class GiayKhenCriterion(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A province's Giấy khen criterion (Law Art. 75.2): e.g. a household holding
    ``learning_household`` for 3 consecutive years up to the achievement period's end."""

    form: AwardForm
    recipient_kind: RecipientKind
    title: Title | None = None
    consecutive_years: int = 0
    min_rating: Rating | None = None
    description: str = ""


DEFAULT_GIAY_KHEN: tuple[GiayKhenCriterion, ...] = tuple(
    GiayKhenCriterion(
        form=form,
        recipient_kind=kind,
        title=title,
        consecutive_years=years,
        min_rating=rating,
        description=text,
    )
    for form in (
        AwardForm.COMMUNE_CERTIFICATE,
        AwardForm.AGENCY_CERTIFICATE,
        AwardForm.DISTRICT_CERTIFICATE,
    )
    for kind, title, years, rating, text in [
        (RecipientKind.HOUSEHOLD, Title.LEARNING_HOUSEHOLD, 3, None, "Gia đình học tập 3 năm liền"),
        (RecipientKind.COLLECTIVE, None, 0, None, "thành tích tiêu biểu được hội đồng xét"),
        (
            RecipientKind.INDIVIDUAL,
            None,
            0,
            Rating.GOOD,
            "hoàn thành tốt nhiệm vụ trở lên trong năm",
        ),
    ]
)


class GiayKhenCriteria(Aggregate):
    """Tiêu chuẩn xét tặng Giấy khen of one province (Law Art. 75.2); defaults until set."""

    @staticmethod
    def create_id() -> UUID:
        return stable_id("award-criteria")

    @event("Configured")
    def __init__(self, *, criteria: tuple[GiayKhenCriterion, ...], actor: str) -> None:
        self.criteria = criteria

    @event("Replaced")
    def replace(self, *, criteria: tuple[GiayKhenCriterion, ...], actor: str) -> None:
        self.criteria = criteria


@dataclass(frozen=True)
class HeldTitle:
    title: Title
    year: int
    revoked: bool


@dataclass(frozen=True)
class PastAward:
    form: AwardForm
    achievement: Achievement
    signed_on: date
    annulled: bool


@dataclass(frozen=True)
class SubjectHistory:
    """What the store records of one subject, as the rules need it."""

    subject_id: UUID
    kind: SubjectKind | None
    titles: tuple[HeldTitle, ...] = ()
    awards: tuple[PastAward, ...] = ()
    ratings: dict[int, Rating] = field(default_factory=dict)
    emulation_titles: dict[int, tuple[str, ...]] = field(default_factory=dict)
    suspended: SuspensionReason | None = None
    award_exists: bool = False  # for this very achievement

    def streak(self, title: Title, until: int) -> int:
        """Consecutive years holding ``title`` (not revoked) ending with ``until``."""
        held = {t.year for t in self.titles if t.title is title and not t.revoked}
        years = 0
        while until - years in held:
            years += 1
        return years


class RuleResult(msgspec.Struct, frozen=True, kw_only=True):
    rule: str
    passed: bool
    explanation: str
    source: str


def _result(rule: str, passed: bool, explanation: str) -> RuleResult:
    return RuleResult(rule=rule, passed=passed, explanation=explanation, source=RULES[rule].source)


def explain(
    history: SubjectHistory,
    form: AwardForm,
    achievement: Achievement,
    signed_on: date,
    criteria: Sequence[GiayKhenCriterion] = DEFAULT_GIAY_KHEN,
) -> list[RuleResult]:
    """Every rule that applies to this subject, form and achievement, with its verdict."""
    results: list[RuleResult] = []
    if history.kind is None:
        return [_result("award_recipient_kind", False, "no such subject in this province")]
    kind = RECIPIENT_OF[history.kind]
    results.append(_result("award_recipient_kind", True, f"a {history.kind} is awarded as {kind}"))
    if form is AwardForm.DISTRICT_CERTIFICATE:
        ok = signed_on < REFORM_DATE
        results.append(
            _result(
                "district_form_ended",
                ok,
                (
                    f"signed {signed_on}: district Giấy khen ended on 30 June 2025"
                    if not ok
                    else f"signed {signed_on}, before the district tier ended"
                ),
            )
        )
    results.append(
        _result(
            "one_award_per_achievement",
            not history.award_exists,
            f"already rewarded for {achievement.movement} {achievement.period} "
            f"({achievement.occasion})"
            if history.award_exists
            else f"not yet rewarded for {achievement.movement} {achievement.period} "
            f"({achievement.occasion})",
        )
    )
    results.append(
        _result(
            "suspended_subject",
            history.suspended is None,
            f"proposals are suspended ({history.suspended})"
            if history.suspended
            else "no discipline, investigation, inspection or complaint is recorded",
        )
    )
    if form is AwardForm.PM_CERTIFICATE and kind is RecipientKind.INDIVIDUAL:
        results += _pm_individual(history, achievement)
    else:
        results.append(
            _result(
                "no_lower_prerequisite", True, f"{form} does not require an earlier, lower award"
            )
        )
    if form in GIAY_KHEN:
        results += _giay_khen(history, form, kind, achievement, criteria)
    return results


PM_WINDOW = 5  # years of ratings and emulation titles a PM certificate looks back on


@dataclass(frozen=True)
class HistoryNeeds:
    """The recorded history the rules read for one form and achievement, so that a large
    decision reads exactly that and no more: the years of titles (the longest streak a Giấy
    khen criterion asks for) and of yearly merit records (the PM certificate's five-year
    window, else the period's last year), and the recipient kinds for which each matters."""

    title_years: range
    merit_years: range
    titles_for: frozenset[RecipientKind] = frozenset()
    merits_for: frozenset[RecipientKind] = frozenset()

    @classmethod
    def everything(cls, years: range) -> HistoryNeeds:
        """All of it, for an explanation that shows the whole history."""
        return cls(years, years, frozenset(RecipientKind), frozenset(RecipientKind))

    def reads_titles(self, kind: SubjectKind) -> bool:
        return RECIPIENT_OF[kind] in self.titles_for

    def reads_merits(self, kind: SubjectKind) -> bool:
        return RECIPIENT_OF[kind] in self.merits_for


def history_needs(
    form: AwardForm, achievement: Achievement, criteria: Sequence[GiayKhenCriterion]
) -> HistoryNeeds:
    """What :func:`explain` reads for ``form`` (keep the two in step)."""
    end = period_years(achievement.period)[-1]
    own = [c for c in criteria if c.form is form] if form in GIAY_KHEN else []
    streaks = [c for c in own if c.title is not None and c.consecutive_years]
    merits = {c.recipient_kind for c in own if c.min_rating is not None}
    if form is AwardForm.PM_CERTIFICATE:
        merits.add(RecipientKind.INDIVIDUAL)
    longest = max((c.consecutive_years for c in streaks), default=0)
    window = PM_WINDOW if form is AwardForm.PM_CERTIFICATE else 1
    return HistoryNeeds(
        title_years=range(end - longest + 1, end + 1),
        merit_years=range(end - window + 1, end + 1),
        titles_for=frozenset(c.recipient_kind for c in streaks),
        merits_for=frozenset(merits),
    )


def _pm_individual(history: SubjectHistory, achievement: Achievement) -> list[RuleResult]:
    end = period_years(achievement.period)[-1]
    window = range(end - PM_WINDOW + 1, end + 1)
    prior = [
        a
        for a in history.awards
        if a.form in (AwardForm.PROVINCE_CERTIFICATE, AwardForm.MINISTRY_CERTIFICATE)
        and not a.annulled
    ]
    merit_prior = [a for a in prior if a.achievement.occasion not in NOT_MERIT]
    results = [
        _result(
            "pm_prior_certificate",
            bool(merit_prior),
            (
                f"holds {merit_prior[0].form} for {merit_prior[0].achievement.period}"
                if merit_prior
                else "needs an earlier province or ministry certificate"
                + (" (thematic and sudden awards do not count)" if prior else "")
            ),
        ),
    ]
    if prior and not merit_prior:
        results.append(
            _result(
                "thematic_not_merit",
                False,
                "the only earlier certificates are thematic or sudden awards",
            )
        )
    good = 0
    for year in reversed(window):
        if history.ratings.get(year) in GOOD_OR_BETTER:
            good += 1
        else:
            break
    results.append(
        _result(
            "pm_five_good_years",
            good >= 5,
            (f"{good} consecutive year(s) rated good or better up to {end}; 5 needed"),
        )
    )
    cstdcs = sum(CSTDCS in history.emulation_titles.get(y, ()) for y in window)
    results.append(
        _result(
            "pm_three_cstdcs",
            cstdcs >= 3,
            (f"{cstdcs} 'Chiến sĩ thi đua cơ sở' title(s) in {window[0]}–{end}; 3 needed"),
        )
    )
    return results


def _giay_khen(
    history: SubjectHistory,
    form: AwardForm,
    kind: RecipientKind,
    achievement: Achievement,
    criteria: Sequence[GiayKhenCriterion],
) -> list[RuleResult]:
    end = period_years(achievement.period)[-1]
    results = []
    for c in criteria:
        if c.form is not form or c.recipient_kind is not kind:
            continue
        if c.title is not None and c.consecutive_years:
            streak = history.streak(c.title, end)
            results.append(
                _result(
                    "giay_khen_criteria",
                    streak >= c.consecutive_years,
                    (
                        f"{c.description}: holds {c.title} {streak} year(s) running up to {end}; "
                        f"{c.consecutive_years} needed"
                    ),
                )
            )
        if c.min_rating is not None:
            rating = history.ratings.get(end)
            ok = rating is not None and _rank(rating) <= _rank(c.min_rating)
            results.append(
                _result(
                    "giay_khen_criteria",
                    ok,
                    (f"{c.description}: rated {rating or 'nothing'} in {end}"),
                )
            )
        if c.title is None and c.min_rating is None:
            results.append(_result("giay_khen_criteria", True, c.description or "no criterion"))
    return results


def _rank(rating: Rating) -> int:
    return list(Rating).index(rating)


# --- decisions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineFailure:
    index: int
    subject_id: UUID
    rule: str
    message: str
    field: str = "subject_id"  # of the line: the subject's history, or the kind given for it


def check_award_header(form: AwardForm, issuer: AwardIssuer, signed_on: date, today: date) -> None:
    if signed_on > today:
        raise RuleViolation("award_signer", "signed in the future", field="signed_on")
    if issuer.signer is not SIGNER_OF[form]:
        raise RuleViolation(
            "award_signer",
            f"{form} is signed by the {SIGNER_OF[form]}, not the {issuer.signer}",
            field="issuer.signer",
        )
    if form is AwardForm.DISTRICT_CERTIFICATE and signed_on >= REFORM_DATE:
        raise RuleViolation(
            "district_form_ended",
            "no district Giấy khen may be issued on or after 1 July 2025",
            field="form",
        )


def check_award_lines(
    form: AwardForm,
    *,
    achievement: Achievement,
    signed_on: date,
    lines: Sequence[AwardLine],
    histories: Sequence[SubjectHistory],
    criteria: Sequence[GiayKhenCriterion],
) -> list[LineFailure]:
    failures: list[LineFailure] = []
    seen: set[UUID] = set()
    for index, (line, history) in enumerate(zip(lines, histories, strict=True)):
        if line.subject_id in seen:
            failures.append(
                LineFailure(index, line.subject_id, "one_award_per_achievement", "listed twice")
            )
            continue
        seen.add(line.subject_id)
        if history.kind is not None and RECIPIENT_OF[history.kind] is not line.recipient_kind:
            failures.append(
                LineFailure(
                    index,
                    line.subject_id,
                    "award_recipient_kind",
                    f"a {history.kind} is awarded as {RECIPIENT_OF[history.kind]}, "
                    f"not {line.recipient_kind}",
                    field="recipient_kind",
                )
            )
            continue
        for r in explain(history, form, achievement, signed_on, criteria):
            if not r.passed:
                failures.append(LineFailure(index, line.subject_id, r.rule, r.explanation))
    return failures
