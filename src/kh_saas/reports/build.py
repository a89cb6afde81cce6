"""Build a report from the registers as they stood at its deadline (``as_of``).

Every count is read twice in one repeatable-read snapshot: at ``as_of`` (what the report
states) and now (the difference is what was recorded after the deadline, per commune). Rows of
the read tables are versioned by recording time (``sys_from``/``sys_to``, see
:mod:`kh_saas.projections.model`), so "as it stood" is a filter, not a replay.

The period's records are: recognitions of its assessment years, nominations of those years,
awards and revocation/annulment decisions signed within its calendar years. Records kept under
a legacy commune (before 1 July 2025) count towards each of today's communes it went into
(split communes count in every successor, as the registers do); the province's totals count
each record once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from kh_saas.domain.admin_units import current_successors
from kh_saas.domain.vocabulary import Title
from kh_saas.projections.store import physical
from kh_saas.projections.worker import positions
from kh_saas.reference import communes_of, provinces, unit_names
from kh_saas.reports import labels
from kh_saas.reports.model import (
    AwardLine,
    CommuneLine,
    CommuneStatus,
    Counts,
    Deadline,
    DecisionLine,
    Late,
    Report,
    RevocationLine,
    Summary,
    TitleLine,
)
from kh_saas.storage.migrations import quote_ident
from kh_saas.targets.attainment import Source, compute_attainment
from kh_saas.tenants.admin_units import conversion_successors

#: Raw counters of one commune code: ``rec:<title>``, revoked, nominations, awards, annulled…
Tally = dict[str, int]
PROVINCE_LEVEL = "Cấp tỉnh, đơn vị không thuộc xã"
WORK_MEM = "64MB"


@dataclass(frozen=True)
class Period:
    first_year: int
    last_year: int
    kind: str  # annual | phase

    @property
    def label(self) -> str:
        if self.first_year == self.last_year:
            return str(self.first_year)
        return f"{self.first_year}-{self.last_year}"

    @property
    def first_day(self) -> date:
        return date(self.first_year, 1, 1)

    @property
    def last_day(self) -> date:
        return date(self.last_year, 12, 31)

    @property
    def review(self) -> str | None:
        """Sơ kết for a phase ending before 2030, tổng kết for one ending in 2030."""
        if self.kind != "phase":
            return None
        return "final_review" if self.last_year >= 2030 else "interim_review"


class _Reader:
    """The period's SQL over one tenant schema; ``at=None`` reads the current rows."""

    def __init__(self, conn: asyncpg.Connection, schema: str, period: Period) -> None:
        self.conn = conn
        self.schema = quote_ident(schema)
        self.period = period

    def table(self, name: str) -> str:
        return f"{self.schema}.{physical(name)} r"

    async def fetch(self, sql: str, at: datetime | None, *values: Any) -> list[asyncpg.Record]:
        n = len(values) + 1
        visible = (
            "r.pos_to IS NULL"
            if at is None
            else f"r.sys_from <= ${n} AND (r.sys_to IS NULL OR r.sys_to > ${n})"
        )
        args = (*values, at) if at is not None else values
        rows: list[asyncpg.Record] = await self.conn.fetch(sql.format(visible=visible), *args)
        return rows

    async def both(self, sql: str, at: datetime | None, *values: Any) -> list[asyncpg.Record]:
        """``sql`` once over the rows visible at ``at`` or now: ``{then}`` and ``{now}`` are
        the two visibility conditions (``{then}`` is ``{now}`` when ``at`` is ``None``), so
        each table is scanned once for both snapshots."""
        now = "r.pos_to IS NULL"
        if at is None:
            then, args = now, values
        else:
            n = len(values) + 1
            then = f"(r.sys_from <= ${n} AND (r.sys_to IS NULL OR r.sys_to > ${n}))"
            args = (*values, at)
        rows: list[asyncpg.Record] = await self.conn.fetch(
            sql.format(then=then, now=now), *args
        )
        return rows

    async def tallies(
        self, at: datetime | None
    ) -> tuple[dict[str | None, Tally], dict[str | None, Tally], list[TitleLine]]:
        """Counters per commune code as of ``at`` and now, and the titles as of ``at``."""
        p = self.period
        then: dict[str | None, Tally] = defaultdict(lambda: defaultdict(int))
        now: dict[str | None, Tally] = defaultdict(lambda: defaultdict(int))
        lines: dict[tuple[str, str, int | None, int], list[int]] = {}
        for r in await self.both(
            f"""SELECT r.commune_code, r.title, r.tier, r.level, r.year,
                       count(*) FILTER (WHERE {{then}}) AS n,
                       count(*) FILTER (WHERE {{then}} AND r.revoked) AS revoked,
                       count(*) FILTER (WHERE {{now}}) AS n_now,
                       count(*) FILTER (WHERE {{now}} AND r.revoked) AS revoked_now
                FROM {self.table("recognitions")}
                WHERE r.year BETWEEN $1 AND $2 AND ({{then}} OR {{now}})
                GROUP BY 1, 2, 3, 4, 5""",
            at, p.first_year, p.last_year,
        ):  # fmt: skip
            code, title = r["commune_code"], r["title"]
            then[code][f"rec:{title}"] += r["n"]
            then[code]["revoked"] += r["revoked"]
            now[code][f"rec:{title}"] += r["n_now"]
            now[code]["revoked"] += r["revoked_now"]
            if r["n"]:
                line = lines.setdefault((title, r["tier"], r["level"], r["year"]), [0, 0])
                line[0] += r["n"]
                line[1] += r["revoked"]
        for r in await self.both(
            f"""SELECT r.commune_code, count(*) FILTER (WHERE {{then}}) AS n,
                       count(*) FILTER (WHERE {{now}}) AS n_now
                FROM {self.table("nominations")}
                WHERE r.year BETWEEN $1 AND $2 AND ({{then}} OR {{now}}) GROUP BY 1""",
            at, p.first_year, p.last_year,
        ):  # fmt: skip
            then[r["commune_code"]]["nominations"] += r["n"]
            now[r["commune_code"]]["nominations"] += r["n_now"]
        for r in await self.both(
            f"""SELECT r.commune_code, count(*) FILTER (WHERE {{then}}) AS n,
                       count(*) FILTER (WHERE {{then}} AND r.annulled) AS annulled,
                       count(*) FILTER (WHERE {{now}}) AS n_now,
                       count(*) FILTER (WHERE {{now}} AND r.annulled) AS annulled_now
                FROM {self.table("awards")}
                WHERE r.signed_on BETWEEN $1 AND $2 AND ({{then}} OR {{now}}) GROUP BY 1""",
            at, p.first_day, p.last_day,
        ):  # fmt: skip
            code = r["commune_code"]
            then[code]["awards"] += r["n"]
            then[code]["annulled"] += r["annulled"]
            now[code]["awards"] += r["n_now"]
            now[code]["annulled"] += r["annulled_now"]
        for r in await self.both(
            f"""SELECT r.commune_code, count(*) FILTER (WHERE {{then}}) AS n,
                       count(*) FILTER (WHERE {{now}}) AS n_now
                FROM {self.table("subjects")} WHERE {{then}} OR {{now}} GROUP BY 1""",
            at,
        ):  # fmt: skip
            then[r["commune_code"]]["subjects"] += r["n"]
            now[r["commune_code"]]["subjects"] += r["n_now"]
        return then, now, _title_lines(lines)

    async def decisions(self, at: datetime | None) -> list[DecisionLine]:
        rows = await self.fetch(
            f"""SELECT r.id, r.number, r.signed_on, r.issuer_name, r.title, r.tier, r.level,
                       r.year, r.recipient_count
                FROM {self.table("decisions")}
                WHERE r.kind = 'recognition' AND r.year BETWEEN $1 AND $2 AND {{visible}}
                ORDER BY r.signed_on, r.number""",
            at, self.period.first_year, self.period.last_year,
        )  # fmt: skip
        return [DecisionLine(**dict(r)) for r in rows]

    async def awards(self, at: datetime | None) -> tuple[list[AwardLine], int, int]:
        rows = await self.fetch(
            f"""SELECT r.form, r.occasion, count(*) AS n,
                       count(*) FILTER (WHERE r.annulled) AS annulled,
                       coalesce(sum(r.bonus_vnd) FILTER (WHERE NOT r.annulled), 0) AS bonus
                FROM {self.table("awards")}
                WHERE r.signed_on BETWEEN $1 AND $2 AND {{visible}} GROUP BY 1, 2""",
            at, self.period.first_day, self.period.last_day,
        )  # fmt: skip
        forms = {f: i for i, f in enumerate(labels.FORMS)}
        occasions = {o: i for i, o in enumerate(labels.OCCASIONS)}
        lines = sorted(
            (
                AwardLine(
                    form=r["form"],
                    form_label=labels.label(labels.FORMS, r["form"]),
                    occasion=r["occasion"],
                    occasion_label=labels.label(labels.OCCASIONS, r["occasion"]),
                    awards=r["n"],
                    annulled=r["annulled"],
                    bonus_vnd=int(r["bonus"]),
                )
                for r in rows
            ),
            key=lambda a: (forms.get(a.form, 99), occasions.get(a.occasion, 99)),
        )
        count = await self.fetch(
            f"""SELECT count(*) AS n FROM {self.table("award_decisions")}
                WHERE r.kind = 'award' AND r.signed_on BETWEEN $1 AND $2 AND {{visible}}""",
            at, self.period.first_day, self.period.last_day,
        )  # fmt: skip
        return lines, int(count[0]["n"]), sum(a.bonus_vnd for a in lines)

    async def revocations(self, at: datetime | None) -> list[RevocationLine]:
        rows = await self.fetch(
            f"""SELECT 'revocation' AS kind, r.number, r.signed_on, r.issuer_name,
                       r.recipient_count AS count, r.reason
                FROM {self.table("decisions")}
                WHERE r.kind = 'revocation' AND r.signed_on BETWEEN $1 AND $2 AND {{visible}}
                UNION ALL
                SELECT 'annulment', r.number, r.signed_on, r.issuer_name, r.recipient_count,
                       r.reason
                FROM {self.table("award_decisions")}
                WHERE r.kind = 'annulment' AND r.signed_on BETWEEN $1 AND $2 AND {{visible}}
                ORDER BY 3, 2""",
            at, self.period.first_day, self.period.last_day,
        )  # fmt: skip
        return [RevocationLine(**dict(r)) for r in rows]


