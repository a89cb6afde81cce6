"""Lịch báo cáo: who reports the movement's yearly results to whom, by which date.

Each province writes its own flows: seed 003 has communes report to the district before
10 November, seed 001 before 30 November, seed 000 before 1 December, seeds 002 and 004 before
5 December. The district tier ended on 1 July 2025, so a flow to or from a district cannot run
past 30 June 2025: :func:`reroute` cuts such a flow there and, unless the province said who
communes report to afterwards, routes communes to the province directly from 1 July 2025 with
their own due date and the recipient the districts reported to.

``due`` is the day named in "trước ngày …": the report is due *before* that day, so a report
reads the registers as they stood at 00:00 of it, Vietnam time (UTC+7, no summer time).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.authority import REFORM_DATE, MonthDay
from kh_saas.domain.errors import DomainError
from kh_saas.domain.ids import stable_id
from kh_saas.domain.vocabulary import Tier

VIETNAM = timezone(timedelta(hours=7), "ICT")
LAST_DISTRICT_DAY = REFORM_DATE - timedelta(days=1)
_RANK = {Tier.VILLAGE: 0, Tier.COMMUNE: 1, Tier.DISTRICT: 2, Tier.PROVINCE: 3}
REROUTED_SOURCE = "Chuyển luồng: cấp huyện kết thúc hoạt động từ ngày 01/7/2025"

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class ReportFlow(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Một luồng báo cáo: ``reporter`` tier reports to ``recipient`` before ``due`` yearly."""

    reporter: Tier
    recipient_tier: Tier
    recipient: Annotated[
        str, msgspec.Meta(min_length=1, max_length=300, examples=["Hội Khuyến học tỉnh"])
    ]
    #: ``MM-DD``: the report of year N is due before this day of year N.
    due: Annotated[MonthDay, msgspec.Meta(examples=["11-10"])]
    valid_from: date | None = None
    valid_to: date | None = None
    source: Annotated[str, msgspec.Meta(max_length=500)] = ""
    #: Made by :func:`reroute` when the district tier ended; a flow sent back as it was
    #: read stays as it is.
    rerouted: bool = False

    def due_on(self, year: int) -> date:
        """The due day in ``year``; "before 29/2" in a common year is before 1 March."""
        month, day = (int(p) for p in self.due.split("-"))
        if (month, day) == (2, 29) and not calendar.isleap(year):
            return date(year, 3, 1)
        return date(year, month, day)

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


