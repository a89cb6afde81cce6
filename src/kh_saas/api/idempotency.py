"""``Idempotency-Key`` for POSTs that create something: a retried request gets the first answer.

The first request with a key claims it: a placeholder row with a random token and a lease,
which the running request renews. A retry with the same key and body replays the stored
answer (``Idempotent-Replayed: true``); with another body it gets 422; while the claim is
live, 409 with ``Retry-After``. A failed request releases its claim, so a retry runs again
(and meets the same rule that failed it).

Crashes: the answer is recorded in the same transaction as the write it answers wherever the
route can (``Claim.record_in`` for the event store, ``Claim.record_on`` for the catalog), so
"committed" and "answered" cannot disagree: a retry after a crash after the commit replays
the answer. A crash before the commit leaves only the placeholder; once its lease lapses
(``KH_IDEMPOTENCY_LEASE`` after the last renewal) a retry takes the claim over and runs the
request again. Recording the answer is fenced by the token, in the write's own transaction:
an attempt whose claim was taken over (it stalled past its lease) rolls back instead of
committing a second write.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

import asyncpg
import msgspec
from psycopg import Cursor

from kh_saas.api.problems import ProblemError
from kh_saas.logs import get_logger

log = get_logger(__name__)

T = TypeVar("T")
MAX_KEY_LENGTH = 200


def _lease(param: int) -> str:
    return f"now() + make_interval(secs => ${param}::float8)"


@dataclass(frozen=True)
class KeyTable:
    """Where a route's keys live: ``kh_platform.idempotency_keys`` for platform routes, the
    tenant schema's ``idempotency_keys`` (beside its events) for tenant routes."""

    pool: asyncpg.Pool
    table: str  # schema-qualified, already quoted where needed
    lease: float

    async def claim(self, scope: str, key: str, digest: bytes, token: UUID) -> str | None:
        """``"new"``, ``"taken_over"`` (the previous claim lapsed) or ``None`` (not ours)."""
        t = self.table
        fresh = await self.pool.fetchval(
            f"INSERT INTO {t} (scope, key, request_hash, status, body, token, lease_until)"
            f" VALUES ($1, $2, $3, 0, ''::bytea, $4, {_lease(5)})"
            " ON CONFLICT DO NOTHING RETURNING 1",
            scope, key, digest, token, self.lease,
        )  # fmt: skip
        if fresh:
            return "new"
        taken = await self.pool.fetchval(
            f"UPDATE {t} SET token = $4, lease_until = {_lease(5)}"
            " WHERE scope = $1 AND key = $2 AND request_hash = $3 AND status = 0"
            " AND (lease_until IS NULL OR lease_until <= now()) RETURNING 1",
            scope, key, digest, token, self.lease,
        )  # fmt: skip
        return "taken_over" if taken else None

    async def read(self, scope: str, key: str) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self.pool.fetchrow(
            f"SELECT request_hash, status, body,"
            f" extract(epoch FROM lease_until - now())::float8 AS wait"
            f" FROM {self.table} WHERE scope = $1 AND key = $2",
            scope,
            key,
        )
        return row

    async def renew(self, claim: Claim[Any]) -> None:
        await self.pool.execute(
            f"UPDATE {self.table} SET lease_until = {_lease(4)}"
            " WHERE scope = $1 AND key = $2 AND token = $3 AND status = 0",
            claim.scope, claim.key, claim.token, self.lease,
        )  # fmt: skip

    async def release(self, claim: Claim[Any]) -> None:
        await self.pool.execute(
            f"DELETE FROM {self.table} WHERE scope = $1 AND key = $2 AND token = $3 AND status = 0",
            claim.scope,
            claim.key,
            claim.token,
        )


