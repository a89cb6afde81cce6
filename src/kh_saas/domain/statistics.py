"""Số liệu thống kê: each commune's denominators for a year (how many households, clans,
villages, organisations, workers and cadres it has), the basis of every target's share.

One aggregate per province and year; each submission replaces the year's figures whole and
the earlier ones stay in its history (an auditor sees what the percentages were built on).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.errors import DomainError
from kh_saas.domain.ids import stable_id
from kh_saas.domain.plans import Denominator

Count = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]


class CommuneFigures(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One commune's counts (a missing count: the commune has no figure for it)."""

    commune_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{5}$")]
    households: Count | None = None
    clans: Count | None = None
    villages: Count | None = None
    organisations: Count | None = None
    workers: Count | None = None
    cadres: Count | None = None

    def count(self, denominator: Denominator) -> int | None:
        value: int | None = getattr(self, denominator.value)
        return value


def check_figures(rows: tuple[CommuneFigures, ...], communes: frozenset[str]) -> None:
    """Today's communes of the province, each once."""
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.commune_code not in communes:
            raise DomainError(
                "validation_failed",
                f"{row.commune_code} is not a commune of this province (since 1 July 2025)",
                field=f"communes[{i}].commune_code",
            )
        if row.commune_code in seen:
            raise DomainError(
                "validation_failed",
                f"{row.commune_code} is listed twice",
                field=f"communes[{i}].commune_code",
            )
        seen.add(row.commune_code)


class YearStatistics(Aggregate):
    """The province's figures for one year, commune by commune."""

    @staticmethod
    def create_id(year: int) -> UUID:
        return stable_id("statistics", str(year))

    @event("Recorded")
    def __init__(
        self, *, year: int, communes: tuple[CommuneFigures, ...], source: str, actor: str
    ) -> None:
        self.year = year
        self.communes = communes
        self.source = source

    @event("Replaced")
    def replace(self, *, communes: tuple[CommuneFigures, ...], source: str, actor: str) -> None:
        self.communes = communes
        self.source = source
