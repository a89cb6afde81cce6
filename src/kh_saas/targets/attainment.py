"""Attainment of a plan's targets (kết quả thực hiện chỉ tiêu), per commune and province.

For each of today's communes and for the province, per title and denominator: ``held`` (the
subjects holding the title on 31/12 of the year, as known now or ``as_of`` a moment of
recording: a revocation voids a title, a lapsed one no longer counts), ``total`` (the
denominator: the year's statistics, else the latest earlier year's, or the subjects
registered with ``source="registered"``), ``percent``, the plan's ``target`` for its next
milestone, ``expected`` (the share due by this year on a straight line towards it), ``gap``
(subjects still to recognise to reach the target) and ``on_track`` (percent ≥ expected).

Records kept under pre-1 July 2025 communes count in the commune that succeeded them (a
split commune counts once, in its primary successor, so the province's sums stay exact).

:func:`compute_attainment` gathers the counts (asyncpg, read tables of the registers
projection and the event store); :func:`assemble` is the pure arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from kh_saas.domain.admin_units import SplitPolicy, roll_up_counts
from kh_saas.domain.errors import NotFound
from kh_saas.domain.plans import (
    DENOMINATOR_TITLE,
    Denominator,
    gap_to,
    milestone,
    percent_of,
)
from kh_saas.domain.vocabulary import Title
from kh_saas.projections.store import physical
from kh_saas.reference import communes_of, unit_names
from kh_saas.storage.migrations import quote_ident
from kh_saas.targets import store
from kh_saas.targets.store import PlanRecord, StatisticsRecord
from kh_saas.tenants.admin_units import conversion_successors

Source = Literal["statistics", "registered"]
#: (commune code as recorded, denominator) → count.
Counts = Mapping[tuple[str | None, Denominator], int]


class TitleAttainment(msgspec.Struct, kw_only=True):
    """One title against one denominator in one commune (or the province)."""

    title: Title
    denominator: Denominator
    held: int
    total: int | None
    percent: float | None
    target: float | None
    milestone_year: int | None
    expected: float | None
    gap: int | None
    on_track: bool | None


class CommuneAttainment(msgspec.Struct, kw_only=True):
    commune_code: str
    commune_name: str | None
    titles: list[TitleAttainment]


class ProvinceAttainment(msgspec.Struct, kw_only=True):
    """The province: every holder counted (those of no commune too), over the sum of the
    communes' denominators."""

    titles: list[TitleAttainment]


