"""Builders for domain tests (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from kh_saas.domain.authority import Office
from kh_saas.domain.criteria import CriteriaSet, IndicatorScore
from kh_saas.domain.criteria_defaults import default_sets, published
from kh_saas.domain.nominations import Nomination
from kh_saas.domain.recognitions import Issuer, Recipient
from kh_saas.domain.vocabulary import SubjectKind, Tier, Title


def criteria_set(title: Title, tier: Tier) -> CriteriaSet:
    return published(next(s for s in default_sets() if s.title is title and s.tier is tier), "t")


def full_points(cs: CriteriaSet, minus: int = 0) -> tuple[IndicatorScore, ...]:
    scores = [
        IndicatorScore(indicator=i.code, points=i.max_points)
        for c in cs.criteria
        for i in c.indicators
    ]
    first = scores[0]
    assert first.points is not None
    scores[0] = IndicatorScore(indicator=first.indicator, points=first.points - Decimal(minus))
    return tuple(scores)


def all_pass(
    cs: CriteriaSet, level: int = 2, failing: str | None = None
) -> tuple[IndicatorScore, ...]:
    return tuple(
        IndicatorScore(indicator=i.code, passed=i.code != failing)
        for c in cs.criteria
        for i in c.indicators
        if min(i.levels) <= level
    )


def household_nomination(
    cs: CriteriaSet, subject: UUID | None = None, year: int = 2024
) -> Nomination:
    return Nomination(
        subject_id=subject or uuid4(),
        subject_kind=SubjectKind.HOUSEHOLD,
        title=Title.LEARNING_HOUSEHOLD,
        tier=Tier.COMMUNE,
        level=None,
        year=year,
        criteria_set_id=cs.id,
        actor="officer",
    )


COMMUNE = Issuer(office=Office.COMMUNE_CHAIRMAN, name="UBND xã Gio Linh", unit_code="19000")


def recipients(*ids: UUID) -> tuple[Recipient, ...]:
    return tuple(Recipient(subject_id=i) for i in ids)


def day(text: str) -> date:
    return date.fromisoformat(text)
