"""Plans and yearly statistics read straight from the province's event store (asyncpg).

Both are few and small (a province adopts a handful of plans; one statistics aggregate per
year of about a hundred communes), so they are read from their events rather than through a
projection: the plan events through their own partial index (tenant migration 50), the
statistics by their deterministic ids. ``as_of`` keeps the events recorded by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from kh_saas.domain.plans import Phase, PlanIssuer, Target
from kh_saas.domain.statistics import CommuneFigures, YearStatistics
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident

PLAN_ADOPTED = "kh_saas.domain.plans:Plan.Adopted"
STATISTICS_RECORDED = "kh_saas.domain.statistics:YearStatistics.Recorded"
STATISTICS_REPLACED = "kh_saas.domain.statistics:YearStatistics.Replaced"
#: Earliest year statistics are looked for when a year has none of its own.
FIRST_YEAR = 2015

_raw = msgspec.json.Decoder(dict[str, Any])


@dataclass(frozen=True)
class PlanRecord:
    """A plan as adopted (what the read side needs of it)."""

    id: UUID
    position: int
    recorded_at: datetime
    number: str
    name: str
    issuer: PlanIssuer
    signed_on: date
    phases: tuple[Phase, ...]
    targets: tuple[Target, ...]
    template: str | None
    legal_basis: str | None
    adopted_by: str

    def covers(self, year: int) -> bool:
        return any(p.start_year <= year <= p.end_year for p in self.phases)

    def phase_of(self, year: int) -> Phase | None:
        return next((p for p in self.phases if p.start_year <= year <= p.end_year), None)


@dataclass(frozen=True)
class StatisticsRecord:
    year: int
    version: int
    recorded_at: datetime
    source: str
    communes: tuple[CommuneFigures, ...]


def _events(schema: str) -> str:
    return f"{quote_ident(schema)}.{EVENTS_TABLE}"


def _recorded_before(as_of: datetime | None, first: int) -> tuple[str, list[Any]]:
    if as_of is None:
        return "", []
    return (
        f" AND (convert_from(state, 'UTF8')::jsonb ->> 'timestamp')::timestamptz <= ${first}",
        [as_of],
    )


class _Adopted(msgspec.Struct, kw_only=True):
    """The stored state of ``Plan.Adopted`` (see :class:`kh_saas.domain.plans.Plan`)."""

    timestamp: datetime
    number: str
    name: str
    issuer: PlanIssuer
    signed_on: date
    phases: tuple[Phase, ...]
    targets: tuple[Target, ...]
    template: str | None = None
    legal_basis: str | None = None
    actor: str


def _plan(row: asyncpg.Record) -> PlanRecord:
    s = msgspec.convert(_raw.decode(row["state"]), _Adopted, strict=False)
    return PlanRecord(
        id=row["originator_id"],
        position=row["notification_id"],
        recorded_at=s.timestamp,
        number=s.number,
        name=s.name,
        issuer=s.issuer,
        signed_on=s.signed_on,
        phases=tuple(s.phases),
        targets=tuple(s.targets),
        template=s.template,
        legal_basis=s.legal_basis,
        adopted_by=s.actor,
    )


async def plans(
    conn: asyncpg.Connection, schema: str, *, as_of: datetime | None = None
) -> list[PlanRecord]:
    """Every plan adopted (by ``as_of``), in the order they were recorded."""
    extra, values = _recorded_before(as_of, 2)
    rows = await conn.fetch(
        f"SELECT originator_id, notification_id, state FROM {_events(schema)}"
        f" WHERE topic = $1{extra} ORDER BY notification_id",
        PLAN_ADOPTED,
        *values,
    )
    return [_plan(r) for r in rows]


async def plan(
    conn: asyncpg.Connection, schema: str, plan_id: UUID, *, as_of: datetime | None = None
) -> PlanRecord | None:
    extra, values = _recorded_before(as_of, 3)
    row = await conn.fetchrow(
        f"SELECT originator_id, notification_id, state FROM {_events(schema)}"
        f" WHERE originator_id = $1 AND topic = $2{extra}",
        plan_id,
        PLAN_ADOPTED,
        *values,
    )
    return None if row is None else _plan(row)


async def statistics(
    conn: asyncpg.Connection,
    schema: str,
    year: int,
    *,
    as_of: datetime | None = None,
    fall_back: bool = True,
) -> StatisticsRecord | None:
    """The year's figures as last recorded (by ``as_of``); with ``fall_back``, the latest
    earlier year's when the year has none (statistics are not re-entered every year)."""
    years = list(range(year, FIRST_YEAR - 1, -1)) if fall_back else [year]
    ids = {YearStatistics.create_id(y): y for y in years}
    extra, values = _recorded_before(as_of, 2)
    found = await conn.fetch(
        f"SELECT DISTINCT originator_id FROM {_events(schema)}"
        f" WHERE originator_id = ANY($1::uuid[]){extra}",
        list(ids),
        *values,
    )
    if not found:
        return None
    found_year = max(ids[r["originator_id"]] for r in found)
    latest = await conn.fetchrow(
        f"SELECT originator_version, state FROM {_events(schema)}"
        f" WHERE originator_id = $1{extra} ORDER BY originator_version DESC LIMIT 1",
        YearStatistics.create_id(found_year),
        *values,
    )
    assert latest is not None
    raw = _raw.decode(latest["state"])
    stamp = raw["timestamp"]
    return StatisticsRecord(
        year=found_year,
        version=latest["originator_version"],
        recorded_at=datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp,
        source=raw["source"],
        communes=msgspec.convert(raw["communes"], tuple[CommuneFigures, ...]),
    )
