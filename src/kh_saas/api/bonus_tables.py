"""The bonus tables and base salary in force over time (mức tiền thưởng, lương cơ sở).

National data, the same for every province, served as the domain holds it: each figure with
its decree and how sure we are of it, so an official can check what a decision was paid from.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath

from kh_saas.api.auth import roles
from kh_saas.api.problems import problem_responses
from kh_saas.domain.award_vocabulary import AwardForm
from kh_saas.domain.bonus import BASE_SALARY, BONUS_TABLES, ROUND_TO, BonusTable
from kh_saas.tenants.roles import Role

READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)


class BaseSalaryOut(msgspec.Struct, kw_only=True):
    since: date
    vnd: Annotated[int, msgspec.Meta(description="Lương cơ sở, VND per month")]
    source: str
    confidence: str


class FormMultiplier(msgspec.Struct, kw_only=True):
    form: AwardForm
    individual: Annotated[Decimal, msgspec.Meta(description="Multiple of the base salary")]
    household: Decimal
    collective: Decimal


class BonusTableOut(msgspec.Struct, kw_only=True):
    since: date
    until: date | None
    source: str
    confidence: str
    multipliers: list[FormMultiplier]
    notes: list[str]


class BonusTables(msgspec.Struct, kw_only=True):
    rounding: Annotated[str, msgspec.Meta(description="How an amount is rounded once multiplied")]
    round_to_vnd: int
    base_salary: list[BaseSalaryOut]
    tables: list[BonusTableOut]


def _table_out(table: BonusTable, until: date | None) -> BonusTableOut:
    return BonusTableOut(
        since=table.since,
        until=until,
        source=table.source,
        confidence=table.confidence,
        multipliers=[
            FormMultiplier(
                form=form,
                individual=m,
                household=m * table.household,
                collective=m * table.collective,
            )
            for form, m in table.individual.items()
        ],
        notes=list(table.notes),
    )


def bonus_tables() -> BonusTables:
    ends = [t.since - timedelta(days=1) for t in BONUS_TABLES[1:]] + [None]
    return BonusTables(
        rounding="nearest ten thousand đồng, halves up (làm tròn số lên hàng chục nghìn đồng)",
        round_to_vnd=ROUND_TO,
        base_salary=[
            BaseSalaryOut(since=b.since, vnd=b.vnd, source=b.source, confidence=b.confidence)
            for b in BASE_SALARY
        ],
        tables=[_table_out(t, end) for t, end in zip(BONUS_TABLES, ends, strict=True)],
    )


class BonusTableController(Controller):
    path = "/v1/t/{slug:str}/bonus-tables"
    tags = ["awards"]  # noqa: RUF012

    @get(
        "/",
        opt=roles(*READERS),
        summary="Bonus multipliers and the base salary, dated, with their decrees",
        description="Bonus = multiplier × base salary on the decision date, rounded to ten "
        "thousand đồng; the association's own certificates carry no state bonus.",
        responses=problem_responses(401, 403, 404),
    )
    async def read(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> BonusTables:
        return bonus_tables()
