"""The authority matrix (thẩm quyền): who evaluates, receives and decides each title.

Keyed by (title, tier, level) and effective-dated, because the answer changed on 1 July 2025
when the district tier ended. National defaults for before and after that date ship here; a
tenant admin replaces its own rows (``AuthorityMatrix`` aggregate).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.errors import RuleViolation
from kh_saas.domain.ids import stable_id
from kh_saas.domain.vocabulary import Scheme, Tier, Title, scheme_for

REFORM_DATE = date(2025, 7, 1)  # two-tier local government: no district tier from this day


class Office(StrEnum):
    """Deciding office (người có thẩm quyền quyết định công nhận)."""

    COMMUNE_CHAIRMAN = "commune_chairman"  # Chủ tịch UBND xã
    DISTRICT_CHAIRMAN = "district_chairman"  # Chủ tịch UBND huyện (historical)
    DISTRICT_EDUCATION_HEAD = "district_education_head"  # Trưởng phòng GD&ĐT huyện (historical)
    PROVINCE_EDUCATION_DIRECTOR = "province_education_director"  # Giám đốc Sở GD&ĐT
    PROVINCE_CHAIRMAN = "province_chairman"  # Chủ tịch UBND tỉnh
    EDUCATION_MINISTER = "education_minister"  # Bộ trưởng Bộ GD&ĐT
    COMMUNE_ASSOCIATION = "commune_association"  # Hội Khuyến học xã (giấy công nhận)


MonthDay = Annotated[str, msgspec.Meta(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]


class AuthorityRow(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One row: for (title, tier, level) between two dates, who does what, by when."""

    title: Title
    tier: Tier
    level: Annotated[int, msgspec.Meta(ge=1, le=2)] | None = None
    evaluating_body: str
    receiving_body: str
    deciding_office: Office
    #: Day and month of year N+1 by which the dossier must be received (None: local practice).
    dossier_deadline: MonthDay | None = None
    decision_deadline: MonthDay | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    #: May the office recognise subjects without a nomination (bulk annual bình xét)?
    direct_allowed: bool = False
    source: str = ""

    def key(self) -> tuple[Title, Tier, int | None]:
        return (self.title, self.tier, self.level)

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


_BEFORE = date(2025, 6, 30)


def _levels(title: Title, tier: Tier, valid_from: date | None) -> tuple[int | None, ...]:
    return (1, 2) if scheme_for(title, tier, _year(valid_from)) is Scheme.LEVELS else (None,)


def _year(valid_from: date | None) -> int | None:
    """The first assessment year a row decides: rows from 1 July 2025 decide 2025 onward."""
    return None if valid_from is None else valid_from.year


def _rows(
    title: Title,
    tier: Tier,
    *,
    evaluating: str,
    receiving: str,
    office: Office,
    dossier: str | None = None,
    decision: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    direct: bool = False,
    source: str,
) -> list[AuthorityRow]:
    return [
        AuthorityRow(
            title=title,
            tier=tier,
            level=level,
            evaluating_body=evaluating,
            receiving_body=receiving,
            deciding_office=office,
            dossier_deadline=dossier,
            decision_deadline=decision,
            valid_from=valid_from,
            valid_to=valid_to,
            direct_allowed=direct,
            source=source,
        )
        for level in _levels(title, tier, valid_from)
    ]


def _association_rows() -> list[AuthorityRow]:
    """Household, clan, village community, commune-managed unit, citizen: the commune decides
    on the association's proposal, in bulk at the yearly bình xét (local practice)."""
    rows: list[AuthorityRow] = []
    for title, tier in [
        (Title.LEARNING_HOUSEHOLD, Tier.COMMUNE),
        (Title.LEARNING_CLAN, Tier.COMMUNE),
        (Title.LEARNING_COMMUNITY, Tier.VILLAGE),
        (Title.LEARNING_UNIT, Tier.COMMUNE),
        (Title.LEARNING_CITIZEN, Tier.COMMUNE),
    ]:
        rows += _rows(
            title,
            tier,
            evaluating="Chi hội / Hội Khuyến học xã (bình xét)",
            receiving="UBND xã",
            office=Office.COMMUNE_CHAIRMAN,
            direct=title in (Title.LEARNING_HOUSEHOLD, Title.LEARNING_CITIZEN),
            source="QĐ 448/QĐ-KHVN (2015); local practice, configurable per province",
        )
    return rows