class Letterhead(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the printed report carries (Decree 30/2020/NĐ-CP): issuer, place, signer, nơi nhận.

    Unset fields fall back to the province's own name (``ỦY BAN NHÂN DÂN TỈNH …``)."""

    superior: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    #: Tên cơ quan ban hành as printed, one line per ``\n``: ``ỦY BAN NHÂN DÂN\nTỈNH …``.
    issuer: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    #: How the body names it: ``Ủy ban nhân dân tỉnh Quảng Trị``.
    issuer_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    #: Ký hiệu after the number: ``BC-UBND`` gives ``Số: …/BC-UBND``.
    code: Annotated[str, msgspec.Meta(pattern=r"^BC(-[A-ZĐ0-9&]{1,12}){0,3}$")] = "BC-UBND"
    place: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    #: Lines above the signature: ``["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]``.
    authority: Annotated[list[Text], msgspec.Meta(max_length=4)] = msgspec.field(
        default_factory=lambda: ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    )
    signer_name: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    #: Nơi nhận; "Lưu: VT, …" is added when missing.
    recipients: Annotated[list[Text], msgspec.Meta(max_length=30)] = msgspec.field(
        default_factory=list
    )


class ScheduleError(DomainError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__("validation_failed", message, field=field)


def check_flows(flows: Sequence[ReportFlow]) -> None:
    """Each flow goes upward, its dates in order, and no two flows of one pair overlap."""
    for i, f in enumerate(flows):
        at = f"flows[{i}]"
        if _RANK[f.recipient_tier] <= _RANK[f.reporter]:
            raise ScheduleError(
                f"{f.reporter} reports upward, not to {f.recipient_tier}", f"{at}.recipient_tier"
            )
        try:
            f.due_on(2024)  # a leap year: 02-29 exists (in other years: before 1 March)
        except ValueError:
            raise ScheduleError(f"{f.due} is not a day of the year", f"{at}.due") from None
        if f.valid_from and f.valid_to and f.valid_to < f.valid_from:
            raise ScheduleError("valid_to is before valid_from", f"{at}.valid_to")
        district = Tier.DISTRICT in (f.reporter, f.recipient_tier)
        if district and f.valid_from is not None and f.valid_from >= REFORM_DATE:
            raise ScheduleError("there is no district tier from 1 July 2025", f"{at}.valid_from")
        for j, g in enumerate(flows[:i]):
            same = (g.reporter, g.recipient_tier, g.recipient) == (
                f.reporter,
                f.recipient_tier,
                f.recipient,
            )
            if same and _overlap(f, g):
                raise ScheduleError(f"overlaps flows[{j}] of the same reporter and recipient", at)


def _overlap(a: ReportFlow, b: ReportFlow) -> bool:
    lo = max(a.valid_from or date.min, b.valid_from or date.min)
    hi = min(a.valid_to or date.max, b.valid_to or date.max)
    return lo <= hi


def reroute(flows: Sequence[ReportFlow]) -> tuple[ReportFlow, ...]:
    """Cut district flows at 30 June 2025; route communes to the province from 1 July 2025
    where the province has not said otherwise (see the module's docstring)."""
    out: list[ReportFlow] = []
    cut: list[ReportFlow] = []
    for f in flows:
        crosses = f.valid_to is None or f.valid_to >= REFORM_DATE
        if Tier.DISTRICT in (f.reporter, f.recipient_tier) and crosses:
            out.append(msgspec.structs.replace(f, valid_to=LAST_DISTRICT_DAY))
            cut.append(f)
        else:
            out.append(f)
    direct_after = any(
        f.reporter is Tier.COMMUNE
        and f.recipient_tier is Tier.PROVINCE
        and (f.valid_to is None or f.valid_to >= REFORM_DATE)
        for f in out
    )
    if direct_after:
        return tuple(out)
    upward = [f for f in cut if f.reporter is Tier.DISTRICT and f.recipient_tier is Tier.PROVINCE]
    for f in cut:
        if f.reporter is not Tier.COMMUNE:
            continue
        recipients = [u.recipient for u in upward] or ["Cấp tỉnh"]
        for recipient in dict.fromkeys(recipients):
            out.append(
                ReportFlow(
                    reporter=Tier.COMMUNE,
                    recipient_tier=Tier.PROVINCE,
                    recipient=recipient,
                    due=f.due,
                    valid_from=REFORM_DATE,
                    valid_to=f.valid_to,
                    source=REROUTED_SOURCE,
                    rerouted=True,
                )
            )
    return tuple(out)


def flows_for_year(flows: Sequence[ReportFlow], year: int) -> list[ReportFlow]:
    """The flows in force on their own due date in ``year``, earliest due first."""
    found = [f for f in flows if f.in_force(f.due_on(year))]
    return sorted(found, key=lambda f: (f.due_on(year), _RANK[f.reporter], f.recipient))


def commune_deadline(flows: Sequence[ReportFlow], year: int) -> ReportFlow | None:
    """The communes' earliest report of ``year``: the moment a province report is built at."""
    return next((f for f in flows_for_year(flows, year) if f.reporter is Tier.COMMUNE), None)


def cutoff(day: date) -> datetime:
    """00:00 of ``day`` in Vietnam, as a UTC moment: "trước ngày" ``day``."""
    return datetime.combine(day, time(0), VIETNAM).astimezone(UTC)


class ReportSchedule(Aggregate):
    """Lịch báo cáo of one province: its flows and the letterhead of its printed report."""

    @staticmethod
    def create_id() -> UUID:
        return stable_id("report-schedule")

    @event("Configured")
    def __init__(
        self, *, flows: tuple[ReportFlow, ...], letterhead: Letterhead, actor: str
    ) -> None:
        self.flows = flows
        self.letterhead = letterhead

    @event("Replaced")
    def replace(self, *, flows: tuple[ReportFlow, ...], letterhead: Letterhead, actor: str) -> None:
        self.flows = flows
        self.letterhead = letterhead


def configure(
    found: ReportSchedule | None,
    flows: Sequence[ReportFlow],
    letterhead: Letterhead,
    actor: str,
) -> ReportSchedule:
    """Check and re-route the flows, then record them (a first configuration or a change)."""
    check_flows(flows)
    routed = reroute(flows)
    check_flows(routed)
    if found is None:
        return ReportSchedule(flows=routed, letterhead=letterhead, actor=actor)
    found.replace(flows=routed, letterhead=letterhead, actor=actor)
    return found
