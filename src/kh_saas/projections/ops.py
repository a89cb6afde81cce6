"""What an operator asks of a tenant's projections: how far, how far behind, and a checksum.

The checksum is an MD5 over every row of every table, in a fixed order: a projection rebuilt
from zero has the same checksum as the one kept up incrementally (versions carry the event's
recording time and position, not the time they were written).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import msgspec

from kh_saas.projections.model import Projection
from kh_saas.projections.store import EventLog, physical
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident


@dataclass(frozen=True)
class Status:
    name: str
    version: int
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    checksum: str | None = None


async def checksum(conn: asyncpg.Connection, schema: str, projection: Projection) -> str:
    parts = []
    for table in projection.tables:
        order = "id, pos_from" if table.versioned else ", ".join(table.column_names)
        columns = ", ".join(table.column_names)
        value = await conn.fetchval(
            f"SELECT md5(coalesce(string_agg(md5(t::text), '' ORDER BY {order}), ''))"
            f" FROM (SELECT {columns} FROM {quote_ident(schema)}.{physical(table)}) t"
        )
        parts.append(str(value))
    return str(await conn.fetchval("SELECT md5($1)", "|".join(parts)))


_timestamp = msgspec.json.Decoder(dict[str, object])


async def status(
    conn: asyncpg.Connection,
    schema: str,
    projections: tuple[Projection, ...],
    *,
    with_checksum: bool = False,
) -> list[Status]:
    head = await EventLog(schema).head(conn)
    rows = {
        r["name"]: r
        for r in await conn.fetch(
            f"SELECT name, version, position FROM {quote_ident(schema)}.projection_positions"
        )
    }
    found = []
    for projection in projections:
        row = rows.get(projection.name)
        position = int(row["position"]) if row else 0
        behind = await conn.fetchrow(
            f"""SELECT count(*) AS n,
                       (SELECT state FROM {quote_ident(schema)}.{EVENTS_TABLE}
                        WHERE notification_id > $1 ORDER BY notification_id LIMIT 1) AS first
                FROM {quote_ident(schema)}.{EVENTS_TABLE} WHERE notification_id > $1""",
            position,
        )
        lag_seconds = 0.0
        if behind["first"] is not None:
            stamp = str(_timestamp.decode(behind["first"]).get("timestamp"))
            lag_seconds = max(
                0.0, (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()
            )
        found.append(
            Status(
                name=projection.name,
                version=int(row["version"]) if row else 0,
                position=position,
                head=head,
                lag_events=int(behind["n"]),
                lag_seconds=round(lag_seconds, 3),
                checksum=await checksum(conn, schema, projection) if with_checksum else None,
            )
        )
    return found