def default_matrix() -> tuple[AuthorityRow, ...]:
    """National defaults before and after 1 July 2025 (see ``docs/rules.md``)."""
    c, u = Title.LEARNING_COMMUNITY, Title.LEARNING_UNIT
    tt25, tt24 = "TT 25/2023/TT-BGDĐT", "TT 24/2023/TT-BGDĐT"
    reform = (
        "NĐ 142/2025/NĐ-CP and TT 10/2025/TT-BGDĐT (district powers divided between province "
        "and commune); MOET's 2025 amendments to TT 24/25 not found: probable"
    )
    rows = [
        *_association_rows(),
        # Before the reform (three-tier government).
        *_rows(c, Tier.COMMUNE, evaluating="UBND xã", receiving="Phòng GD&ĐT huyện",
               office=Office.DISTRICT_EDUCATION_HEAD, dossier="02-28", decision="03-31",
               valid_to=_BEFORE, source=tt25),
        *_rows(c, Tier.DISTRICT, evaluating="UBND huyện", receiving="Sở GD&ĐT",
               office=Office.PROVINCE_EDUCATION_DIRECTOR, dossier="04-30", decision="05-31",
               valid_to=_BEFORE, source=tt25),
        *_rows(u, Tier.DISTRICT, evaluating="Tổ đánh giá của đơn vị", receiving="Phòng GD&ĐT huyện",
               office=Office.DISTRICT_CHAIRMAN, dossier="01-15", decision="02-15",
               valid_to=_BEFORE, source=tt24),
        # After the reform: the commune tier's reviewer moves to the province.
        *_rows(c, Tier.COMMUNE, evaluating="UBND xã", receiving="Sở GD&ĐT",
               office=Office.PROVINCE_EDUCATION_DIRECTOR, dossier="02-28", decision="03-31",
               valid_from=REFORM_DATE, source=f"{tt25}; {reform}"),
        # After the reform the district tier's units are commune-managed: the commune
        # chairman recognises them at commune tier, as the district chairman did.
        *_rows(u, Tier.COMMUNE, evaluating="Tổ đánh giá của đơn vị", receiving="UBND xã",
               office=Office.COMMUNE_CHAIRMAN, dossier="01-15", decision="02-15",
               valid_from=REFORM_DATE, source=f"{tt24}; {reform}"),
        # Unchanged by the reform.
        *_rows(c, Tier.PROVINCE, evaluating="UBND tỉnh", receiving="Bộ GD&ĐT",
               office=Office.EDUCATION_MINISTER, source=tt25),
        *_rows(u, Tier.PROVINCE, evaluating="Tổ đánh giá của đơn vị", receiving="Sở GD&ĐT",
               office=Office.PROVINCE_CHAIRMAN, dossier="01-15", source=tt24),
    ]  # fmt: skip
    return tuple(rows)


def check_rows(rows: Sequence[AuthorityRow]) -> None:
    """Rows for one key must not overlap in time; district rows must end before the reform."""
    by_key: dict[tuple[Title, Tier, int | None], list[AuthorityRow]] = {}
    for index, row in enumerate(rows):
        field = f"rows[{index}]"
        if row.valid_from and row.valid_to and row.valid_to < row.valid_from:
            raise RuleViolation("deciding_authority", "valid_to is before valid_from", field=field)
        if row.tier is Tier.DISTRICT and (row.valid_to is None or row.valid_to >= REFORM_DATE):
            raise RuleViolation(
                "district_tier_ended",
                "a district-tier row must end before 1 July 2025",
                field=f"{field}.valid_to",
            )
        scheme = scheme_for(row.title, row.tier, _year(row.valid_from))
        if (row.level is None) != (scheme is Scheme.POINTS):
            raise RuleViolation(
                "levels_scheme",
                f"{row.title} at {row.tier} tier "
                + ("needs a level (1 or 2)" if row.level is None else "has no levels"),
                field=f"{field}.level",
            )
        for other in by_key.setdefault(row.key(), []):
            if _overlap(row, other):
                raise RuleViolation(
                    "deciding_authority",
                    f"two rows for {row.title}/{row.tier}/level {row.level} overlap in time",
                    field=field,
                )
        by_key[row.key()].append(row)


def _overlap(a: AuthorityRow, b: AuthorityRow) -> bool:
    start_a, start_b = a.valid_from or date.min, b.valid_from or date.min
    end_a, end_b = a.valid_to or date.max, b.valid_to or date.max
    return start_a <= end_b and start_b <= end_a


def row_for(
    rows: Iterable[AuthorityRow], title: Title, tier: Tier, level: int | None, on: date
) -> AuthorityRow | None:
    """The row in force on ``on`` for the key, or ``None`` (nobody may decide it then)."""
    for row in rows:
        if row.key() == (title, tier, level) and row.in_force(on):
            return row
    return None


class AuthorityMatrix(Aggregate):
    """Ma trận thẩm quyền of one province: its own rows, replacing the national defaults."""

    @staticmethod
    def create_id() -> UUID:
        return stable_id("authority-matrix")

    @event("Configured")
    def __init__(self, *, rows: tuple[AuthorityRow, ...], actor: str) -> None:
        check_rows(rows)
        self.rows = rows

    @event("Replaced")
    def replace(self, *, rows: tuple[AuthorityRow, ...], actor: str) -> None:
        check_rows(rows)
        self.rows = rows
