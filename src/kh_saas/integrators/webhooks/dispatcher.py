"""The webhook dispatcher (bộ gửi webhook): every tenant's endpoints, in this process.

One dispatcher per tenant across processes: it holds a session advisory lock on the tenant
(on the projector's listening connection of the cluster, which also hears the tenants'
public-events NOTIFY channels); the others wait and take over when its process dies (PostgreSQL
frees a dead session's locks). Per endpoint, one task sends the oldest pending delivery, and
nothing after it until it succeeds or is given up (order by ``sequence``); its short
transactions use the cluster's shared read pool. A 1-second poll backs the notifications.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import httpx
import msgspec

from kh_saas.integrators.webhooks.schedule import delay_after
from kh_saas.integrators.webhooks.secrets import EndpointSecrets
from kh_saas.integrators.webhooks.sending import Answer, send
from kh_saas.integrators.webhooks.store import Delivery, Endpoint, WebhookStore
from kh_saas.logs import get_logger
from kh_saas.projections.worker import ClusterWork, Projector
from kh_saas.storage.clusters import Cluster
from kh_saas.tenants.catalog import Tenant
from kh_saas.transparency.tasks import finish

log = get_logger(__name__)

POLL = 1.0
#: Server connections the dispatcher holds of its own per cluster: none (its locks and
#: LISTENs share the projector's listening connection, its queries the read pool).
DISPATCHER_CONNECTIONS = 0


@dataclass(frozen=True)
class DispatchSettings:
    timeout: float
    schedule: tuple[float, ...]
    allow_private: bool


class ClusterLocks:
    """The tenants' dispatcher locks and NOTIFY wake-ups of one cluster, on the projector's
    listening connection (session locks live as long as it does)."""

    def __init__(self, work: ClusterWork) -> None:
        self.work = work
        self._held: set[str] = set()
        self._generation = -1

    async def hold(self, schema: str) -> int | None:
        """The connection generation under which this process holds the tenant, or None."""

        async def take(conn: asyncpg.Connection) -> bool:
            if self.work.generation != self._generation:  # a new connection: locks gone
                self._generation = self.work.generation
                self._held = set()
            if schema in self._held:
                return True
            got = await conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtext($1), hashtext('kh-webhooks'))", schema
            )
            if got:
                self._held.add(schema)
            return bool(got)

        generation, held = await self.work.on_listener(take)
        return generation if held else None

    def alive(self, generation: int) -> bool:
        return self.work.alive(generation)

    async def listen(self, channel: str, wake: Callable[[], None]) -> None:
        self.work.hooks[channel] = wake
        await self.work.listen(channel)


@dataclass
class TenantDispatch:
    tenant: Tenant
    store: WebhookStore
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    senders: dict[UUID, tuple[asyncio.Task[None], asyncio.Event]] = field(default_factory=dict)
    generation: int | None = None
    task: asyncio.Task[None] | None = None


class WebhookDispatcher:
    """Sends every tenant's webhooks from this process (while it holds their locks)."""

    def __init__(
        self,
        settings: DispatchSettings,
        secrets: EndpointSecrets,
        channel_of: Callable[[Tenant], str | None],
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self._channel_of = channel_of
        self._locks: dict[str, ClusterLocks] = {}
        self._pools: dict[str, asyncpg.Pool] = {}
        self._tenants: dict[str, TenantDispatch] = {}
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._stopping = False

    async def start(
        self, projector: Projector, clusters: Iterable[Cluster], tenants: Iterable[Tenant]
    ) -> None:
        for cluster in clusters:
            self._locks[cluster.name] = ClusterLocks(projector.work(cluster.name))
            self._pools[cluster.name] = cluster.read
        for tenant in tenants:
            await self.add(tenant)

    def wake(self, slug: str) -> None:
        state = self._tenants.get(slug)
        if state is not None:
            state.wake.set()

    async def add(self, tenant: Tenant) -> None:
        if tenant.slug in self._tenants or self._stopping:
            return
        state = TenantDispatch(tenant, WebhookStore(tenant.schema_name))
        self._tenants[tenant.slug] = state
        channel = self._channel_of(tenant)
        if channel is not None:
            await self._locks[tenant.cluster].listen(channel, state.wake.set)
        state.task = asyncio.create_task(self._run(state), name=f"webhooks:{tenant.slug}")

    async def _run(self, state: TenantDispatch) -> None:
        locks = self._locks[state.tenant.cluster]
        pool = self._pools[state.tenant.cluster]
        while not self._stopping:
            state.wake.clear()
            try:
                generation = await locks.hold(state.tenant.schema_name)
                if generation != state.generation:
                    await self._stop_senders(state)
                    state.generation = generation
                if generation is not None:
                    async with pool.acquire() as conn:
                        active = {e.id for e in await state.store.all(conn, active_only=True)}
                    for endpoint_id in list(state.senders):
                        task, _ = state.senders[endpoint_id]
                        if endpoint_id not in active or task.done():
                            await finish(state.senders.pop(endpoint_id)[0])
                    for endpoint_id in active:
                        if endpoint_id not in state.senders:
                            wake = asyncio.Event()
                            task = asyncio.create_task(
                                self._send_loop(state, endpoint_id, generation, wake),
                                name=f"webhook:{state.tenant.slug}:{endpoint_id}",
                            )
                            state.senders[endpoint_id] = (task, wake)
                        state.senders[endpoint_id][1].set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: log, back off, retry
                log.warning("webhooks_failed", tenant=state.tenant.slug, error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.wake.wait(), POLL)

    async def _stop_senders(self, state: TenantDispatch) -> None:
        for task, _ in state.senders.values():
            await finish(task)
        state.senders.clear()

    async def _send_loop(
        self, state: TenantDispatch, endpoint_id: UUID, generation: int, wake: asyncio.Event
    ) -> None:
        locks = self._locks[state.tenant.cluster]
        pool = self._pools[state.tenant.cluster]
        store = state.store
        while not self._stopping and locks.alive(generation):
            wake.clear()
            wait = POLL
            try:
                async with pool.acquire() as conn:
                    await store.fill(conn, endpoint_id)
                    endpoint = await store.get(conn, endpoint_id)
                    if endpoint is None or endpoint.status != "active":
                        return
                    delivery = await store.head(conn, endpoint_id)
                    body = None
                    if delivery is not None:
                        due = (delivery.next_attempt_at - datetime.now(UTC)).total_seconds()
                        if due > 0:
                            wait = min(due, POLL)
                            delivery = None
                        else:
                            body = await store.body_of(conn, delivery.sequence)
                if delivery is not None:
                    await self._deliver(state, endpoint, delivery, body)
                    continue  # the next one at once
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "webhook_send_failed",
                    tenant=state.tenant.slug,
                    endpoint=str(endpoint_id),
                    error=repr(exc),
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)

    async def _deliver(
        self, state: TenantDispatch, endpoint: Endpoint, delivery: Delivery, body: str | None
    ) -> None:
        s = self.settings
        store = state.store
        if body is None:
            answer = Answer(datetime.now(UTC), None, 0.0, "the event is not in the feed", None)
        else:
            # Compact, in the event's own member order as stored.
            raw = msgspec.json.encode(msgspec.json.decode(body))
            secrets = self.secrets.signing(store.schema, endpoint)
            answer = await send(
                self._client,
                endpoint.url,
                delivery.event_id,
                raw,
                secrets,
                timeout=s.timeout,
                allow_private=s.allow_private,
            )
        outcome, retry_in, reason = _judge(delivery, answer, s.schedule)
        async with self._pools[state.tenant.cluster].acquire() as conn:
            await store.record(
                conn,
                delivery,
                at=answer.at,
                status=answer.status,
                latency_ms=answer.latency_ms,
                error=answer.error,
                outcome=outcome,
                retry_in=retry_in,
                disable_reason=reason,
            )
        if reason is not None:
            log.warning(
                "webhook_endpoint_disabled",
                tenant=state.tenant.slug,
                endpoint=str(endpoint.id),
                reason=reason,
            )

    async def stop(self) -> None:
        self._stopping = True
        for state in self._tenants.values():
            if state.task is not None:
                await finish(state.task)
            await self._stop_senders(state)
        await self._client.aclose()
        self._tenants.clear()


def _judge(
    delivery: Delivery, answer: Answer, schedule: tuple[float, ...]
) -> tuple[str, float | None, str | None]:
    """(outcome, retry in seconds, why the endpoint is disabled) of one attempt."""
    if answer.ok:
        return "delivered", None, None
    if answer.gone:
        reason = "the receiver answered 410 Gone"
        return ("failed" if delivery.kind == "manual" else "held"), None, reason
    if delivery.kind == "manual":
        return "failed", None, None
    step = delivery.step + 1
    retry_in = delay_after(schedule, step, answer.retry_after)
    if retry_in is None:
        tries = step
        return "failed", None, f"gave up after {tries} attempts; last: {answer.error}"
    return "retry", retry_in, None
