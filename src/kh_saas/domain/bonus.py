"""Tiền thưởng: multiplier × the base salary (lương cơ sở) in force on the decision date.

Both tables are dated; the law changes them, decisions keep the figures they were made with.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from kh_saas.domain.award_vocabulary import AwardForm, RecipientKind

#: (from, VND/month). NĐ 38/2019 (1/7/2019), NĐ 24/2023 (1/7/2023), NĐ 73/2024 (1/7/2024).
BASE_SALARY: tuple[tuple[date, int], ...] = (
    (date(2019, 7, 1), 1_490_000),
    (date(2023, 7, 1), 1_800_000),
    (date(2024, 7, 1), 2_340_000),
)

_BEFORE_2025 = {  # NĐ 98/2023/NĐ-CP Art. 71–73 (individuals)
    AwardForm.PM_CERTIFICATE: Decimal("1.0"),
    AwardForm.PROVINCE_CERTIFICATE: Decimal("0.5"),
    AwardForm.MINISTRY_CERTIFICATE: Decimal("0.5"),
    AwardForm.COMMUNE_CERTIFICATE: Decimal("0.15"),
    AwardForm.AGENCY_CERTIFICATE: Decimal("0.3"),
    AwardForm.DISTRICT_CERTIFICATE: Decimal("0.3"),
}
_FROM_JULY_2025 = {  # NĐ 152/2025/NĐ-CP Art. 54 (individuals)
    AwardForm.PM_CERTIFICATE: Decimal("3.0"),
    AwardForm.PROVINCE_CERTIFICATE: Decimal("1.5"),
    AwardForm.MINISTRY_CERTIFICATE: Decimal("1.5"),
    AwardForm.COMMUNE_CERTIFICATE: Decimal("0.3"),
    AwardForm.AGENCY_CERTIFICATE: Decimal("0.3"),
    AwardForm.DISTRICT_CERTIFICATE: Decimal("0.3"),
}
#: (from, individual multipliers by form). Collectives: 2× individual under both decrees.
MULTIPLIERS: tuple[tuple[date, dict[AwardForm, Decimal]], ...] = (
    (date(2024, 1, 1), _BEFORE_2025),
    (date(2025, 7, 1), _FROM_JULY_2025),
)
#: Households receive 1.5× the individual bonus (NĐ 152/2025); collectives 2×.
KIND_FACTOR = {
    RecipientKind.INDIVIDUAL: Decimal(1),
    RecipientKind.HOUSEHOLD: Decimal("1.5"),
    RecipientKind.COLLECTIVE: Decimal(2),
}


def _in_force(table: tuple[tuple[date, object], ...], on: date) -> object | None:
    found = None
    for since, value in table:
        if since <= on:
            found = value
    return found


def base_salary(on: date) -> int:
    value = _in_force(BASE_SALARY, on)
    return int(value) if isinstance(value, int) else BASE_SALARY[0][1]


def multiplier(form: AwardForm, kind: RecipientKind, on: date) -> Decimal:
    """Multiple of the base salary; 0 for the association's own certificates (no state budget)."""
    table = _in_force(MULTIPLIERS, on)
    per_form = table if isinstance(table, dict) else _BEFORE_2025
    return per_form.get(form, Decimal(0)) * KIND_FACTOR[kind]


def bonus(form: AwardForm, kind: RecipientKind, on: date) -> int:
    """VND, rounded to the nearest 1,000 as paid."""
    amount = multiplier(form, kind, on) * base_salary(on)
    return int((amount / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 1000)