class PlanRef(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    name: str
    issuer: str
    signed_on: date
    phase: str | None


class Unassigned(msgspec.Struct, kw_only=True):
    """Holders counted in the province but in no commune of today (no commune recorded, or
    a legacy commune with no known successor)."""

    commune_code: str | None
    denominator: Denominator
    held: int


class Attainment(msgspec.Struct, kw_only=True):
    year: int
    valid_on: date
    as_of: datetime | None
    plan: PlanRef | None
    source: Source
    statistics_year: int | None
    province: ProvinceAttainment
    communes: list[CommuneAttainment]
    unassigned: list[Unassigned]


ORDER = tuple(Denominator)


def choose_plan(plans: list[PlanRecord], year: int, plan_id: UUID | None) -> PlanRecord | None:
    """The plan asked for; else the latest signed of those whose phases cover the year, else
    the latest signed of all (``None`` when the province has adopted none)."""
    if plan_id is not None:
        found = next((p for p in plans if p.id == plan_id), None)
        if found is None:
            raise NotFound("plan", plan_id)
        return found
    covering = [p for p in plans if p.covers(year)] or plans
    if not covering:
        return None
    return max(covering, key=lambda p: (p.signed_on, p.position))


def _row(
    plan: PlanRecord | None, year: int, d: Denominator, held: int, total: int | None
) -> TitleAttainment:
    mark = milestone(plan.phases, plan.targets, d, year) if plan else None
    pct = percent_of(held, total)
    return TitleAttainment(
        title=DENOMINATOR_TITLE[d],
        denominator=d,
        held=held,
        total=total,
        percent=pct,
        target=mark.target if mark else None,
        milestone_year=mark.year if mark else None,
        expected=mark.expected if mark else None,
        gap=gap_to(mark.target, held, total) if mark else None,
        on_track=None if mark is None or pct is None else pct >= mark.expected,
    )


def roll_up(
    counts: Counts, current: frozenset[str], province_code: str
) -> tuple[dict[tuple[str, Denominator], int], dict[tuple[str | None, Denominator], int]]:
    """Counts by today's communes, and what fits none (no commune, no known successor)."""
    successors = conversion_successors(province_code)
    by_current: dict[tuple[str, Denominator], int] = {}
    left: dict[tuple[str | None, Denominator], int] = {}
    legacy: dict[Denominator, dict[str, int]] = {}
    for (code, d), n in counts.items():
        if code is not None and code in current:
            by_current[code, d] = by_current.get((code, d), 0) + n
        elif code is not None and code in successors:
            legacy.setdefault(d, {})[code] = legacy.get(d, {}).get(code, 0) + n
        else:
            left[code, d] = left.get((code, d), 0) + n
    for d, olds in legacy.items():
        rolled = roll_up_counts(olds, successors, SplitPolicy.PRIMARY)
        for code, n in rolled.by_current.items():
            if code in current:
                by_current[code, d] = by_current.get((code, d), 0) + n
            else:  # a successor in another province: not this province's commune
                left[code, d] = left.get((code, d), 0) + n
        for code, n in rolled.unmapped.items():
            left[code, d] = left.get((code, d), 0) + n
    return by_current, left


def assemble(
    *,
    year: int,
    province_code: str,
    plan: PlanRecord | None,
    held: Counts,
    totals: Mapping[tuple[str, Denominator], int],
    source: Source,
    statistics_year: int | None,
    as_of: datetime | None,
) -> Attainment:
    """The pure part: counts in, the attainment table out."""
    current = communes_of(province_code)
    names = unit_names()
    by_commune, left = roll_up(held, current, province_code)
    communes = []
    for code in sorted(current):
        communes.append(
            CommuneAttainment(
                commune_code=code,
                commune_name=names.get(code),
                titles=[
                    _row(plan, year, d, by_commune.get((code, d), 0), totals.get((code, d)))
                    for d in ORDER
                ],
            )
        )
    province = []
    for d in ORDER:
        held_d = sum(n for (_, dd), n in by_commune.items() if dd is d)
        held_d += sum(n for (_, dd), n in left.items() if dd is d)
        given = [n for (_, dd), n in totals.items() if dd is d]
        province.append(_row(plan, year, d, held_d, sum(given) if given else None))
    return Attainment(
        year=year,
        valid_on=date(year, 12, 31),
        as_of=as_of,
        plan=None
        if plan is None
        else PlanRef(
            id=plan.id,
            number=plan.number,
            name=plan.name,
            issuer=plan.issuer.name,
            signed_on=plan.signed_on,
            phase=(p.label if (p := plan.phase_of(year)) else None),
        ),
        source=source,
        statistics_year=statistics_year,
        province=ProvinceAttainment(titles=province),
        communes=communes,
        unassigned=[
            Unassigned(commune_code=c, denominator=d, held=n)
            for (c, d), n in sorted(left.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
            if n
        ],
    )


# --- gathering the counts (asyncpg) ----------------------------------------------------------


def _visible(alias: str, as_of: datetime | None, param: int) -> str:
    if as_of is None:
        return f"{alias}.pos_to IS NULL"
    return f"{alias}.sys_from <= ${param} AND ({alias}.sys_to IS NULL OR {alias}.sys_to > ${param})"


_TITLE_DENOMINATOR = {
    Title.LEARNING_HOUSEHOLD.value: Denominator.HOUSEHOLDS,
    Title.LEARNING_CLAN.value: Denominator.CLANS,
    Title.LEARNING_COMMUNITY.value: Denominator.VILLAGES,
    Title.LEARNING_UNIT.value: Denominator.ORGANISATIONS,
}


def _citizen(category: str | None) -> Denominator:
    # A citizen without a category counts among the workers (người lao động): cadres are the
    # staff of learning units, recorded as such.
    return Denominator.CADRES if category == "cadre" else Denominator.WORKERS


async def held_counts(
    conn: asyncpg.Connection, schema: str, on: date, as_of: datetime | None = None
) -> dict[tuple[str | None, Denominator], int]:
    """Subjects holding each title on ``on`` by commune as recorded (communities: villages'
    only, the denominator being villages; citizens split into workers and cadres)."""
    rec = f"{quote_ident(schema)}.{physical('recognitions')}"
    subj = f"{quote_ident(schema)}.{physical('subjects')}"
    values: list[object] = [on]
    if as_of is not None:
        values.append(as_of)
    valid = (
        f"{_visible('r', as_of, 2)} AND NOT r.revoked AND r.signed_on <= $1 AND r.valid_until >= $1"
    )
    counts: dict[tuple[str | None, Denominator], int] = {}
    # A subject may hold two recognitions in force at once (last year's, valid through this
    # year, and this year's): count subjects. DISTINCT in a subquery hashes; count(DISTINCT)
    # sorts every group (twice as slow at a million rows), and the hash needs more than the
    # default work_mem not to spill (SET LOCAL: this transaction only).
    async with conn.transaction():
        await conn.execute("SET LOCAL work_mem = '64MB'")
        rows = await conn.fetch(
            f"SELECT c, t, count(*) AS n FROM (SELECT DISTINCT r.commune_code AS c,"
            f" r.title AS t, r.subject_id FROM {rec} r WHERE {valid} AND (r.title IN"
            f" ('learning_household', 'learning_clan', 'learning_unit')"
            f" OR (r.title = 'learning_community' AND r.tier = 'village'))) held"
            f" GROUP BY 1, 2",
            *values,
        )
    for r in rows:
        key = (r["c"], _TITLE_DENOMINATOR[r["t"]])
        counts[key] = counts.get(key, 0) + int(r["n"])
    rows = await conn.fetch(
        f"SELECT c, k, count(*) AS n FROM (SELECT DISTINCT r.commune_code AS c,"
        f" s.details ->> 'category' AS k, r.subject_id"
        f" FROM {rec} r LEFT JOIN {subj} s ON s.id = r.subject_id AND {_visible('s', as_of, 2)}"
        f" WHERE {valid} AND r.title = 'learning_citizen') held GROUP BY 1, 2",
        *values,
    )
    for r in rows:
        key = (r["c"], _citizen(r["k"]))
        counts[key] = counts.get(key, 0) + int(r["n"])
    return counts


async def registered_counts(
    conn: asyncpg.Connection, schema: str, as_of: datetime | None = None
) -> dict[tuple[str | None, Denominator], int]:
    """The subjects registered, as denominators (``source="registered"``)."""
    subj = f"{quote_ident(schema)}.{physical('subjects')}"
    rows = await conn.fetch(
        f"SELECT s.commune_code AS c, s.kind AS kind, s.details ->> 'community_kind' AS ck,"
        f" s.details ->> 'category' AS k, count(*) AS n FROM {subj} s"
        f" WHERE {_visible('s', as_of, 1)} GROUP BY 1, 2, 3, 4",
        *([as_of] if as_of is not None else []),
    )
    counts: dict[tuple[str | None, Denominator], int] = {}
    for r in rows:
        kind = r["kind"]
        d: Denominator | None
        if kind == "household":
            d = Denominator.HOUSEHOLDS
        elif kind == "clan":
            d = Denominator.CLANS
        elif kind == "community":
            d = Denominator.VILLAGES if r["ck"] == "village" else None
        elif kind == "unit":
            d = Denominator.ORGANISATIONS
        else:
            d = _citizen(r["k"])
        if d is not None:
            counts[r["c"], d] = counts.get((r["c"], d), 0) + int(r["n"])
    return counts


def statistics_totals(record: StatisticsRecord | None) -> dict[tuple[str, Denominator], int]:
    if record is None:
        return {}
    totals: dict[tuple[str, Denominator], int] = {}
    for row in record.communes:
        for d in ORDER:
            n = row.count(d)
            if n is not None:
                totals[row.commune_code, d] = n
    return totals


async def compute_attainment(
    conn: asyncpg.Connection,
    schema: str,
    province_code: str,
    year: int,
    *,
    plan_id: UUID | None = None,
    as_of: datetime | None = None,
    source: Source = "statistics",
) -> Attainment:
    """Attainment of ``year`` (held on 31/12) under the plan ``plan_id`` (default: see
    :func:`choose_plan`), as recorded by ``as_of`` (default: now). Raises
    :class:`~kh_saas.domain.errors.NotFound` for an unknown ``plan_id``."""
    chosen = choose_plan(await store.plans(conn, schema, as_of=as_of), year, plan_id)
    held = await held_counts(conn, schema, date(year, 12, 31), as_of)
    statistics_year: int | None = None
    if source == "registered":
        registered, _ = roll_up(
            await registered_counts(conn, schema, as_of), communes_of(province_code), province_code
        )
        totals: Mapping[tuple[str, Denominator], int] = registered
    else:
        record = await store.statistics(conn, schema, year, as_of=as_of)
        statistics_year = record.year if record else None
        totals = statistics_totals(record)
    return assemble(
        year=year,
        province_code=province_code,
        plan=chosen,
        held=held,
        totals=totals,
        source=source,
        statistics_year=statistics_year,
        as_of=as_of,
    )