@dataclass
class Claim(Generic[T]):
    """This attempt's hold on a key; record the answer with the write it answers."""

    table: str
    scope: str
    key: str
    token: UUID
    encode: Callable[[T], bytes]
    recorded: bool = field(default=False)

    def record_in(self, cursor: Cursor[Any], status: int, value: T) -> None:
        """Record the answer in the psycopg transaction that holds the write (event store)."""
        cursor.execute(
            f"UPDATE {self.table} SET status = %s, body = %s, lease_until = NULL"
            " WHERE scope = %s AND key = %s AND token = %s AND status = 0",
            (status, self.encode(value), self.scope, self.key, self.token),
        )
        if cursor.rowcount != 1:
            raise superseded()
        self.recorded = True

    async def record_on(
        self, conn: asyncpg.Connection | asyncpg.Pool, status: int, value: T
    ) -> bool:
        """Record the answer with asyncpg (in the caller's transaction when ``conn`` has one);
        ``False`` when another attempt took the claim over."""
        done = await conn.execute(
            f"UPDATE {self.table} SET status = $1, body = $2, lease_until = NULL"
            " WHERE scope = $3 AND key = $4 AND token = $5 AND status = 0",
            status, self.encode(value), self.scope, self.key, self.token,
        )  # fmt: skip
        self.recorded = done == "UPDATE 1"
        return self.recorded


def superseded() -> ProblemError:
    return ProblemError(
        409,
        "idempotency_in_progress",
        "Another attempt with this Idempotency-Key took over; nothing was stored by this one."
        " Retry to get its result.",
        field="Idempotency-Key",
        headers={"Retry-After": "1"},
    )


def _in_progress(wait: float | None) -> ProblemError:
    return ProblemError(
        409,
        "idempotency_in_progress",
        "A request with this Idempotency-Key is still running.",
        field="Idempotency-Key",
        headers={"Retry-After": str(max(1, math.ceil(wait or 0)))},
    )


async def once(
    keys: KeyTable,
    *,
    scope: str,
    key: str | None,
    request_body: bytes,
    result_type: type[T],
    run: Callable[[Claim[T] | None], Awaitable[tuple[int, T]]],
    stored: Callable[[T], T] = lambda value: value,
    recover: Callable[[], Awaitable[tuple[int, T] | None]] | None = None,
) -> tuple[int, T, bool]:
    """Run ``run`` at most once per ``(scope, key)``; return (status, value, replayed).

    ``run`` receives the claim (``None`` without a key) and should record its answer with the
    write (``Claim.record_in``/``record_on``); an answer it did not record is recorded after
    it returns (not atomically: for writes that span several transactions). ``stored``
    chooses what is kept for replays (e.g. a new API key minus its secret). ``recover``, when
    a lapsed claim is taken over, may find what the crashed attempt did and answer that.
    """
    if key is None:
        status, value = await run(None)
        return status, value, False
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ProblemError(
            422,
            "validation_failed",
            f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} characters.",
            field="Idempotency-Key",
        )
    digest = hashlib.sha256(request_body).digest()
    claim: Claim[T] = Claim(
        keys.table, scope, key, uuid4(), lambda v: msgspec.json.encode(stored(v))
    )
    how = await keys.claim(scope, key, digest, claim.token)
    if how is None:
        return await _answer_of_another(keys, scope, key, digest, result_type)
    renewal = asyncio.create_task(_keep(keys, claim))
    try:
        if how == "taken_over" and recover is not None:
            found = await recover()
            if found is not None:
                await claim.record_on(keys.pool, *found)
                return found[0], found[1], True
        status, value = await run(claim)
        if not claim.recorded and not await claim.record_on(keys.pool, status, value):
            log.warning("idempotency_claim_lost", scope=scope)
    except BaseException:
        renewal.cancel()
        try:
            await keys.release(claim)
        except Exception:  # the database is down: the lease lapses instead
            log.warning("idempotency_release_failed", scope=scope)
        raise
    finally:
        renewal.cancel()
    return status, value, False


async def _answer_of_another(
    keys: KeyTable, scope: str, key: str, digest: bytes, result_type: type[T]
) -> tuple[int, T, bool]:
    row = await keys.read(scope, key)
    if row is None:  # released between our claim and read: a retry will claim it
        raise _in_progress(1)
    if bytes(row["request_hash"]) != digest:
        raise ProblemError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request body.",
            field="Idempotency-Key",
        )
    if row["status"] == 0:
        raise _in_progress(row["wait"])
    return row["status"], msgspec.json.decode(row["body"], type=result_type), True


async def _keep(keys: KeyTable, claim: Claim[Any]) -> None:
    """Renew the lease while the request runs (a third of the lease apart)."""
    while True:
        await asyncio.sleep(keys.lease / 3)
        try:
            await keys.renew(claim)
        except Exception:  # the write will meet the same outage and answer for it
            log.warning("idempotency_renewal_failed", scope=claim.scope)
