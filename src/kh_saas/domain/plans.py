"""Plans (kế hoạch) and their targets (chỉ tiêu): what share of each kind of subject should
hold its title by a milestone year.

A plan is a signed act of its own (``Kế hoạch số 12/KH-UBND`` of an issuer, on a date) with
phases (giai đoạn 2021–2025 and 2026–2030; 2023–2025 and 2026–2030 for the movement of
QĐ 1315/QĐ-TTg) and targets, each a share of a denominator: households holding Gia đình học
tập, clans holding Dòng họ học tập, villages/residential groups holding Cộng đồng học tập,
organisations holding Đơn vị học tập, workers (in learning households, clans, communities) and
cadres (in learning units) holding Công dân học tập. Provinces set their own figures, so
targets are data per plan, never constants.
"""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum
from typing import Annotated

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.document_numbers import check_signed_number
from kh_saas.domain.errors import DomainError
from kh_saas.domain.vocabulary import Title


class Denominator(StrEnum):
    """Mẫu số of a target: what is counted, and which title its members should hold."""

    HOUSEHOLDS = "households"  # hộ gia đình → Gia đình học tập
    CLANS = "clans"  # dòng họ → Dòng họ học tập
    VILLAGES = "villages"  # thôn, bản, tổ dân phố → Cộng đồng học tập
    ORGANISATIONS = "organisations"  # cơ quan, trường học, doanh nghiệp → Đơn vị học tập
    WORKERS = "workers"  # người lao động trong GĐHT/DHHT/CĐHT → Công dân học tập
    CADRES = "cadres"  # cán bộ, công chức, viên chức trong ĐVHT → Công dân học tập


#: The title each denominator's members hold.
DENOMINATOR_TITLE: dict[Denominator, Title] = {
    Denominator.HOUSEHOLDS: Title.LEARNING_HOUSEHOLD,
    Denominator.CLANS: Title.LEARNING_CLAN,
    Denominator.VILLAGES: Title.LEARNING_COMMUNITY,
    Denominator.ORGANISATIONS: Title.LEARNING_UNIT,
    Denominator.WORKERS: Title.LEARNING_CITIZEN,
    Denominator.CADRES: Title.LEARNING_CITIZEN,
}

#: Vietnamese labels (charts, reports).
DENOMINATOR_LABEL: dict[Denominator, str] = {
    Denominator.HOUSEHOLDS: "Gia đình học tập (hộ gia đình)",
    Denominator.CLANS: "Dòng họ học tập (dòng họ)",
    Denominator.VILLAGES: "Cộng đồng học tập (thôn, bản, tổ dân phố)",
    Denominator.ORGANISATIONS: "Đơn vị học tập (cơ quan, trường học, doanh nghiệp)",
    Denominator.WORKERS: "Công dân học tập (người lao động)",
    Denominator.CADRES: "Công dân học tập (cán bộ, công chức, viên chức)",
}

