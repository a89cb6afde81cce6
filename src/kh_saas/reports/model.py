"""What a report (báo cáo kết quả) holds: the JSON answer, and what XLSX and PDF print."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from kh_saas.domain.report_schedule import Letterhead, ReportFlow
from kh_saas.domain.vocabulary import Title
from kh_saas.targets.attainment import Attainment

CommuneStatus = Annotated[
    Literal["on_time", "late_entries", "nothing_recorded"],
    msgspec.Meta(
        description="`nothing_recorded`: no recognition, nomination or award of the period "
        "by the deadline; `late_entries`: some were recorded after it; else `on_time`."
    ),
]


class Deadline(msgspec.Struct, kw_only=True):
    """The communes' report the province compiles from, and the moment it was due."""

    due_on: date
    #: 00:00 of ``due_on`` in Vietnam ("trước ngày"): the report's default ``as_of``.
    cutoff: datetime
    flow: ReportFlow


class Late(msgspec.Struct, kw_only=True):
    """What was recorded after the report's ``as_of`` (the deadline unless ``as_of`` was
    given) and before the report was built."""

    recognitions: int = 0
    revocations: int = 0
    nominations: int = 0
    awards: int = 0
    annulments: int = 0

    @property
    def any(self) -> bool:
        return any(msgspec.structs.astuple(self))


class Counts(msgspec.Struct, kw_only=True):
    """Counts of one commune (or the province) for the report's period."""

    recognised: dict[Title, int]
    revoked: int
    nominations: int
    awards: int
    annulled_awards: int
    #: Subjects registered (all kinds) as of the report's ``as_of``.
    subjects: int

    @property
    def recorded_anything(self) -> bool:
        return bool(sum(self.recognised.values()) or self.nominations or self.awards)


class CommuneLine(msgspec.Struct, kw_only=True):
    code: str | None
    name: str
    counts: Counts
    recorded_after_deadline: Late
    status: CommuneStatus


class TitleLine(msgspec.Struct, kw_only=True):
    """Recognitions of one title, tier and level (and year, in a phase report)."""

    title: Title
    label: str
    tier: str
    level: int | None
    year: int
    recognised: int
    revoked: int


class DecisionLine(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    signed_on: date
    issuer_name: str
    title: str | None
    tier: str | None
    level: int | None
    year: int | None
    recipient_count: int


class AwardLine(msgspec.Struct, kw_only=True):
    form: str
    form_label: str
    occasion: str
    occasion_label: str
    awards: int
    annulled: int
    bonus_vnd: int


class RevocationLine(msgspec.Struct, kw_only=True):
    """A revocation of titles (thu hồi) or an annulment of awards (hủy bỏ) signed in the
    period."""

    kind: Literal["revocation", "annulment"]
    number: str
    signed_on: date
    issuer_name: str
    count: int
    reason: str | None


class Summary(msgspec.Struct, kw_only=True):
    province: Counts
    communes: int
    communes_reporting: int
    communes_without_records: int
    communes_with_late_entries: int
    recorded_after_deadline: Late
    decisions: int
    revocation_decisions: int
    award_decisions: int
    bonus_vnd: int


class Report(msgspec.Struct, kw_only=True):
    """Báo cáo kết quả: ``annual`` for one year, ``phase`` for a sơ kết / tổng kết."""

    kind: Literal["annual", "phase"]
    province_code: str
    province_name: str
    #: ``2025`` for an annual report, ``2021-2025`` for a phase.
    period: str
    first_year: int
    last_year: int
    review: Literal["interim_review", "final_review"] | None
    deadline: Deadline | None
    #: The registers as they stood at this moment of recording.
    as_of: datetime
    built_at: datetime
    #: The registers' log position the report was read at (``KH-Position``).
    position: int
    summary: Summary
    communes: list[CommuneLine]
    communes_without_records: list[CommuneLine]
    #: Records kept under a legacy commune the conversion table does not map.
    unmapped: list[CommuneLine]
    titles: list[TitleLine]
    decisions: list[DecisionLine]
    awards: list[AwardLine]
    revocations: list[RevocationLine]
    #: Kết quả thực hiện chỉ tiêu of ``last_year`` (held on 31/12) as of the same moment,
    #: against the adopted plan's targets (``plan`` is null until one is adopted).
    attainment: Attainment | None = None
    letterhead: Letterhead | None = None
