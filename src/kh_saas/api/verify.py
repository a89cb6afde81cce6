"""``GET /verify/{slug}/{id}``: the public page a certificate's QR code opens (no API key).

HTML by default; JSON with ``Accept: application/json`` or ``?format=json``. Rate-limited per
client address (``KH_VERIFY_RATE_LIMIT`` per ``KH_VERIFY_RATE_WINDOW`` seconds, counted in this
process like the failed-authentication throttle): ids are unguessable, and the limit keeps a
scraper from walking a province's register through this door. An unknown id, or one of
another province, answers 404 in the format asked for.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter

from kh_saas.api.auth import public
from kh_saas.api.problems import PROBLEM_TYPES, ProblemError, problem_responses
from kh_saas.api.reading import table
from kh_saas.api.tenant_common import service_of, today
from kh_saas.certificates.verification import Verdict, inclusion, verdict
from kh_saas.certificates.verify_page import not_found_page, throttled_page, verdict_page
from kh_saas.service import Service
from kh_saas.transparency.store import LogStore

HTML = "text/html; charset=utf-8"
MAX_TRACKED = 100_000

PROBLEM_TYPES.update(
    {
        "verify_throttled": (
            "Too many verifications",
            "This address asked for more verification pages than the limit allows; retry "
            "after the seconds in Retry-After.",
        ),
    }
)


class VerifyRateLimit:
    """Sliding window of requests per client address (bounded memory, oldest forgotten)."""

    def __init__(
        self, *, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def admit(self, address: str) -> int | None:
        """Count one request; the seconds to wait if it is over the limit, else ``None``."""
        if self.limit <= 0:
            return None
        now = self._clock()
        times = self._seen.pop(address, None) or deque(maxlen=self.limit)
        self._seen[address] = times
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            return max(1, math.ceil(times[0] + self.window - now))
        times.append(now)
        while len(self._seen) > MAX_TRACKED:
            self._seen.popitem(last=False)
        return None


def _limiter(request: Request[Any, Any, Any], service: Service) -> VerifyRateLimit:
    state = request.app.state
    limiter: VerifyRateLimit | None = state.get("verify_rate_limit")
    if limiter is None:
        limiter = VerifyRateLimit(
            limit=service.settings.verify_rate_limit, window=service.settings.verify_rate_window
        )
        state["verify_rate_limit"] = limiter
    return limiter


def _wants_json(request: Request[Any, Any, Any], format: str | None) -> bool:
    if format is not None:
        if format not in ("html", "json"):
            raise ProblemError(422, "validation_failed", "format is html or json", field="format")
        return format == "json"
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


@get(
    "/verify/{slug:str}/{record_id:str}",
    opt=public(),
    tags=["verification"],
    summary="Is a certificate genuine and in force? (public; HTML or JSON)",
    description=(
        "The page a certificate's QR code opens, for anyone, without a key: whether the "
        "recognition or award is recorded by the province and in force, lapsed, revoked or "
        "annulled, with the name, title or form, year and decision only. The granting event's "
        "RFC 9162 inclusion proof against the latest cosigned checkpoint comes with it. JSON "
        "with `Accept: application/json` or `format=json`. Rate-limited per address (429 "
        "with Retry-After)."
    ),
    responses=problem_responses(404, 422, 429),
    security=[],
    media_type=HTML,
)
async def verify(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    record_id: FromPath[str],
    format: Annotated[
        str | None,
        QueryParameter(description="`html` (default) or `json`", required=False),
    ] = None,
) -> Response[Any]:
    as_json = _wants_json(request, format)
    service = service_of(request)
    address = request.client.host if request.client else "unknown"
    wait = _limiter(request, service).admit(address)
    if wait is not None:
        if as_json:
            raise ProblemError(
                429,
                "verify_throttled",
                f"Too many verification requests from this address; retry in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        return Response(
            throttled_page(wait),
            status_code=429,
            media_type=HTML,
            headers={"Retry-After": str(wait)},
        )
    found = await _find(service, slug, record_id)
    if found is None:
        if as_json:
            raise ProblemError(404, "not_found", "No recognition or award with this id.")
        return Response(not_found_page(), status_code=404, media_type=HTML)
    headers = {"Cache-Control": "no-cache", "Vary": "Accept"}
    if as_json:
        return Response(found, media_type="application/json", headers=headers)
    json_url = f"{request.url.path}?format=json"
    return Response(verdict_page(found, json_url), media_type=HTML, headers=headers)


async def _find(service: Service, slug: str, record_id: str) -> Verdict | None:
    try:
        rid = UUID(record_id)
    except ValueError:
        return None
    tenant = await service.catalog.get(slug)
    if tenant is None or tenant.status != "active":
        return None
    tables = (
        table(tenant, "recognitions"),
        table(tenant, "decisions"),
        table(tenant, "awards"),
        table(tenant, "award_decisions"),
    )
    store = LogStore(tenant.schema_name)
    async with service.clusters[tenant.cluster].read.acquire() as conn:
        answer = await verdict(
            conn, tables=tables, record_id=rid, today=today(), province=tenant.name
        )
        if answer is None:
            return None
        keys = await service.transparency.keys.public(conn, tenant.schema_name)
        answer.proof = await inclusion(conn, store, rid, [k.verifier for k in keys])
    return answer
