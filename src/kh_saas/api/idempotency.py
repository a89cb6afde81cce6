"""``Idempotency-Key`` for POSTs that create something: a retried request gets the first answer.

The first request with a key claims it (a placeholder row), runs, and stores its successful
answer. A retry with the same key and body replays that answer (``Idempotent-Replayed:
true``); with another body it gets 422; while the first is still running, 409. Failed
requests release the key, so a retry runs again (and meets the same rule that failed it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import msgspec

from kh_saas.api.problems import ProblemError
from kh_saas.tenants.catalog import PLATFORM_SCHEMA

T = TypeVar("T")
MAX_KEY_LENGTH = 200

_CLAIM = f"""
    INSERT INTO {PLATFORM_SCHEMA}.idempotency_keys (scope, key, request_hash, status, body)
    VALUES ($1, $2, $3, 0, ''::bytea) ON CONFLICT DO NOTHING RETURNING 1
"""
_READ = f"""
    SELECT request_hash, status, body FROM {PLATFORM_SCHEMA}.idempotency_keys
    WHERE scope = $1 AND key = $2
"""
_STORE = f"""
    UPDATE {PLATFORM_SCHEMA}.idempotency_keys SET status = $3, body = $4
    WHERE scope = $1 AND key = $2
"""
_RELEASE = f"DELETE FROM {PLATFORM_SCHEMA}.idempotency_keys WHERE scope = $1 AND key = $2"


async def once(
    pool: asyncpg.Pool,
    *,
    scope: str,
    key: str | None,
    request_body: bytes,
    result_type: type[T],
    run: Callable[[], Awaitable[tuple[int, T]]],
    stored: Callable[[T], T] = lambda value: value,
) -> tuple[int, T, bool]:
    """Run ``run`` at most once per ``(scope, key)``; return (status, value, replayed).

    ``stored`` chooses what is kept for replays (e.g. a new API key minus its secret).
    """
    if key is None:
        status, value = await run()
        return status, value, False
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ProblemError(
            422,
            "validation_failed",
            f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} characters.",
            field="Idempotency-Key",
        )
    digest = hashlib.sha256(request_body).digest()
    claimed = await pool.fetchval(_CLAIM, scope, key, digest)
    if not claimed:
        row = await pool.fetchrow(_READ, scope, key)
        if row is None:  # released between our claim and read: a retry will claim it
            raise ProblemError(409, "idempotency_in_progress", "Retry the request.")
        if bytes(row["request_hash"]) != digest:
            raise ProblemError(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was used for a different request body.",
                field="Idempotency-Key",
            )
        if row["status"] == 0:
            raise ProblemError(
                409,
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still running.",
                field="Idempotency-Key",
            )
        return row["status"], msgspec.json.decode(row["body"], type=result_type), True
    try:
        status, value = await run()
    except BaseException:
        await pool.execute(_RELEASE, scope, key)
        raise
    await pool.execute(_STORE, scope, key, status, msgspec.json.encode(stored(value)))
    return status, value, False
