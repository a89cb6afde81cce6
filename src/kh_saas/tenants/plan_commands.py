"""Commands on a province's plans (kế hoạch) and yearly statistics (số liệu thống kê)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from kh_saas.domain.errors import Conflict
from kh_saas.domain.plans import Phase, Plan, PlanIssuer, Target
from kh_saas.domain.statistics import CommuneFigures, YearStatistics, check_figures
from kh_saas.tenants.application import TenantApplication


class PlanCommands:
    def __init__(self, app: TenantApplication, communes: frozenset[str]) -> None:
        self.app = app
        self.communes = communes

    def adopt_plan(
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
    ) -> Plan:
        plan = Plan(
            number=number,
            name=name,
            issuer=issuer,
            signed_on=signed_on,
            phases=phases,
            targets=targets,
            template=template,
            legal_basis=legal_basis,
            actor=actor,
        )
        self.app.save(plan)
        return plan

    def plan(self, plan_id: UUID) -> Plan:
        return self.app.load(Plan, plan_id, "plan")

    def record_statistics(
        self, year: int, communes: tuple[CommuneFigures, ...], source: str, actor: str
    ) -> YearStatistics:
        """Replace the year's figures whole (the earlier ones stay in the history)."""
        check_figures(communes, self.communes)
        ident = YearStatistics.create_id(year)
        existing = self.app.get_many([ident]).get(ident)
        if isinstance(existing, YearStatistics):
            existing.replace(communes=communes, source=source, actor=actor)
            stats = existing
        else:
            stats = YearStatistics(year=year, communes=communes, source=source, actor=actor)
        try:
            self.app.save(stats)
        except IntegrityError as exc:  # another submission for the year committed meanwhile
            raise Conflict("conflict", f"the {year} statistics changed meanwhile; retry") from exc
        return stats