Year = Annotated[int, msgspec.Meta(ge=2000, le=2100)]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class Phase(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Giai đoạn: ``2021–2025``; its last year is the sơ kết / tổng kết."""

    start_year: Year
    end_year: Year

    @property
    def label(self) -> str:
        return f"{self.start_year}–{self.end_year}"


class Target(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Chỉ tiêu: ``percent`` of ``denominator`` holding its title by 31/12 of ``year``."""

    denominator: Denominator
    year: Year
    percent: Percent


class PlanIssuer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Cơ quan ban hành and người ký, as on the signing date."""

    name: Text  # "UBND tỉnh Quảng Trị"
    signer_name: Text | None = None
    signer_position: Text | None = None  # "KT. Chủ tịch, Phó Chủ tịch"


def check_plan(phases: tuple[Phase, ...], targets: tuple[Target, ...]) -> None:
    """Phases in order and apart; every target inside a phase; one target per
    (denominator, year). Raises naming the field at fault."""
    if not phases:
        raise DomainError("validation_failed", "a plan needs at least one phase", field="phases")
    for i, phase in enumerate(phases):
        if phase.end_year < phase.start_year:
            raise DomainError(
                "validation_failed",
                f"phase {phase.label} ends before it starts",
                field=f"phases[{i}].end_year",
            )
        if i and phase.start_year <= phases[i - 1].end_year:
            raise DomainError(
                "validation_failed",
                f"phase {phase.label} overlaps or precedes {phases[i - 1].label}",
                field=f"phases[{i}].start_year",
            )
    if not targets:
        raise DomainError("validation_failed", "a plan needs targets", field="targets")
    seen: set[tuple[Denominator, int]] = set()
    for i, t in enumerate(targets):
        if not any(p.start_year <= t.year <= p.end_year for p in phases):
            raise DomainError(
                "validation_failed",
                f"{t.year} is in none of the plan's phases",
                field=f"targets[{i}].year",
            )
        if (t.denominator, t.year) in seen:
            raise DomainError(
                "validation_failed",
                f"a second target for {t.denominator} in {t.year}",
                field=f"targets[{i}]",
            )
        seen.add((t.denominator, t.year))


class Plan(Aggregate):
    """Kế hoạch: a signed act setting targets per title and milestone year."""

    @event("Adopted")
    def __init__(
        self,
        *,
        number: str,
        name: str,
        issuer: PlanIssuer,
        signed_on: date,
        phases: tuple[Phase, ...],
        targets: tuple[Target, ...],
        template: str | None,
        legal_basis: str | None,
        actor: str,
    ) -> None:
        check_signed_number(number, signed_on)
        check_plan(phases, targets)
        self.number = number
        self.name = name
        self.issuer = issuer
        self.signed_on = signed_on
        self.phases = phases
        self.targets = targets
        self.template = template
        self.legal_basis = legal_basis
        self.adopted_by = actor


# --- the arithmetic of attainment (pure) -----------------------------------------------------


class Milestone(msgspec.Struct, frozen=True, kw_only=True):
    """What a plan asks of one denominator in a year: the target of the next milestone and
    the share expected by now on a straight line towards it."""

    year: int  # the milestone year the target belongs to
    target: float
    expected: float


def milestone(
    phases: tuple[Phase, ...], targets: tuple[Target, ...], denominator: Denominator, year: int
) -> Milestone | None:
    """The next milestone at or after ``year`` (the last one once all are past) and the
    expected share: linear from the previous milestone, or from 0 at the start of the
    milestone's phase when there is none (a plan with yearly targets makes the path
    explicit). ``None`` when the plan sets nothing for the denominator."""
    own = sorted((t for t in targets if t.denominator is denominator), key=lambda t: t.year)
    if not own:
        return None
    ahead = [t for t in own if t.year >= year]
    if not ahead:
        last = own[-1]
        return Milestone(year=last.year, target=last.percent, expected=last.percent)
    nxt = ahead[0]
    before = [t for t in own if t.year < nxt.year]
    if before:
        start_year, start = before[-1].year, before[-1].percent
    else:
        phase = next((p for p in phases if p.start_year <= nxt.year <= p.end_year), None)
        start_year, start = (phase.start_year - 1 if phase else nxt.year - 1), 0.0
    if year <= start_year:
        expected = start
    else:
        span = nxt.year - start_year
        expected = start + (nxt.percent - start) * (year - start_year) / span
    return Milestone(year=nxt.year, target=nxt.percent, expected=round(expected, 2))


def percent_of(held: int, total: int | None) -> float | None:
    if not total:
        return None
    return round(100.0 * held / total, 2)


def gap_to(target: float, held: int, total: int | None) -> int | None:
    """Subjects still to be recognised to reach ``target`` (0 once reached)."""
    if total is None:
        return None
    needed = math.ceil(round(target * total / 100.0, 6))
    return max(0, needed - held)
