"""Read tables and tracking rows in a tenant's schema (asyncpg).

Each projection's tables are ``rm_<table>`` in the tenant schema; a rebuild builds
``rm_<table>__next`` beside them and swaps the names. The tracking row
(``projection_positions``) holds the position of the last event applied, written in the same
transaction as the rows, so a projection is exactly-once and restartable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import msgspec

from kh_saas.projections.batch import Row, Wanted, Writes
from kh_saas.projections.model import LoggedEvent, Projection, Table
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident

_state = msgspec.json.Decoder(dict[str, Any])


def physical(table: Table | str, suffix: str = "") -> str:
    if isinstance(table, str):
        return f"rm_{table}{suffix}"
    return f"{table.prefix}{table.name}{suffix}"


def ddl(schema: str, table: Table, suffix: str = "", *, secondary: bool = True) -> list[str]:
    """``CREATE TABLE`` and its indexes (names left to PostgreSQL, so a ``__next`` copy and
    the live table never clash). ``secondary=False`` leaves out the indexes the engine itself
    does not read (a rebuild adds them once the rows are in: far cheaper than row by row)."""
    name = f"{quote_ident(schema)}.{physical(table, suffix)}"
    columns = ", ".join(f"{c.name} {c.sql_type}" for c in table.all_columns)
    statements = [f"CREATE TABLE {name} ({columns})"]
    if table.versioned:
        statements.append(f"CREATE UNIQUE INDEX ON {name} (id) WHERE pos_to IS NULL")
    return statements + (secondary_indexes(schema, table, suffix) if secondary else [])


def secondary_indexes(schema: str, table: Table, suffix: str = "") -> list[str]:
    name = f"{quote_ident(schema)}.{physical(table, suffix)}"
    statements = [f"CREATE INDEX ON {name} (id, pos_from)"] if table.versioned else []
    for index in table.indexes:
        cols, _, where = index.partition("|")
        statements.append(
            f"CREATE INDEX ON {name} ({cols})" + (f" WHERE {where}" if where else "")
        )
    statements += [f"CREATE INDEX ON {name} USING gin ({g})" for g in table.gin]
    for columns in table.statistics:  # named (PostgreSQL 15 needs it), unique per copy
        label = "_".join(c.strip() for c in columns.split(","))
        stats = quote_ident(f"{physical(table, suffix)}_{label}_{uuid4().hex[:8]}")
        statements.append(
            f"CREATE STATISTICS {quote_ident(schema)}.{stats} (mcv, dependencies)"
            f" ON {columns} FROM {name}"
        )
    return statements


async def create_tables(
    conn: asyncpg.Connection,
    schema: str,
    projection: Projection,
    suffix: str = "",
    *,
    secondary: bool = True,
) -> None:
    for table in projection.tables:
        await conn.execute(
            f"DROP TABLE IF EXISTS {quote_ident(schema)}.{physical(table, suffix)}"
        )
        for statement in ddl(schema, table, suffix, secondary=secondary):
            await conn.execute(statement)


async def drop_tables(
    conn: asyncpg.Connection, schema: str, projection: Projection, suffix: str = ""
) -> None:
    for table in projection.tables:
        await conn.execute(
            f"DROP TABLE IF EXISTS {quote_ident(schema)}.{physical(table, suffix)}"
        )


class Tracking:
    """The ``projection_positions`` row of one projection in one tenant schema."""

    def __init__(self, schema: str, projection: Projection) -> None:
        self.schema = schema
        self.name = projection.name
        self._table = f"{quote_ident(schema)}.projection_positions"

    async def read(self, conn: asyncpg.Connection, *, lock: bool = False) -> asyncpg.Record | None:
        return await conn.fetchrow(
            f"SELECT position, version FROM {self._table} WHERE name = $1"
            + (" FOR UPDATE" if lock else ""),
            self.name,
        )

    async def start(
        self,
        conn: asyncpg.Connection,
        version: int,
        position: int = 0,
        recorded_at: datetime | None = None,
    ) -> None:
        await conn.execute(
            f"""INSERT INTO {self._table} (name, version, position, last_recorded_at)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (name) DO UPDATE SET version = $2, position = $3,
                    last_recorded_at = $4, updated_at = now()""",
            self.name,
            version,
            position,
            recorded_at,
        )

    async def advance(
        self, conn: asyncpg.Connection, position: int, recorded_at: datetime | None
    ) -> None:
        await conn.execute(
            f"""UPDATE {self._table} SET position = $2, updated_at = now(),
                    last_recorded_at = coalesce($3, last_recorded_at)
                WHERE name = $1""",
            self.name,
            position,
            recorded_at,
        )


class EventLog:
    """Reads a tenant's notification log after a position, in order."""

    def __init__(self, schema: str) -> None:
        self._table = f"{quote_ident(schema)}.{EVENTS_TABLE}"

    async def after(
        self, conn: asyncpg.Connection, position: int, limit: int, topics: Sequence[str]
    ) -> tuple[list[LoggedEvent], int, int]:
        """Events after ``position`` (only those of ``topics`` decoded), the last position
        read and how many entries were read: a projection advances past events it does not
        read, too."""
        rows = await conn.fetch(
            f"""SELECT notification_id, originator_id, originator_version, topic,
                       CASE WHEN topic = ANY($3::text[]) THEN state END AS state
                FROM {self._table} WHERE notification_id > $1
                ORDER BY notification_id LIMIT $2""",
            position,
            limit,
            list(topics),
        )
        if not rows:
            return [], position, 0
        events = [
            LoggedEvent(r[0], r[1], r[2], r[3], _state.decode(r[4]))
            for r in rows
            if r[4] is not None
        ]
        return events, rows[-1][0], len(rows)

    async def head(self, conn: asyncpg.Connection) -> int:
        value = await conn.fetchval(f"SELECT max(notification_id) FROM {self._table}")
        return int(value or 0)


