"""Commands of a province's report schedule (lịch báo cáo): read it, replace it."""

from __future__ import annotations

from collections.abc import Sequence

from kh_saas.domain.report_schedule import Letterhead, ReportFlow, ReportSchedule, configure
from kh_saas.tenants.application import TenantApplication


def load_schedule(app: TenantApplication) -> ReportSchedule | None:
    found = app.get_many([ReportSchedule.create_id()]).get(ReportSchedule.create_id())
    return found if isinstance(found, ReportSchedule) else None


def set_schedule(
    app: TenantApplication,
    flows: Sequence[ReportFlow],
    letterhead: Letterhead,
    actor: str,
) -> ReportSchedule:
    """Record the flows (re-routed at the reform) and the letterhead as one event."""
    schedule = configure(load_schedule(app), flows, letterhead, actor)
    app.save(schedule)
    return schedule