def _title_lines(lines: Mapping[tuple[str, str, int | None, int], list[int]]) -> list[TitleLine]:
    order = {t.value: i for i, t in enumerate(Title)}
    out = [
        TitleLine(
            title=Title(title),
            label=labels.TITLES.get(title, title),
            tier=tier,
            level=level,
            year=year,
            recognised=n,
            revoked=revoked,
        )
        for (title, tier, level, year), (n, revoked) in lines.items()
    ]
    return sorted(out, key=lambda t: (t.year, order.get(t.title, 99), t.tier, t.level or 0))


def _counts(t: Mapping[str, int]) -> Counts:
    return Counts(
        recognised={title: t.get(f"rec:{title}", 0) for title in Title},
        revoked=t.get("revoked", 0),
        nominations=t.get("nominations", 0),
        awards=t.get("awards", 0),
        annulled_awards=t.get("annulled", 0),
        subjects=t.get("subjects", 0),
    )


def _late(then: Mapping[str, int], now: Mapping[str, int]) -> Late:
    def grew(key: str) -> int:
        return max(0, now.get(key, 0) - then.get(key, 0))

    recognised = sum(grew(f"rec:{t}") for t in Title)
    return Late(
        recognitions=recognised,
        revocations=grew("revoked"),
        nominations=grew("nominations"),
        awards=grew("awards"),
        annulments=grew("annulled"),
    )


