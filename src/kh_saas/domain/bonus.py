"""Tiền thưởng: multiplier × the base salary (lương cơ sở) in force on the decision date.

Both tables are dated data with their source and how sure we are of each figure; the law
changes them, and decisions keep the figures they were made with (``base_salary_vnd`` and each
recipient's ``bonus_vnd`` are stored). ``GET /v1/t/{slug}/bonus-tables`` serves them as they are.

Rounding: "Tiền thưởng sau khi nhân với hệ số mức lương cơ sở được làm tròn số lên hàng chục
nghìn đồng" (NĐ 91/2017 Art. 68.2; repeated in NĐ 98/2023's principles of bonus calculation).
The Ministry's worked examples round to the *nearest* ten thousand (223,500 → 220,000;
447,000 → 450,000), so that is what ``bonus`` does, halves going up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from kh_saas.domain.award_vocabulary import AwardForm, RecipientKind

ROUND_TO = 10_000  # VND: "làm tròn số lên hàng chục nghìn đồng"


@dataclass(frozen=True)
class BaseSalary:
    """Mức lương cơ sở from ``since`` (VND/month)."""

    since: date
    vnd: int
    source: str
    confidence: str


BASE_SALARY: tuple[BaseSalary, ...] = (
    BaseSalary(date(2019, 7, 1), 1_490_000, "NĐ 38/2019/NĐ-CP", "verified"),
    BaseSalary(date(2023, 7, 1), 1_800_000, "NĐ 24/2023/NĐ-CP", "verified"),
    BaseSalary(date(2024, 7, 1), 2_340_000, "NĐ 73/2024/NĐ-CP", "verified"),
    BaseSalary(
        date(2026, 7, 1),
        2_530_000,
        "NĐ 161/2026/NĐ-CP (reported in the press; the decree's text was not found)",
        "probable",
    ),
)


@dataclass(frozen=True)
class BonusTable:
    """Mức tiền thưởng of one decree: individual multipliers by form, and the factors for
    households and collectives over the individual bonus of the same form."""

    since: date
    source: str
    confidence: str
    individual: dict[AwardForm, Decimal]
    household: Decimal
    collective: Decimal
    notes: tuple[str, ...] = field(default=())


_D = Decimal
#: NĐ 91/2017 Art. 73 (Law 2003): PM 3.5, ministry/province 1.0, Giấy khen 0.3, commune 0.15.
_ND_91 = BonusTable(
    since=date(2017, 10, 1),
    source="NĐ 91/2017/NĐ-CP Art. 73.1 a, b, d; Art. 73.2 b (collectives 2×)",
    confidence="verified",
    individual={
        AwardForm.PM_CERTIFICATE: _D("3.5"),
        AwardForm.PROVINCE_CERTIFICATE: _D("1.0"),
        AwardForm.MINISTRY_CERTIFICATE: _D("1.0"),
        AwardForm.AGENCY_CERTIFICATE: _D("0.3"),
        AwardForm.DISTRICT_CERTIFICATE: _D("0.3"),
        AwardForm.COMMUNE_CERTIFICATE: _D("0.15"),
    },
    household=_D("1.5"),
    collective=_D(2),
    notes=("the household factor under NĐ 91/2017 was not pinned (probable)",),
)
#: NĐ 98/2023 Art. 58 (from 1/1/2024): the press quotes point g (commune chairman's Giấy khen)
#: and clause 2 c (collectives 2×); the remaining figures read as NĐ 91/2017's.
_ND_98 = BonusTable(
    since=date(2024, 1, 1),
    source="NĐ 98/2023/NĐ-CP Art. 58.1 (a–g), 58.2 c; figures as NĐ 91/2017 Art. 73",
    confidence="probable",
    individual=dict(_ND_91.individual),
    household=_D("1.5"),
    collective=_D(2),
    notes=(
        "Art. 58's own text was not found: PM 3.5, ministry/province 1.0, Giấy khen 0.3 and "
        "commune chairman's Giấy khen 0.15 are NĐ 91/2017's figures, which the press reports "
        "unchanged for 2024",
    ),
)
#: NĐ 152/2025 Art. 54.1 (from 1/7/2025): PM 3.5, ministry/province 1.5, Giấy khen 0.3.
_ND_152 = BonusTable(
    since=date(2025, 7, 1),
    source="NĐ 152/2025/NĐ-CP Art. 54.1 a, b (Vietnamese press quoting the decree); Giấy "
    "khen 0.3 and households 1.5× per the Ministry of Home Affairs' answers (laodong.vn)",
    confidence="verified",
    individual={
        AwardForm.PM_CERTIFICATE: _D("3.5"),
        AwardForm.PROVINCE_CERTIFICATE: _D("1.5"),
        AwardForm.MINISTRY_CERTIFICATE: _D("1.5"),
        AwardForm.AGENCY_CERTIFICATE: _D("0.3"),
        AwardForm.DISTRICT_CERTIFICATE: _D("0.3"),
        AwardForm.COMMUNE_CERTIFICATE: _D("0.3"),
    },
    household=_D("1.5"),
    collective=_D(2),
    notes=(
        "the district chairman's Giấy khen ended on 30/6/2025; its row is kept for completeness",
        "rounding to ten thousand is NĐ 98/2023's principle; NĐ 152/2025's own wording was "
        "not found (probable)",
    ),
)
BONUS_TABLES: tuple[BonusTable, ...] = (_ND_91, _ND_98, _ND_152)


def base_salary_row(on: date) -> BaseSalary:
    found = BASE_SALARY[0]
    for row in BASE_SALARY:
        if row.since <= on:
            found = row
    return found


def base_salary(on: date) -> int:
    return base_salary_row(on).vnd


def table_on(on: date) -> BonusTable:
    found = BONUS_TABLES[0]
    for table in BONUS_TABLES:
        if table.since <= on:
            found = table
    return found


def multiplier(form: AwardForm, kind: RecipientKind, on: date) -> Decimal:
    """Multiple of the base salary; 0 for the association's own certificates (no state budget)."""
    table = table_on(on)
    factor = {
        RecipientKind.INDIVIDUAL: Decimal(1),
        RecipientKind.HOUSEHOLD: table.household,
        RecipientKind.COLLECTIVE: table.collective,
    }[kind]
    return table.individual.get(form, Decimal(0)) * factor


def rounded(amount: Decimal) -> int:
    """To the nearest ten thousand đồng, halves up (223,500 → 220,000; 225,000 → 230,000)."""
    return int((amount / ROUND_TO).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * ROUND_TO


def bonus(form: AwardForm, kind: RecipientKind, on: date) -> int:
    """VND as paid: multiplier × base salary on the decision date, rounded to ten thousand."""
    return rounded(multiplier(form, kind, on) * base_salary(on))
