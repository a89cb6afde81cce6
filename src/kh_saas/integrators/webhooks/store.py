"""Endpoints, deliveries and attempts in a tenant's schema (asyncpg), and the one place that
turns public events into deliveries: the endpoint's cursor moves in the same transaction as
the delivery rows it made, so a crash between the two cannot happen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from kh_saas.integrators import PUBLIC_EVENTS_TABLE
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident

#: Pending deliveries an endpoint may have queued; the cursor waits while it is full, so a
#: long outage does not turn the whole log into rows.
QUEUE = 1000
PUBLIC_EVENTS = PUBLIC_EVENTS_TABLE

_ENDPOINT_COLUMNS = (
    "id, url, types, description, sealed_secret, sealed_previous_secret, previous_valid_until,"
    " status, disabled_reason, disabled_at, cursor, created_at, updated_at"
)


@dataclass(frozen=True)
class Endpoint:
    id: UUID
    url: str
    types: list[str] | None
    description: str | None
    sealed_secret: bytes
    sealed_previous_secret: bytes | None
    previous_valid_until: datetime | None
    status: str
    disabled_reason: str | None
    disabled_at: datetime | None
    cursor: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Delivery:
    id: int
    endpoint_id: UUID
    sequence: int
    event_id: str
    type: str
    kind: str
    status: str
    attempts: int
    step: int
    next_attempt_at: datetime
    last_status: int | None
    last_latency_ms: float | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    n: int
    at: datetime
    status: int | None
    latency_ms: float
    error: str | None


def _endpoint(row: asyncpg.Record) -> Endpoint:
    return Endpoint(**{k: row[k] for k in row.keys()})  # noqa: SIM118 - a Record


def _delivery(row: asyncpg.Record) -> Delivery:
    return Delivery(**{k: row[k] for k in row.keys()})  # noqa: SIM118 - a Record


class WebhookStore:
    """The webhook tables of one tenant schema."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.q = quote_ident(schema)

    # -- endpoints -------------------------------------------------------------------------

    async def log_head(self, conn: asyncpg.Connection) -> int:
        """The last position in the log: a new endpoint gets what is recorded after it."""
        head: int = await conn.fetchval(
            f"SELECT coalesce(max(notification_id), 0) FROM {self.q}.{EVENTS_TABLE}"
        )
        return head

    async def create(
        self,
        conn: asyncpg.Connection,
        *,
        endpoint_id: UUID,
        url: str,
        types: list[str] | None,
        description: str | None,
        sealed_secret: bytes,
    ) -> Endpoint:
        row = await conn.fetchrow(
            f"INSERT INTO {self.q}.webhook_endpoints"
            " (id, url, types, description, sealed_secret, cursor)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
            f" RETURNING {_ENDPOINT_COLUMNS}",
            endpoint_id, url, types, description, sealed_secret, await self.log_head(conn),
        )  # fmt: skip
        assert row is not None
        return _endpoint(row)

    async def get(
        self, conn: asyncpg.Connection, endpoint_id: UUID, *, lock: bool = False
    ) -> Endpoint | None:
        row = await conn.fetchrow(
            f"SELECT {_ENDPOINT_COLUMNS} FROM {self.q}.webhook_endpoints WHERE id = $1"
            + (" FOR UPDATE" if lock else ""),
            endpoint_id,
        )
        return None if row is None else _endpoint(row)

    async def all(self, conn: asyncpg.Connection, *, active_only: bool = False) -> list[Endpoint]:
        where = " WHERE status = 'active'" if active_only else ""
        rows = await conn.fetch(
            f"SELECT {_ENDPOINT_COLUMNS} FROM {self.q}.webhook_endpoints{where}"
            " ORDER BY created_at, id"
        )
        return [_endpoint(r) for r in rows]

    async def update(
        self, conn: asyncpg.Connection, endpoint_id: UUID, changes: dict[str, Any]
    ) -> Endpoint | None:
        if not changes:
            return await self.get(conn, endpoint_id)
        names = sorted(changes)
        sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
        row = await conn.fetchrow(
            f"UPDATE {self.q}.webhook_endpoints SET {sets}, updated_at = now()"
            f" WHERE id = $1 RETURNING {_ENDPOINT_COLUMNS}",
            endpoint_id,
            *(changes[n] for n in names),
        )
        return None if row is None else _endpoint(row)

    async def delete(self, conn: asyncpg.Connection, endpoint_id: UUID) -> bool:
        done: str = await conn.execute(
            f"DELETE FROM {self.q}.webhook_endpoints WHERE id = $1", endpoint_id
        )
        return done == "DELETE 1"

    async def rotate(
        self,
        conn: asyncpg.Connection,
        endpoint_id: UUID,
        *,
        sealed_secret: bytes,
        sealed_previous: bytes,
        grace: timedelta,
    ) -> Endpoint | None:
        row = await conn.fetchrow(
            f"UPDATE {self.q}.webhook_endpoints SET sealed_secret = $2,"
            " sealed_previous_secret = $3, previous_valid_until = now() + $4,"
            f" updated_at = now() WHERE id = $1 RETURNING {_ENDPOINT_COLUMNS}",
            endpoint_id, sealed_secret, sealed_previous, grace,
        )  # fmt: skip
        return None if row is None else _endpoint(row)

    async def disable(self, conn: asyncpg.Connection, endpoint_id: UUID, reason: str) -> None:
        await conn.execute(
            f"UPDATE {self.q}.webhook_endpoints SET status = 'disabled', disabled_reason = $2,"
            " disabled_at = now(), updated_at = now() WHERE id = $1 AND status = 'active'",
            endpoint_id,
            reason,
        )

    async def enable(self, conn: asyncpg.Connection, endpoint_id: UUID) -> Endpoint | None:
        """Active again, from where it stopped: the delivery it gave up on is pending again
        with a fresh schedule, ahead of everything after it."""
        async with conn.transaction():
            row = await conn.fetchrow(
                f"UPDATE {self.q}.webhook_endpoints SET status = 'active', disabled_reason = NULL,"
                f" disabled_at = NULL, updated_at = now() WHERE id = $1"
                f" RETURNING {_ENDPOINT_COLUMNS}",
                endpoint_id,
            )
            if row is None:
                return None
            await conn.execute(
                f"UPDATE {self.q}.webhook_deliveries SET status = 'pending', step = 0,"
                " next_attempt_at = now() WHERE endpoint_id = $1 AND kind = 'live'"
                " AND status IN ('pending', 'failed')",
                endpoint_id,
            )
            return _endpoint(row)

    async def replay(self, conn: asyncpg.Connection, endpoint_id: UUID, after: int) -> int | None:
        """Send again everything after ``after``: queued deliveries are cancelled (they will
        be made again, in order) and the cursor goes back. The cursor it left, or ``None``."""
        async with conn.transaction():
            before = await conn.fetchval(
                f"SELECT cursor FROM {self.q}.webhook_endpoints WHERE id = $1 FOR UPDATE",
                endpoint_id,
            )
            if before is None:
                return None
            await conn.execute(
                f"UPDATE {self.q}.webhook_deliveries SET status = 'cancelled'"
                " WHERE endpoint_id = $1 AND kind = 'live' AND status IN ('pending', 'failed')",
                endpoint_id,
            )
            await conn.execute(
                f"UPDATE {self.q}.webhook_endpoints SET cursor = $2, updated_at = now()"
                " WHERE id = $1",
                endpoint_id,
                after,
            )
            return int(before)

    # -- deliveries ------------------------------------------------------------------------

    async def deliveries(
        self,
        conn: asyncpg.Connection,
        endpoint_id: UUID,
        *,
        limit: int,
        before: int | None,
        status: str | None,
    ) -> list[Delivery]:
        rows = await conn.fetch(
            f"SELECT * FROM {self.q}.webhook_deliveries WHERE endpoint_id = $1"
            " AND ($2::bigint IS NULL OR id < $2) AND ($3::text IS NULL OR status = $3)"
            " ORDER BY id DESC LIMIT $4",
            endpoint_id, before, status, limit,
        )  # fmt: skip
        return [_delivery(r) for r in rows]

    async def attempts(
        self, conn: asyncpg.Connection, delivery_ids: list[int]
    ) -> dict[int, list[Attempt]]:
        rows = await conn.fetch(
            f"SELECT delivery_id, n, at, status, latency_ms, error FROM {self.q}.webhook_attempts"
            " WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id, n",
            delivery_ids,
        )
        found: dict[int, list[Attempt]] = {}
        for r in rows:
            found.setdefault(r["delivery_id"], []).append(
                Attempt(r["n"], r["at"], r["status"], r["latency_ms"], r["error"])
            )
        return found

    async def delivery(
        self, conn: asyncpg.Connection, endpoint_id: UUID, delivery_id: int
    ) -> Delivery | None:
        row = await conn.fetchrow(
            f"SELECT * FROM {self.q}.webhook_deliveries WHERE id = $1 AND endpoint_id = $2",
            delivery_id,
            endpoint_id,
        )
        return None if row is None else _delivery(row)

    async def resend(self, conn: asyncpg.Connection, original: Delivery) -> Delivery:
        """A manual re-send of one delivery: its own row, sent once, outside the queue."""
        row = await conn.fetchrow(
            f"INSERT INTO {self.q}.webhook_deliveries (endpoint_id, sequence, event_id, type, kind)"
            " VALUES ($1, $2, $3, $4, 'manual') RETURNING *",
            original.endpoint_id, original.sequence, original.event_id, original.type,
        )  # fmt: skip
        assert row is not None
        return _delivery(row)

    # -- the dispatcher's side --------------------------------------------------------------

    async def fill(self, conn: asyncpg.Connection, endpoint_id: UUID) -> int:
        """Turn the public events after the endpoint's cursor into pending deliveries (those
        of its types) and move the cursor past them, in one transaction; how many were read."""
        async with conn.transaction():
            row = await conn.fetchrow(
                f"SELECT cursor, types, status FROM {self.q}.webhook_endpoints WHERE id = $1"
                " FOR UPDATE",
                endpoint_id,
            )
            if row is None or row["status"] != "active":
                return 0
            queued: int = await conn.fetchval(
                f"SELECT count(*) FROM {self.q}.webhook_deliveries"
                " WHERE endpoint_id = $1 AND kind = 'live' AND status = 'pending'",
                endpoint_id,
            )
            room = QUEUE - queued
            if room <= 0:
                return 0
            events = await conn.fetch(
                f"SELECT sequence, type, event ->> 'id' AS event_id FROM {self.q}.{PUBLIC_EVENTS}"
                " WHERE sequence > $1 ORDER BY sequence LIMIT $2",
                row["cursor"],
                room,
            )
            if not events:
                return 0
            types = row["types"]
            wanted = [e for e in events if types is None or e["type"] in types]
            if wanted:
                await conn.executemany(
                    f"INSERT INTO {self.q}.webhook_deliveries"
                    " (endpoint_id, sequence, event_id, type) VALUES ($1, $2, $3, $4)",
                    [(endpoint_id, e["sequence"], e["event_id"], e["type"]) for e in wanted],
                )
            await conn.execute(
                f"UPDATE {self.q}.webhook_endpoints SET cursor = $2 WHERE id = $1",
                endpoint_id,
                events[-1]["sequence"],
            )
            return len(events)

    async def head(self, conn: asyncpg.Connection, endpoint_id: UUID) -> Delivery | None:
        """What to send next: a due manual re-send, else the oldest pending delivery (even
        when not yet due: nothing after it may overtake it)."""
        row = await conn.fetchrow(
            f"SELECT * FROM {self.q}.webhook_deliveries WHERE endpoint_id = $1"
            " AND status = 'pending' AND (kind = 'live' OR next_attempt_at <= now())"
            " ORDER BY kind = 'live', sequence, id LIMIT 1",
            endpoint_id,
        )
        return None if row is None else _delivery(row)

    async def body_of(self, conn: asyncpg.Connection, sequence: int) -> str | None:
        text: str | None = await conn.fetchval(
            f"SELECT event::text FROM {self.q}.{PUBLIC_EVENTS} WHERE sequence = $1", sequence
        )
        return text

    async def record(
        self,
        conn: asyncpg.Connection,
        delivery: Delivery,
        *,
        at: datetime,
        status: int | None,
        latency_ms: float,
        error: str | None,
        outcome: str,
        retry_in: float | None = None,
        disable_reason: str | None = None,
    ) -> bool:
        """One attempt's result: ``outcome`` is ``delivered``, ``retry`` (after ``retry_in``
        seconds), ``failed`` (given up) or ``held`` (the endpoint is disabled; the delivery
        waits for it to be enabled). False when the delivery changed meanwhile (cancelled by
        a replay, the endpoint deleted): nothing is recorded."""
        async with conn.transaction():
            current = await conn.fetchval(
                f"SELECT status FROM {self.q}.webhook_deliveries WHERE id = $1 FOR UPDATE",
                delivery.id,
            )
            if current != "pending":
                return False
            n = delivery.attempts + 1
            await conn.execute(
                f"INSERT INTO {self.q}.webhook_attempts"
                " (delivery_id, n, at, status, latency_ms, error) VALUES ($1, $2, $3, $4, $5, $6)"
                " ON CONFLICT DO NOTHING",
                delivery.id, n, at, status, latency_ms, error,
            )  # fmt: skip
            new_status = {"delivered": "delivered", "failed": "failed"}.get(outcome, "pending")
            await conn.execute(
                f"UPDATE {self.q}.webhook_deliveries SET attempts = $2, status = $3,"
                " step = CASE WHEN $4 = 'retry' THEN step + 1 ELSE step END,"
                " next_attempt_at = CASE WHEN $4 = 'retry' THEN now() + $5 * interval '1 second'"
                "   ELSE next_attempt_at END,"
                " last_status = $6, last_latency_ms = $7, last_error = $8,"
                " delivered_at = CASE WHEN $3 = 'delivered' THEN now() END"
                " WHERE id = $1",
                delivery.id, n, new_status, outcome, retry_in or 0.0, status, latency_ms, error,
            )  # fmt: skip
            if disable_reason is not None:
                await self.disable(conn, delivery.endpoint_id, disable_reason)
            return True
