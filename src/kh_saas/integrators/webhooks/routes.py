"""Webhook endpoints over HTTP (``/v1/t/{slug}/webhooks``): create (the secret shown once),
list, read, change, delete, rotate the secret, deliveries, replay, retry one, enable.

Integrator and tenant-admin keys manage their own province's endpoints; another province's
answer 404, exactly as an endpoint that does not exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from kh_saas.api.auth import current_principal, current_tenant, roles
from kh_saas.api.idempotency import Claim, KeyTable, once, superseded
from kh_saas.api.problems import FieldError, ProblemError, problem_responses
from kh_saas.api.tenant_common import IdempotencyKey, service_of
from kh_saas.integrators.contract import TYPES
from kh_saas.integrators.webhooks.addresses import MAX_URL_LENGTH, RefusedAddress, check_url
from kh_saas.integrators.webhooks.signing import new_secret
from kh_saas.integrators.webhooks.store import Attempt, Delivery, Endpoint, WebhookStore
from kh_saas.storage.migrations import quote_ident
from kh_saas.tenants.roles import Role

#: Who manages a province's webhooks.
WEBHOOK_MANAGERS = (Role.INTEGRATOR, Role.TENANT_ADMIN, Role.PLATFORM_ADMIN)
#: How long the previous secret still signs after a rotation.
ROTATION_GRACE = timedelta(hours=24)
TYPE_PATTERN = r"^vn\.khuyenhoc\.[a-z0-9_]+(\.[a-z0-9_]+)*\.v[0-9]+$"

Url = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_URL_LENGTH,
        examples=["https://cong-thong-tin.example.vn/hooks/khuyen-hoc"],
        description="Where to POST; must resolve to a public address",
    ),
]
EventType = Annotated[
    str, msgspec.Meta(pattern=TYPE_PATTERN, examples=["vn.khuyenhoc.recognition.granted.v1"])
]
Types = Annotated[
    list[EventType],
    msgspec.Meta(
        min_length=1,
        max_length=100,
        description="Only these public event types; leave out (or null) for every type",
    ),
]
Description = Annotated[str, msgspec.Meta(max_length=500)]


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: Url
    types: Types | None = None
    description: Description | None = None


class WebhookChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Only the fields sent change; ``types: null`` means every type again."""

    url: Url | msgspec.UnsetType = msgspec.UNSET
    types: Types | msgspec.UnsetType | None = msgspec.UNSET
    description: Description | msgspec.UnsetType | None = msgspec.UNSET


class Webhook(msgspec.Struct, kw_only=True):
    """Điểm nhận webhook: where the province's public events are sent."""

    id: UUID
    url: str
    types: list[str] | None
    description: str | None
    status: Literal["active", "disabled"]
    disabled_reason: Annotated[
        str | None, msgspec.Meta(description="Why it stopped (410, retries spent)")
    ]
    disabled_at: datetime | None
    cursor: Annotated[
        int, msgspec.Meta(description="Last public-event sequence queued for delivery")
    ]
    previous_secret_valid_until: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook, kw_only=True):
    secret: Annotated[
        str | None,
        msgspec.Meta(
            description="The signing secret (whsec_…), shown once only (null when an "
            "idempotent retry replays the answer)"
        ),
    ]


class WebhookList(msgspec.Struct, kw_only=True):
    items: list[Webhook]


class SecretRotated(msgspec.Struct, kw_only=True):
    id: UUID
    secret: Annotated[str, msgspec.Meta(description="The new secret, shown once only")]
    previous_secret_valid_until: Annotated[
        datetime, msgspec.Meta(description="Until then both secrets sign every delivery")
    ]


class AttemptOut(msgspec.Struct, kw_only=True):
    n: int
    at: datetime
    status: Annotated[int | None, msgspec.Meta(description="HTTP status; null: no answer")]
    latency_ms: float
    error: str | None


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: int
    sequence: int
    webhook_id: Annotated[str, msgspec.Meta(description="The webhook-id header (event id)")]
    type: str
    kind: Literal["live", "manual"]
    status: Literal["pending", "delivered", "failed", "cancelled"]
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    latency_ms: float | None
    error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]


class DeliveryList(msgspec.Struct, kw_only=True):
    items: list[DeliveryOut]
    next_cursor: Annotated[str | None, msgspec.Meta(description="Pass as `cursor` for older")]


class ReplayIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    after: Annotated[
        int, msgspec.Meta(ge=0, description="Send again every event after this sequence")
    ]


class Replayed(msgspec.Struct, kw_only=True):
    after: int
    previous_cursor: int