def _add(into: Tally, t: Mapping[str, int]) -> None:
    for k, v in t.items():
        into[k] = into.get(k, 0) + v


@dataclass
class _RolledUp:
    communes: dict[str, Tally]
    province_level: Tally
    unmapped: dict[str, Tally]


def _roll_up(raw: Mapping[str | None, Tally], province_code: str) -> _RolledUp:
    current = communes_of(province_code)
    successors = conversion_successors(province_code)
    out = _RolledUp({c: {} for c in current}, {}, {})
    for code, tally in raw.items():
        if code is None:
            _add(out.province_level, tally)
        elif code in current:
            _add(out.communes[code], tally)
        else:
            targets = [c for c in current_successors(code, successors) if c in current]
            for target in targets:
                _add(out.communes[target], tally)
            if not targets:
                _add(out.unmapped.setdefault(code, {}), tally)
    return out


def _line(code: str | None, name: str, then: Tally, now: Tally | None) -> CommuneLine:
    counts = _counts(then)
    late = _late(then, now) if now is not None else Late()
    status: CommuneStatus = (
        "nothing_recorded"
        if not counts.recorded_anything
        else "late_entries"
        if late.any
        else "on_time"
    )
    return CommuneLine(
        code=code, name=name, counts=counts, recorded_after_deadline=late, status=status
    )


