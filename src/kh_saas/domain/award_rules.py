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
    MOVEMENT_REVIEWS,
    NOT_MERIT,
    SIGNER_OF,
    AwardForm,
    Occasion,
    Rating,
    RecipientKind,
    SuspensionReason,
)
from kh_saas.domain.awards import (
    DEFAULT_MOVEMENT,
    Achievement,
    AwardIssuer,
    AwardLine,
    period_years,
)
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
    #: The alternative route (một trong các tiêu chuẩn) this result belongs to, e.g. "73.1.b";
    #: ``None`` for a rule every award must pass. A route is met when all its results pass.
    route: str | None = None


def _result(rule: str, passed: bool, explanation: str, route: str | None = None) -> RuleResult:
    return RuleResult(
        rule=rule, passed=passed, explanation=explanation, source=RULES[rule].source, route=route
    )


def routes_met(results: Sequence[RuleResult]) -> list[str]:
    """The routes whose every result passed."""
    routes: dict[str, bool] = {}
    for r in results:
        if r.route is not None:
            routes[r.route] = routes.get(r.route, True) and r.passed
    return [route for route, ok in routes.items() if ok]


def failing(results: Sequence[RuleResult]) -> list[RuleResult]:
    """What makes the subject ineligible: every failing rule outside the routes and, when no
    route is met, the failing results of every route (so each alternative says what it lacks)."""
    plain = [r for r in results if r.route is None and not r.passed]
    has_routes = any(r.route is not None for r in results)
    if not has_routes or routes_met(results):
        return plain
    return plain + [r for r in results if r.route is not None and not r.passed]


def eligible(results: Sequence[RuleResult]) -> bool:
    return not failing(results)


def explain(
    history: SubjectHistory,
    form: AwardForm,
    achievement: Achievement,
    signed_on: date,
    criteria: Sequence[GiayKhenCriterion] = DEFAULT_GIAY_KHEN,
    *,
    attested: bool = False,
) -> list[RuleResult]:
    """Every rule that applies to this subject, form and achievement, with its verdict.

    ``attested``: the decision follows a proposal the council approved, whose minutes attest
    what the records cannot show (an outstanding achievement in the field, a contribution)."""
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
    results.append(
        _result("no_lower_prerequisite", True, f"{form} does not require an earlier, lower award")
    )
    if form is AwardForm.PM_CERTIFICATE:
        results += _routes(_pm_routes(history, kind, achievement), "Art. 73")
    elif form in (AwardForm.PROVINCE_CERTIFICATE, AwardForm.MINISTRY_CERTIFICATE):
        results += _routes(_province_routes(history, kind, achievement, attested), "Art. 74")
    if form in GIAY_KHEN:
        results += _giay_khen(history, form, kind, achievement, criteria)
    return results


PM_WINDOW = 5  # years of ratings and emulation titles a PM certificate looks back on
PROVINCE_WINDOW = 2  # 74.1.d: two consecutive excellent years


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
    window = 1
    if form is AwardForm.PM_CERTIFICATE:
        merits |= {RecipientKind.INDIVIDUAL, RecipientKind.COLLECTIVE}
        window = PM_WINDOW
    elif form in (AwardForm.PROVINCE_CERTIFICATE, AwardForm.MINISTRY_CERTIFICATE):
        merits.add(RecipientKind.INDIVIDUAL)
        window = PROVINCE_WINDOW
    longest = max((c.consecutive_years for c in streaks), default=0)
    return HistoryNeeds(
        title_years=range(end - longest + 1, end + 1),
        merit_years=range(end - window + 1, end + 1),
        titles_for=frozenset(c.recipient_kind for c in streaks),
        merits_for=frozenset(merits),
    )


def _routes(results: list[RuleResult], article: str) -> list[RuleResult]:
    """The routes' results, preceded by the rule that one of them must be met."""
    met = routes_met(results)
    summary = _result(
        "award_route",
        bool(met),
        (
            f"meets {article} route(s) " + ", ".join(met)
            if met
            else f"meets none of {article}'s routes: "
            + ", ".join(sorted({r.route for r in results if r.route}))
        ),
    )
    return [summary, *results]


def _movement_route(achievement: Achievement, route: str, *, by_pm: bool) -> RuleResult:
    """Route "a": an outstanding achievement "bình xét" in an emulation movement (for the PM's
    certificate, one the President, Government or Prime Minister launched)."""
    review = achievement.occasion in MOVEMENT_REVIEWS
    pm_movement = achievement.movement == DEFAULT_MOVEMENT  # launched by QĐ 1315/QĐ-TTg
    ok = review and (pm_movement or not by_pm)
    return _result(
        "award_route_movement",
        ok,
        (
            f"assessed at the {achievement.occasion} of {achievement.movement}"
            + (" (launched by the Prime Minister, QĐ 1315/QĐ-TTg)" if pm_movement else "")
            if ok
            else f"{achievement.occasion} of {achievement.movement} is not a review of a "
            f"movement launched by the {'Prime Minister' if by_pm else 'province or ministry'}"
        ),
        route=route,
    )