def webhook_out(e: Endpoint) -> Webhook:
    valid = e.previous_valid_until if e.sealed_previous_secret is not None else None
    return Webhook(
        id=e.id,
        url=e.url,
        types=e.types,
        description=e.description,
        status="active" if e.status == "active" else "disabled",
        disabled_reason=e.disabled_reason,
        disabled_at=e.disabled_at,
        cursor=e.cursor,
        previous_secret_valid_until=valid,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


def delivery_out(d: Delivery, attempts: list[Attempt]) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        sequence=d.sequence,
        webhook_id=d.event_id,
        type=d.type,
        kind="manual" if d.kind == "manual" else "live",
        status=d.status,  # type: ignore[arg-type]  # the table's CHECK keeps it to these
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        last_status=d.last_status,
        latency_ms=d.last_latency_ms,
        error=d.last_error,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
        attempt_log=[AttemptOut(n=a.n, at=a.at, status=a.status, latency_ms=a.latency_ms,
                                error=a.error) for a in attempts],
    )  # fmt: skip


def _refuse_unknown_types(types: list[str] | None) -> None:
    unknown = [
        FieldError(f"types[{i}]", f"no public event type {t!r}; known: " + ", ".join(TYPES))
        for i, t in enumerate(types or [])
        if t not in TYPES
    ]
    if unknown:
        raise ProblemError(422, "validation_failed", "unknown event types", errors=unknown)


async def _refuse_bad_url(request: Request[Any, Any, Any], url: str) -> None:
    try:
        await check_url(url, allow_private=service_of(request).settings.webhooks_allow_private)
    except RefusedAddress as exc:
        raise ProblemError(422, "validation_failed", f"url {exc}", field="url") from exc


def _missing(webhook_id: UUID) -> ProblemError:
    return ProblemError(404, "not_found", f"No webhook {webhook_id}.")