class ReadTables:
    """Reads current rows and writes a batch's versions into one projection's tables."""

    def __init__(self, schema: str, projection: Projection, suffix: str = "") -> None:
        self.schema = schema
        self.projection = projection
        self.suffix = suffix

    def _name(self, table: str) -> str:
        spec = self.projection.table(table)
        return f"{quote_ident(self.schema)}.{physical(spec, self.suffix)}"

    async def current(self, conn: asyncpg.Connection, wanted: Wanted) -> dict[str, dict[UUID, Row]]:
        """The current rows a batch asked for, by table and id."""
        found: dict[str, dict[UUID, Row]] = {}
        for table, ids in wanted.ids.items():
            rows = await conn.fetch(
                f"SELECT * FROM {self._name(table)}"
                " WHERE id = ANY($1::uuid[]) AND pos_to IS NULL",
                list(ids),
            )
            found.setdefault(table, {}).update({r["id"]: dict(r) for r in rows})
        for (table, column), values in wanted.where.items():
            sql_type = next(
                c.sql_type for c in self.projection.table(table).columns if c.name == column
            ).split()[0]
            rows = await conn.fetch(
                f"SELECT * FROM {self._name(table)}"
                f" WHERE {column} = ANY($1::{sql_type}[]) AND pos_to IS NULL",
                list(values),
            )
            found.setdefault(table, {}).update({r["id"]: dict(r) for r in rows})
        return found

    async def write(self, conn: asyncpg.Connection, writes: Writes) -> None:
        for table, closes in writes.closes.items():
            ids, tos, positions = zip(*closes, strict=True)
            await conn.execute(
                f"""UPDATE {self._name(table)} AS t SET sys_to = c.sys_to, pos_to = c.pos_to
                    FROM unnest($1::uuid[], $2::timestamptz[], $3::bigint[])
                         AS c(id, sys_to, pos_to)
                    WHERE t.id = c.id AND t.pos_to IS NULL""",
                list(ids),
                list(tos),
                list(positions),
            )
        for table, planned in writes.rows.items():
            if not planned:
                continue
            spec = self.projection.table(table)
            columns = spec.column_names
            finish = spec.finish
            rows = planned if finish is None else [finish(self.schema, r) for r in planned]
            await conn.copy_records_to_table(
                physical(spec, self.suffix),
                schema_name=self.schema,
                columns=columns,
                records=[tuple(map(row.get, columns)) for row in rows],
            )
