"""Criteria sets (bộ tiêu chí): versioned scoring rules for a title, and their pass rule."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.errors import RuleViolation
from kh_saas.domain.ids import stable_id
from kh_saas.domain.vocabulary import Scheme, Tier, Title

Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,32}$")]


class Indicator(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Chỉ tiêu / chỉ số: pass/fail (levels scheme) or scored up to ``max_points``."""

    code: Code
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    max_points: Decimal | None = None  # msgspec has no bounds on Decimal: see check_criteria
    #: Levels the indicator applies to (levels scheme): (1, 2), or (2,) for a level-2 threshold.
    levels: tuple[Annotated[int, msgspec.Meta(ge=1, le=2)], ...] = (1, 2)


class Criterion(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Tiêu chí, grouping indicators."""

    code: Code
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    indicators: tuple[Indicator, ...]


class IndicatorScore(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A score on one indicator: ``passed`` (levels) or ``points`` (points scheme)."""

    indicator: Code
    passed: bool | None = None
    points: Decimal | None = None  # bounds checked against the indicator (check_scores)
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class Evaluation(msgspec.Struct, frozen=True, kw_only=True):
    """What a set of scores achieves under a criteria set."""

    level_reached: int | None
    total_points: Decimal | None
    passed: bool
    missing: tuple[str, ...]
    failing: tuple[str, ...]


class CriteriaSet(Aggregate):
    """Bộ tiêu chí of one title and tier, versioned; published sets never change."""

    @staticmethod
    def create_id(title: Title, tier: Tier, edition: str) -> UUID:
        return stable_id("criteria-set", title, tier, edition)

    @event("Published")
    def __init__(
        self,
        *,
        title: Title,
        tier: Tier,
        edition: str,
        scheme: Scheme,
        name: str,
        legal_basis: str,
        effective_from: date,
        criteria: tuple[Criterion, ...],
        pass_mark: Decimal | None,
        actor: str,
    ) -> None:
        check_criteria(scheme, criteria, pass_mark)
        self.title = title
        self.tier = tier
        self.edition = edition
        self.scheme = scheme
        self.name = name
        self.legal_basis = legal_basis
        self.effective_from = effective_from
        self.criteria = criteria
        self.pass_mark = pass_mark

    def indicators(self) -> dict[str, Indicator]:
        return {i.code: i for c in self.criteria for i in c.indicators}

    def evaluate(self, scores: Mapping[str, IndicatorScore], level: int | None) -> Evaluation:
        return evaluate(self.scheme, self.criteria, self.pass_mark, scores, level)


def check_criteria(
    scheme: Scheme, criteria: tuple[Criterion, ...], pass_mark: Decimal | None
) -> None:
    codes = [i.code for c in criteria for i in c.indicators]
    if not codes:
        raise RuleViolation("level_reached", "a criteria set needs indicators", field="criteria")
    if len(set(codes)) != len(codes):
        raise RuleViolation("level_reached", "indicator codes must be unique", field="criteria")
    if scheme is Scheme.POINTS:
        if pass_mark is None:
            raise RuleViolation(
                "points_pass_mark", "a point scale needs a pass mark", field="pass_mark"
            )
        if any(i.max_points is None or i.max_points <= 0 for c in criteria for i in c.indicators):
            raise RuleViolation(
                "points_pass_mark", "every indicator needs max_points above 0", field="criteria"
            )
        total = sum(
            (i.max_points or Decimal(0) for c in criteria for i in c.indicators), Decimal(0)
        )
        if pass_mark > total:
            raise RuleViolation(
                "points_pass_mark", f"pass mark {pass_mark} exceeds {total}", field="pass_mark"
            )
    elif pass_mark is not None:
        raise RuleViolation("level_reached", "levels have no pass mark", field="pass_mark")


def evaluate(
    scheme: Scheme,
    criteria: tuple[Criterion, ...],
    pass_mark: Decimal | None,
    scores: Mapping[str, IndicatorScore],
    level: int | None,
) -> Evaluation:
    """Apply the pass rule: all indicators of the level pass, or the total reaches the mark."""
    indicators = [i for c in criteria for i in c.indicators]
    if scheme is Scheme.POINTS:
        missing = tuple(i.code for i in indicators if _points(scores.get(i.code)) is None)
        total = sum((_points(scores.get(i.code)) or Decimal(0) for i in indicators), Decimal(0))
        passed = not missing and pass_mark is not None and total >= pass_mark
        return Evaluation(
            level_reached=None, total_points=total, passed=passed, missing=missing, failing=()
        )
    reached: int | None = None
    missing_all: tuple[str, ...] = ()
    failing_all: tuple[str, ...] = ()
    for lvl in (1, 2):
        applicable = [i for i in indicators if lvl in i.levels]
        missing = tuple(i.code for i in applicable if _passed(scores.get(i.code)) is None)
        failing = tuple(i.code for i in applicable if _passed(scores.get(i.code)) is False)
        if level is None or lvl == level:
            missing_all, failing_all = missing, failing
        if missing or failing:
            break
        reached = lvl
    wanted = level or 1
    return Evaluation(
        level_reached=reached,
        total_points=None,
        passed=reached is not None and reached >= wanted,
        missing=missing_all,
        failing=failing_all,
    )


def _points(score: IndicatorScore | None) -> Decimal | None:
    return None if score is None else score.points


def _passed(score: IndicatorScore | None) -> bool | None:
    return None if score is None else score.passed
