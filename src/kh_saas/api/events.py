"""The integrators' routes (``/v1/t/{slug}/events``): the feed, the stream, the schemas.

``GET …/events?after=&limit=&types=`` answers ``{"items": [CloudEvent…], "next_after": n}``,
strictly after ``after``, in order; ``GET …/events/stream`` sends the same events as
Server-Sent Events (``id:`` the sequence, ``event:`` the type, ``data:`` the CloudEvent),
resuming strictly after ``Last-Event-ID`` (or ``?after=``), with keep-alive comments.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.response import Stream

from kh_saas.api.auth import current_tenant, public, roles
from kh_saas.api.problems import FieldError, ProblemError, problem_responses
from kh_saas.api.tenant_common import service_of
from kh_saas.integrators import asyncapi, schemas
from kh_saas.integrators.contract import TYPES
from kh_saas.integrators.feed import MAX_LIMIT, FeedRow, read_page
from kh_saas.integrators.hub import EventHub
from kh_saas.tenants.catalog import Tenant
from kh_saas.tenants.roles import FEED_READERS

After = Annotated[
    int,
    QueryParameter(
        ge=0,
        description="Sequence to read after (`next_after` of the previous page; 0: the start).",
        required=False,
    ),
]
FeedLimit = Annotated[
    int,
    QueryParameter(ge=1, le=MAX_LIMIT, description="Events per page (1–1000).", required=False),
]
Types = Annotated[
    str | None,
    QueryParameter(
        max_length=2000,
        description="Comma-separated event types to keep, e.g. "
        "`vn.khuyenhoc.recognition.granted.v1,vn.khuyenhoc.award.granted.v1`.",
        required=False,
    ),
]
LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        required=False,
        description="The `id:` (sequence) of the last event received: resume strictly after it.",
    ),
]


class FeedPageDoc(msgspec.Struct, kw_only=True):
    """A page of the feed (documentation of the raw JSON the route sends)."""

    items: Annotated[list[dict[str, Any]], msgspec.Meta(description="CloudEvents 1.0, in order")]
    next_after: Annotated[int, msgspec.Meta(description="`after` for the next page")]


def parse_types(raw: str | None) -> frozenset[str] | None:
    if raw is None or not raw.strip():
        return None
    wanted = frozenset(t.strip() for t in raw.split(",") if t.strip())
    unknown = sorted(wanted - TYPES.keys())
    if unknown:
        raise ProblemError(
            422,
            "validation_failed",
            f"unknown event type {unknown[0]!r}; known: " + ", ".join(sorted(TYPES)),
            field="types",
        )
    return wanted


def resume_point(after: int, last_event_id: str | None) -> int:
    """``Last-Event-ID`` (what a reconnecting EventSource sends) wins over ``?after=``."""
    if last_event_id is None or not last_event_id.strip():
        return after
    value = last_event_id.strip()
    if not value.isdigit() or len(value) > 18:
        raise ProblemError(
            422,
            "validation_failed",
            "Last-Event-ID must be the sequence of an event received (a whole number)",
            errors=[FieldError("Last-Event-ID", "expected a whole number ≥ 0")],
        )
    return int(value)


def frame(row: FeedRow) -> bytes:
    # jsonb's text form is one line, so one `data:` line carries the whole event.
    return b"".join(
        (f"id: {row.sequence}\nevent: {row.type}\ndata: ".encode(), row.event, b"\n\n")
    )


async def sse(
    hub: EventHub,
    tenant: Tenant,
    after: int,
    types: frozenset[str] | None,
    keepalive: float,
) -> AsyncIterator[bytes]:
    """The stream: catch up from the table, then follow the hub; no gap, no duplicate."""
    async with hub.subscription(tenant) as topic:
        sent = after
        yield b"retry: 2000\n\n"
        written = time.monotonic()
        while True:
            changed = topic.changed  # before looking, so a wake in between is not lost
            rows = topic.since(sent)
            if rows is None:
                rows = await hub.read(tenant, sent)
                if not rows:  # nothing after `sent` up to the buffer's floor
                    sent = max(sent, topic.floor)
                    continue
            out = []
            for row in rows:
                sent = row.sequence
                if types is None or row.type in types:
                    out.append(frame(row))
            if out:
                yield b"".join(out)
                written = time.monotonic()
            if rows:
                continue
            wait = keepalive - (time.monotonic() - written)
            try:
                if wait <= 0:
                    raise TimeoutError
                await asyncio.wait_for(changed.wait(), wait)
            except TimeoutError:
                yield b": keep-alive\n\n"
                written = time.monotonic()


class EventController(Controller):
    path = "/v1/t/{slug:str}/events"
    tags = ["integrators"]  # noqa: RUF012

    @get(
        "/",
        opt=roles(*FEED_READERS),
        summary="The public event feed (pull)",
        description=(
            "CloudEvents 1.0 strictly after `after`, in log order (`sequence`); never skips "
            "an event, even one that committed later with a lower position. Resume with "
            "`next_after`."
        ),
        responses={
            200: ResponseSpec(FeedPageDoc, description="A page of events"),
            **problem_responses(401, 403, 404, 422),
        },
    )
    async def feed(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        after: After = 0,
        limit: FeedLimit = 100,
        types: Types = None,
    ) -> Response[bytes]:
        tenant = current_tenant(request)
        wanted = parse_types(types)
        pool = service_of(request).clusters[tenant.cluster].read
        async with pool.acquire() as conn:
            page = await read_page(conn, tenant.schema_name, after, limit, wanted)
        body = b"".join(
            (
                b'{"items":[',
                b",".join(r.event for r in page.rows),
                b'],"next_after":',
                str(page.next_after).encode(),
                b"}",
            )
        )
        return Response(body, media_type="application/json")

    @get(
        "/stream",
        opt=roles(*FEED_READERS),
        summary="The public event stream (Server-Sent Events)",
        description=(
            "`id:` the sequence, `event:` the type, `data:` the CloudEvent. Resumes strictly "
            "after `Last-Event-ID` (or `?after=`); keep-alive comments every 15 s "
            "(`KH_STREAM_KEEPALIVE`); `types` filters as in the feed."
        ),
        responses={
            200: ResponseSpec(str, description="text/event-stream", media_type="text/event-stream"),
            **problem_responses(401, 403, 404, 422),
        },
    )
    async def stream(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        last_event_id: LastEventId = None,
        after: After = 0,
        types: Types = None,
    ) -> Stream:
        tenant = current_tenant(request)
        wanted = parse_types(types)
        start = resume_point(after, last_event_id)
        hub: EventHub = request.app.state.event_hub
        keepalive: float = request.app.state.stream_keepalive
        return Stream(
            sse(hub, tenant, start, wanted, keepalive),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @get(
        "/schemas",
        opt=roles(*FEED_READERS),
        summary="The JSON Schemas of the public events",
        description=(
            "`envelope`: the CloudEvent every event is; `types`: per type, what it means and "
            "the JSON Schema (2020-12) of its `data` (its `$id` is the events' `dataschema`)."
        ),
        responses=problem_responses(401, 403, 404),
    )
    async def schemas(self, slug: FromPath[str]) -> dict[str, Any]:
        return schemas.catalogue()


@get(
    "/v1/events/asyncapi.json",
    opt=public(),
    tags=["integrators"],
    summary="AsyncAPI 3.0 document of the public events (feed, stream, webhooks)",
)
async def asyncapi_document() -> dict[str, Any]:
    return asyncapi.document()
