"""One attempt to deliver one event to one endpoint (lần gửi), and what its answer means.

2xx within the timeout is success; 410 Gone disables the endpoint; anything else (3xx
included: redirects are not followed) fails and is retried on the schedule, later when the
receiver sends ``Retry-After``. The URL's address is checked again before each attempt.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from kh_saas.integrators.webhooks import signing
from kh_saas.integrators.webhooks.addresses import RefusedAddress, check_url
from kh_saas.integrators.webhooks.schedule import parse_retry_after

CONTENT_TYPE = "application/cloudevents+json"
USER_AGENT = "kh-saas-webhooks/1"
MAX_ERROR = 500


@dataclass(frozen=True)
class Answer:
    at: datetime
    status: int | None
    latency_ms: float
    error: str | None
    retry_after: float | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        return self.status == 410


async def send(
    client: httpx.AsyncClient,
    url: str,
    msg_id: str,
    body: bytes,
    secrets: list[str],
    *,
    timeout: float,  # noqa: ASYNC109 - a whole-attempt deadline, applied below
    allow_private: bool,
) -> Answer:
    """POST the body, signed with every secret; never raises for the receiver's faults."""
    at = datetime.now(UTC)
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    try:
        await check_url(url, allow_private=allow_private)
        headers = {
            **signing.headers(msg_id, body, secrets, at),
            "content-type": CONTENT_TYPE,
            "user-agent": USER_AGENT,
        }
        async with asyncio.timeout(timeout):
            # Streamed and left unread: a receiver's answer body is never needed, and may
            # not be large enough to hurt.
            async with client.stream("POST", url, content=body, headers=headers) as response:
                status = response.status_code
                retry_after = parse_retry_after(response.headers.get("retry-after"))
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except RefusedAddress as exc:
        error = f"refused: {exc}"
    except TimeoutError:
        error = f"no answer within {timeout:g} s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    latency = (time.perf_counter() - started) * 1000
    return Answer(at, status, latency, error[:MAX_ERROR] if error else None, retry_after)
