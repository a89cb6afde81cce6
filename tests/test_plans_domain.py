"""The plans' pure arithmetic: milestones, the expected path, gaps, the legacy roll-up."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kh_saas.domain.errors import DomainError
from kh_saas.domain.plan_templates import TEMPLATES, TUA_CHUA_2022
from kh_saas.domain.plans import (
    Denominator,
    Phase,
    PlanIssuer,
    Target,
    check_plan,
    gap_to,
    milestone,
    percent_of,
)
from kh_saas.targets.attainment import assemble, choose_plan
from kh_saas.targets.store import PlanRecord

D = Denominator
PHASES = TUA_CHUA_2022.phases
TARGETS = TUA_CHUA_2022.plan_targets()


def record(*, signed_on: date = date(2022, 7, 1), phases: tuple[Phase, ...] = PHASES) -> PlanRecord:
    return PlanRecord(
        id=uuid4(), position=1, recorded_at=datetime.now(UTC), number="1/KH-UBND", name="x",
        issuer=PlanIssuer(name="UBND tỉnh Quảng Trị"), signed_on=signed_on, phases=phases,
        targets=TARGETS, template=None, legal_basis=None, adopted_by="t",
    )  # fmt: skip


def test_templates_are_valid_plans() -> None:
    for template in TEMPLATES.values():
        check_plan(template.phases, template.plan_targets())


def test_milestones_and_the_straight_path() -> None:
    at = milestone(PHASES, TARGETS, D.HOUSEHOLDS, 2025)
    assert at is not None and (at.year, at.target, at.expected) == (2025, 60, 60)
    early = milestone(PHASES, TARGETS, D.HOUSEHOLDS, 2023)  # 0 at 2020 → 60 at 2025
    assert early is not None and early.expected == 36.0
    mid = milestone(PHASES, TARGETS, D.CADRES, 2028)  # 60 at 2025 → 80 at 2030
    assert mid is not None and (mid.year, mid.target, mid.expected) == (2030, 80, 72.0)
    past = milestone(PHASES, TARGETS, D.CLANS, 2032)
    assert past is not None and (past.year, past.target, past.expected) == (2030, 55, 55)
    only_clans = (Target(denominator=D.CLANS, year=2024, percent=5),)
    assert milestone(PHASES, only_clans, D.CADRES, 2025) is None


@given(
    held=st.integers(min_value=0, max_value=10_000),
    total=st.integers(min_value=1, max_value=10_000),
    target=st.floats(min_value=0, max_value=100),
)
def test_the_gap_closes_exactly_at_the_target(held: int, total: int, target: float) -> None:
    gap = gap_to(target, held, total)
    assert gap is not None and gap >= 0
    reached = held + gap
    assert 100.0 * reached / total >= target - 1e-9
    if gap:  # one fewer would not do
        assert 100.0 * (reached - 1) / total < target


def test_shares_without_a_denominator() -> None:
    assert percent_of(3, None) is None and percent_of(3, 0) is None
    assert percent_of(1, 3) == 33.33
    assert gap_to(60, 0, None) is None


@pytest.mark.parametrize(
    ("phases", "targets", "field"),
    [
        ((), TARGETS, "phases"),
        ((PHASES[0], Phase(start_year=2025, end_year=2030)), TARGETS, "phases[1].start_year"),
        (PHASES, (), "targets"),
        (PHASES, (Target(denominator=D.CLANS, year=2020, percent=5),), "targets[0].year"),
        (PHASES, (Target(denominator=D.CLANS, year=2024, percent=5),) * 2, "targets[1]"),
    ],
)  # fmt: skip
def test_bad_plans(phases: tuple[Phase, ...], targets: tuple[Target, ...], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_plan(phases, targets)
    assert caught.value.field == field


def test_the_plan_in_force_is_the_latest_covering_the_year() -> None:
    old = record(signed_on=date(2022, 7, 1))
    movement = record(
        signed_on=date(2024, 1, 10),
        phases=(Phase(start_year=2023, end_year=2025), Phase(start_year=2026, end_year=2030)),
    )
    short = record(signed_on=date(2025, 3, 1), phases=(Phase(start_year=2026, end_year=2027),))
    assert choose_plan([old, movement, short], 2025, None) is movement
    assert choose_plan([old, movement, short], 2026, None) is short
    assert choose_plan([old], 2040, None) is old  # none covers: the latest signed
    assert choose_plan([], 2025, None) is None
    assert choose_plan([old, movement], 2025, old.id) is old


def test_legacy_records_count_in_todays_commune_once() -> None:
    # 19477 merged into 19483 (Quảng Trị, 44); a code of no commune stays unassigned
    held = {("19483", D.HOUSEHOLDS): 4, ("19477", D.HOUSEHOLDS): 2, (None, D.HOUSEHOLDS): 1}
    totals = {("19483", D.HOUSEHOLDS): 10}
    result = assemble(
        year=2025, province_code="44", plan=record(), held=held, totals=totals,
        source="statistics", statistics_year=2025, as_of=None,
    )  # fmt: skip
    here = next(c for c in result.communes if c.commune_code == "19483")
    households = next(t for t in here.titles if t.denominator is D.HOUSEHOLDS)
    assert (households.held, households.total, households.percent) == (6, 10, 60.0)
    whole = next(t for t in result.province.titles if t.denominator is D.HOUSEHOLDS)
    assert (whole.held, whole.total) == (7, 10)
    assert [(u.commune_code, u.held) for u in result.unassigned] == [(None, 1)]
    assert all(c.commune_code != "19477" for c in result.communes)