def _total(raw: Mapping[str | None, Tally]) -> Tally:
    total: Tally = {}
    for t in raw.values():
        _add(total, t)
    return total


async def build_report(
    conn: asyncpg.Connection,
    *,
    schema: str,
    province_code: str,
    period: Period,
    as_of: datetime | None,
    deadline: Deadline | None,
    plan_id: UUID | None = None,
    source: Source = "statistics",
) -> Report:
    """The report of ``period`` as the registers stood at ``as_of`` (``None``: now), with
    the attainment of its last year under ``plan_id`` (default: the plan covering it)."""
    built_at = datetime.now(UTC)
    at = as_of if as_of is not None and as_of < built_at else None
    names = unit_names()
    reader = _Reader(conn, schema, period)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        # A few hundred groups, but the planner guesses tens of thousands and would sort
        # 600,000 rows on disk at the default 4 MB: hashing in memory halves the time.
        await conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        position = (await positions(conn, schema)).get("registers", 0)
        then, current, titles = await reader.tallies(at)
        now = current if at is not None else None
        decisions = await reader.decisions(at)
        awards, award_decisions, bonus = await reader.awards(at)
        revocations = await reader.revocations(at)
        attainment = await compute_attainment(
            conn, schema, province_code, period.last_year, plan_id=plan_id, as_of=at, source=source
        )
    rolled_then = _roll_up(then, province_code)
    rolled_now = _roll_up(now, province_code) if now is not None else None

    communes = [
        _line(
            code,
            names.get(code, code),
            tally,
            rolled_now.communes[code] if rolled_now is not None else None,
        )
        for code, tally in sorted(rolled_then.communes.items())
    ]
    extra: list[CommuneLine] = []
    if rolled_then.province_level or (rolled_now and rolled_now.province_level):
        extra.append(
            _line(
                None,
                PROVINCE_LEVEL,
                rolled_then.province_level,
                rolled_now.province_level if rolled_now else None,
            )
        )
    unmapped_codes = set(rolled_then.unmapped) | set(rolled_now.unmapped if rolled_now else ())
    unmapped = [
        _line(
            code,
            names.get(code, code),
            rolled_then.unmapped.get(code, {}),
            rolled_now.unmapped.get(code, {}) if rolled_now else None,
        )
        for code in sorted(unmapped_codes)
    ]
    total_then = _total(then)
    total_now = _total(now) if now is not None else None
    silent = [c for c in communes if c.status == "nothing_recorded"]
    summary = Summary(
        province=_counts(total_then),
        communes=len(communes),
        communes_reporting=len(communes) - len(silent),
        communes_without_records=len(silent),
        communes_with_late_entries=sum(1 for c in communes if c.recorded_after_deadline.any),
        recorded_after_deadline=_late(total_then, total_now) if total_now is not None else Late(),
        decisions=len(decisions),
        revocation_decisions=sum(1 for r in revocations if r.kind == "revocation"),
        award_decisions=award_decisions,
        bonus_vnd=bonus,
    )
    province = provinces().get(province_code)
    return Report(
        kind="phase" if period.kind == "phase" else "annual",
        province_code=province_code,
        province_name=province.name if province else province_code,
        period=period.label,
        first_year=period.first_year,
        last_year=period.last_year,
        review=period.review,  # type: ignore[arg-type]
        deadline=deadline,
        as_of=at or built_at,
        built_at=built_at,
        position=position,
        summary=summary,
        communes=communes + extra,
        communes_without_records=silent,
        unmapped=unmapped,
        titles=titles,
        decisions=decisions,
        awards=awards,
        revocations=revocations,
        attainment=attainment,
    )