def _pm_routes(
    history: SubjectHistory, kind: RecipientKind, achievement: Achievement
) -> list[RuleResult]:
    clause = {RecipientKind.INDIVIDUAL: "1", RecipientKind.COLLECTIVE: "3"}.get(kind, "4")
    movement = _movement_route(achievement, f"73.{clause}.a", by_pm=True)
    if kind is RecipientKind.HOUSEHOLD:
        # 73 (households): gương mẫu, with large contributions in effort, land or assets.
        return [
            movement,
            _result(
                "pm_household_contribution",
                False,
                "large contributions in effort, land or assets are attested by the dossier, "
                "not recorded here: the route is not checked",
                route="73.4",
            ),
        ]
    return [movement, *_pm_merit(history, kind, achievement, route=f"73.{clause}.b")]


def _pm_merit(
    history: SubjectHistory, kind: RecipientKind, achievement: Achievement, *, route: str
) -> list[RuleResult]:
    """73.1.b: an earlier ministry or province certificate, *then* ("sau đó") five consecutive
    years rated good or better up to the proposal, with three CSTĐCS in them (individuals);
    73.3.b for collectives reads the same certificate and years (its other terms: probable)."""
    end = period_years(achievement.period)[-1]
    window = range(end - PM_WINDOW + 1, end + 1)
    prior = [
        a
        for a in history.awards
        if a.form in (AwardForm.PROVINCE_CERTIFICATE, AwardForm.MINISTRY_CERTIFICATE)
        and not a.annulled
    ]
    merit_prior = [a for a in prior if a.achievement.occasion not in NOT_MERIT]
    before = [a for a in merit_prior if _counts_before(a, window.start)]
    results = [
        _result(
            "pm_prior_certificate",
            bool(before),
            (
                f"holds {before[-1].form} for {before[-1].achievement.period} "
                f"(signed {before[-1].signed_on}), before {window.start}–{end}"
                if before
                else (
                    f"the earlier certificate ({merit_prior[-1].achievement.period}, signed "
                    f"{merit_prior[-1].signed_on}) is not before the five years "
                    f"{window.start}–{end}: they must come after it"
                    if merit_prior
                    else "needs an earlier province or ministry certificate"
                    + (
                        " (thematic, sudden and movement-review awards do not count)"
                        if prior
                        else ""
                    )
                )
            ),
            route=route,
        ),
    ]
    if prior and not merit_prior:
        results.append(
            _result(
                "thematic_not_merit",
                False,
                "the only earlier certificates are thematic, sudden or movement-review awards",
                route=route,
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
            good >= PM_WINDOW,
            f"{good} consecutive year(s) rated good or better up to {end}; 5 needed",
            route=route,
        )
    )
    if kind is RecipientKind.INDIVIDUAL:
        cstdcs = sum(CSTDCS in history.emulation_titles.get(y, ()) for y in window)
        results.append(
            _result(
                "pm_three_cstdcs",
                cstdcs >= 3,
                f"{cstdcs} 'Chiến sĩ thi đua cơ sở' title(s) in {window[0]}–{end}; 3 needed",
                route=route,
            )
        )
    return results


_NOT_COUNTED = " (thematic, sudden and movement-review awards do not count)"


def _counts_before(award: PastAward, first_year: int) -> bool:
    """The five years count from the earlier certificate on: none of them may lie in its
    achievement period, nor before the year it was signed (NĐ 98/2023 Art. 4)."""
    return first_year > period_years(award.achievement.period)[-1] and (
        first_year >= award.signed_on.year
    )


def _province_routes(
    history: SubjectHistory, kind: RecipientKind, achievement: Achievement, attested: bool
) -> list[RuleResult]:
    clause = {RecipientKind.INDIVIDUAL: "1", RecipientKind.COLLECTIVE: "2"}.get(kind, "3")
    movement = _movement_route(achievement, f"74.{clause}.a", by_pm=False)
    sudden = achievement.occasion is Occasion.SUDDEN
    field = _result(
        "award_route_attested",
        sudden or attested,
        (
            "a sudden (đột xuất) achievement"
            if sudden
            else "the council's approved proposal attests the achievement"
            if attested
            else "an outstanding achievement in the field or a large contribution is attested "
            "by the council's approved proposal; none is attached"
        ),
        route=f"74.{clause}.b–c",
    )
    results = [movement, field]
    if kind is RecipientKind.INDIVIDUAL:
        end = period_years(achievement.period)[-1]
        years = range(end - PROVINCE_WINDOW + 1, end + 1)
        excellent = [y for y in years if history.ratings.get(y) is Rating.EXCELLENT]
        cstdcs = [y for y in years if CSTDCS in history.emulation_titles.get(y, ())]
        results.append(
            _result(
                "province_excellent_years",
                len(excellent) == PROVINCE_WINDOW and len(cstdcs) == PROVINCE_WINDOW,
                f"rated excellent in {len(excellent)} and 'Chiến sĩ thi đua cơ sở' in "
                f"{len(cstdcs)} of {years.start}–{end}; 2 of each needed",
                route="74.1.d",
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
    attested: bool = False,
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
        results = explain(history, form, achievement, signed_on, criteria, attested=attested)
        for r in failing(results):
            why = r.explanation if r.route is None else f"route {r.route}: {r.explanation}"
            failures.append(LineFailure(index, line.subject_id, r.rule, why))
    return failures