class WebhookController(Controller):
    path = "/v1/t/{slug:str}/webhooks"
    tags = ["integrators"]  # noqa: RUF012

    def _store(self, request: Request[Any, Any, Any]) -> WebhookStore:
        return WebhookStore(current_tenant(request).schema_name)

    def _pool(self, request: Request[Any, Any, Any]) -> Any:
        tenant = current_tenant(request)
        return service_of(request).clusters[tenant.cluster].read

    def _poke(self, request: Request[Any, Any, Any]) -> None:
        service_of(request).webhooks.wake(current_tenant(request).slug)

    @post(
        "/",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="Add a webhook endpoint (its signing secret is returned once)",
        description=(
            "Events recorded from now on are sent to `url` in `sequence` order, signed per "
            "Standard Webhooks 1.0 (`webhook-id`, `webhook-timestamp`, `webhook-signature`); "
            "the body is the CloudEvent. Use `/replay` for earlier events."
        ),
        responses=problem_responses(401, 403, 404, 409),
        status_code=201,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[WebhookIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[WebhookCreated]:
        _refuse_unknown_types(data.types)
        await _refuse_bad_url(request, data.url)
        service = service_of(request)
        tenant = current_tenant(request)
        store = self._store(request)
        pool = self._pool(request)

        async def run(claim: Claim[WebhookCreated] | None) -> tuple[int, WebhookCreated]:
            endpoint_id = uuid4()
            secret = new_secret()
            async with pool.acquire() as conn, conn.transaction():
                endpoint = await store.create(
                    conn,
                    endpoint_id=endpoint_id,
                    url=data.url,
                    types=data.types,
                    description=data.description,
                    sealed_secret=service.webhooks.secrets.seal(
                        tenant.schema_name, endpoint_id, secret
                    ),
                )
                out = WebhookCreated(**msgspec.structs.asdict(webhook_out(endpoint)), secret=secret)
                if claim is not None and not await claim.record_on(conn, 201, out):
                    raise superseded()
            return 201, out

        status, body, replayed = await once(
            KeyTable(
                pool,
                f"{quote_ident(tenant.schema_name)}.idempotency_keys",
                service.settings.idempotency_lease,
            ),
            scope=f"{current_principal(request).id}:POST {request.url.path}",
            key=idempotency_key,
            request_body=await request.body(),
            result_type=WebhookCreated,
            run=run,
            stored=lambda created: msgspec.structs.replace(created, secret=None),
        )
        self._poke(request)
        headers = {"Location": f"/v1/t/{slug}/webhooks/{body.id}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status_code=status, headers=headers)

    @get(
        "/",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="The province's webhook endpoints (never their secrets)",
        responses=problem_responses(401, 403, 404),
    )
    async def list_webhooks(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> WebhookList:
        async with self._pool(request).acquire() as conn:
            found = await self._store(request).all(conn)
        return WebhookList(items=[webhook_out(e) for e in found])

    @get(
        "/{webhook_id:uuid}",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="One webhook endpoint: its status, why it is disabled, its cursor",
        responses=problem_responses(401, 403, 404),
    )
    async def get_webhook(
        self, request: Request[Any, Any, Any], slug: FromPath[str], webhook_id: FromPath[UUID]
    ) -> Webhook:
        async with self._pool(request).acquire() as conn:
            found = await self._store(request).get(conn, webhook_id)
        if found is None:
            raise _missing(webhook_id)
        return webhook_out(found)

    @patch(
        "/{webhook_id:uuid}",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="Change an endpoint's url, types or description (only the fields sent)",
        responses=problem_responses(401, 403, 404),
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        webhook_id: FromPath[UUID],
        data: JSONBody[WebhookChange],
    ) -> Webhook:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        _refuse_unknown_types(changes.get("types"))
        if isinstance(changes.get("url"), str):
            await _refuse_bad_url(request, changes["url"])
        async with self._pool(request).acquire() as conn:
            found = await self._store(request).update(conn, webhook_id, changes)
        if found is None:
            raise _missing(webhook_id)
        return webhook_out(found)

    @delete(
        "/{webhook_id:uuid}",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="Delete an endpoint and its delivery log (nothing more is sent)",
        responses=problem_responses(401, 403, 404),
        status_code=204,
    )
    async def remove(
        self, request: Request[Any, Any, Any], slug: FromPath[str], webhook_id: FromPath[UUID]
    ) -> None:
        async with self._pool(request).acquire() as conn:
            if not await self._store(request).delete(conn, webhook_id):
                raise _missing(webhook_id)
        self._poke(request)

    @post(
        "/{webhook_id:uuid}/rotate-secret",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="A new signing secret; the old one keeps signing too for 24 h",
        responses=problem_responses(401, 403, 404),
        status_code=200,
    )
    async def rotate_secret(
        self, request: Request[Any, Any, Any], slug: FromPath[str], webhook_id: FromPath[UUID]
    ) -> SecretRotated:
        tenant = current_tenant(request)
        secrets = service_of(request).webhooks.secrets
        secret = new_secret()
        store = self._store(request)
        async with self._pool(request).acquire() as conn, conn.transaction():
            found = await store.get(conn, webhook_id, lock=True)
            if found is None:
                raise _missing(webhook_id)
            rotated = await store.rotate(
                conn,
                webhook_id,
                sealed_secret=secrets.seal(tenant.schema_name, webhook_id, secret),
                sealed_previous=found.sealed_secret,
                grace=ROTATION_GRACE,
            )
        assert rotated is not None and rotated.previous_valid_until is not None
        return SecretRotated(
            id=webhook_id, secret=secret, previous_secret_valid_until=rotated.previous_valid_until
        )

    @get(
        "/{webhook_id:uuid}/deliveries",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="Deliveries, newest first: status, attempts with status, latency and error",
        responses=problem_responses(401, 403, 404),
    )
    async def deliveries(  # noqa: PLR0917 - Litestar passes each parameter by name
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        webhook_id: FromPath[UUID],
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        cursor: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,18}$")] = None,
        status: Annotated[
            Literal["pending", "delivered", "failed", "cancelled"] | None,
            QueryParameter(required=False),
        ] = None,
    ) -> DeliveryList:
        store = self._store(request)
        async with self._pool(request).acquire() as conn:
            if await store.get(conn, webhook_id) is None:
                raise _missing(webhook_id)
            found = await store.deliveries(
                conn,
                webhook_id,
                limit=limit + 1,
                before=int(cursor) if cursor else None,
                status=status,
            )
            page = found[:limit]
            attempts = await store.attempts(conn, [d.id for d in page])
        return DeliveryList(
            items=[delivery_out(d, attempts.get(d.id, [])) for d in page],
            next_cursor=str(page[-1].id) if len(found) > limit else None,
        )

    @post(
        "/{webhook_id:uuid}/replay",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="Send again, in order, every event after a sequence",
        description="Queued deliveries are cancelled and made again from `after` on.",
        responses=problem_responses(401, 403, 404),
        status_code=202,
    )
    async def replay(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        webhook_id: FromPath[UUID],
        data: JSONBody[ReplayIn],
    ) -> Replayed:
        async with self._pool(request).acquire() as conn:
            before = await self._store(request).replay(conn, webhook_id, data.after)
        if before is None:
            raise _missing(webhook_id)
        self._poke(request)
        return Replayed(after=data.after, previous_cursor=before)

    @post(
        "/{webhook_id:uuid}/deliveries/{delivery_id:int}/retry",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="Send one delivery again now (once, outside the ordered queue)",
        responses=problem_responses(401, 403, 404),
        status_code=202,
    )
    async def retry(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        webhook_id: FromPath[UUID],
        delivery_id: FromPath[int],
    ) -> DeliveryOut:
        store = self._store(request)
        async with self._pool(request).acquire() as conn:
            original = await store.delivery(conn, webhook_id, delivery_id)
            if original is None:
                raise ProblemError(404, "not_found", f"No delivery {delivery_id}.")
            again = await store.resend(conn, original)
        self._poke(request)
        return delivery_out(again, [])

    @post(
        "/{webhook_id:uuid}/enable",
        opt=roles(*WEBHOOK_MANAGERS),
        summary="Resume a disabled endpoint from where it stopped",
        responses=problem_responses(401, 403, 404),
        status_code=200,
    )
    async def enable(
        self, request: Request[Any, Any, Any], slug: FromPath[str], webhook_id: FromPath[UUID]
    ) -> Webhook:
        async with self._pool(request).acquire() as conn:
            found = await self._store(request).enable(conn, webhook_id)
        if found is None:
            raise _missing(webhook_id)
        self._poke(request)
        return webhook_out(found)
