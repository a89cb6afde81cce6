"""Keeps every tenant's projections up to date: woken by NOTIFY, polled as a backstop.

Per cluster: one listening connection (every tenant's channel on it) and a small pool of its
own for the batches, so catching up never starves request reads; per tenant: one task that
runs each projection's batches until it is caught up, then waits for a notification or at
most :data:`POLL` seconds (a lost notification cannot stall it).

Runs in ``kh-saas serve`` by default and in ``kh-saas worker``; several processes may run
it at once: each batch takes the projection's advisory lock, so one writes and the others
skip, and take over when it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg

from kh_saas.logs import get_logger
from kh_saas.projections.model import Projection
from kh_saas.projections.ops import Status, status
from kh_saas.projections.rebuild import rebuild
from kh_saas.projections.runner import BATCH, ProjectionRunner
from kh_saas.storage.clusters import Cluster, light_reset
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident
from kh_saas.storage.unavailable import connect_or_unavailable
from kh_saas.tenants.catalog import Tenant

log = get_logger(__name__)
T = TypeVar("T")

#: Longest a tenant's projections wait without a notification before looking anyway.
POLL = 1.0
WORK_POOL_MAX = 2
STATS_EVERY = 5.0
#: How the projector's connections show in pg_stat_activity.
APPLICATION_NAME = "kh-projector"
#: Server connections the projector holds per cluster: its batch pool and one listener.
WORKER_CONNECTIONS = WORK_POOL_MAX + 1


def channel_of(schema: str) -> str:
    """The recorder's schema-qualified NOTIFY channel (see storage/eventstore.py)."""
    return f"{schema}_{EVENTS_TABLE}"[:63]


@dataclass
class TenantProjections:
    tenant: Tenant
    runners: list[ProjectionRunner]
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set after every batch, so waiting readers look again.
    advanced: asyncio.Event = field(default_factory=asyncio.Event)
    #: Position each projection reached in this process (a lower bound of the table's).
    positions: dict[str, int] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None


class ClusterWork:
    """The listening connection and batch pool of one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.pool: asyncpg.Pool | None = None
        self.listener: asyncpg.Connection | None = None
        self._heard: set[str] = set()
        self.channels: dict[str, TenantProjections] = {}
        #: Other channels heard on the same connection (the webhook dispatcher's wake-ups).
        self.hooks: dict[str, Callable[[], None]] = {}
        #: Bumped each time the listening connection is made anew.
        self.generation = 0
        self._listening = asyncio.Lock()  # one connection: its commands may not interleave

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.cluster.url,
            min_size=0,
            max_size=WORK_POOL_MAX,
            connect=connect_or_unavailable,
            server_settings={"application_name": APPLICATION_NAME},
            reset=light_reset,
        )

    def _notified(self, _conn: object, _pid: int, channel: str, _payload: str) -> None:
        tenant = self.channels.get(channel)
        if tenant is not None:
            tenant.wake.set()
        hook = self.hooks.get(channel)
        if hook is not None:
            hook()

    async def _connected(self) -> asyncpg.Connection:
        """The listening connection, (re)made with every channel heard; hold ``_listening``."""
        if self.listener is None or self.listener.is_closed():
            self.listener = await connect_or_unavailable(self.cluster.url)
            self.generation += 1
            self._heard = set()
        for known in (self.channels.keys() | self.hooks.keys()) - self._heard:
            await self.listener.add_listener(known, self._notified)
            self._heard.add(known)
        return self.listener

    async def listen(self, channel: str) -> None:
        async with self._listening:
            try:
                await self._connected()
            except Exception as exc:  # the 1 s poll keeps projections moving meanwhile
                log.warning("projection_listen_failed", channel=channel, error=repr(exc))
                if self.listener is not None:
                    # Closed for sure: a half-broken session must not keep holding the
                    # webhook locks taken on it (see on_listener).
                    self.listener.terminate()
                self.listener = None

    async def on_listener(
        self, fn: Callable[[asyncpg.Connection], Awaitable[T]]
    ) -> tuple[int, T]:
        """Run ``fn`` on the listening connection: (its generation, the result). The webhook
        dispatcher keeps its session locks there, so they cost no connection of their own;
        a new generation means the connection was remade and those locks are gone."""
        async with self._listening:
            return self.generation, await fn(await self._connected())

    def alive(self, generation: int) -> bool:
        """Whether the connection of ``generation`` is still the open one."""
        listener = self.listener
        return generation == self.generation and listener is not None and not listener.is_closed()

    async def close(self) -> None:
        if self.listener is not None and not self.listener.is_closed():
            await self.listener.close()
        if self.pool is not None:
            await self.pool.close()


class Projector:
    """Every tenant's projections, in this process."""

    def __init__(self, projections: Sequence[Projection]) -> None:
        self.projections = tuple(projections)
        self._work: dict[str, ClusterWork] = {}
        self._tenants: dict[str, TenantProjections] = {}
        self._stopping = False
        #: (tenant slug, projection) → last status seen; refreshed every :data:`STATS_EVERY` s
        #: for the metrics (which are collected synchronously).
        self.stats: dict[tuple[str, str], Status] = {}
        self._stats_task: asyncio.Task[None] | None = None

    def tenant(self, slug: str) -> TenantProjections | None:
        return self._tenants.get(slug)

    def work(self, cluster: str) -> ClusterWork:
        """A cluster's listening connection and batch pool (shared with the webhooks)."""
        return self._work[cluster]

    async def start(self, clusters: Iterable[Cluster], tenants: Iterable[Tenant]) -> None:
        for cluster in clusters:
            work = ClusterWork(cluster)
            await work.open()
            self._work[cluster.name] = work
        for tenant in tenants:
            await self.add(tenant)
        self._stats_task = asyncio.create_task(self._refresh_stats(), name="projection-stats")

    async def _refresh_stats(self) -> None:
        while not self._stopping:
            for slug, state in list(self._tenants.items()):
                pool = self._work[state.tenant.cluster].pool
                if pool is None:
                    continue
                try:
                    async with pool.acquire() as conn:
                        found = await status(conn, state.tenant.schema_name, self.projections)
                except Exception as exc:  # metrics only: try again next round
                    log.debug("projection_stats_failed", tenant=slug, error=repr(exc))
                    continue
                for s in found:
                    self.stats[(slug, s.name)] = s
            await asyncio.sleep(STATS_EVERY)

    async def add(self, tenant: Tenant) -> None:
        """Start keeping a tenant's projections (built from zero when new)."""
        if tenant.slug in self._tenants or self._stopping:
            return
        work = self._work[tenant.cluster]
        state = TenantProjections(
            tenant, [ProjectionRunner(tenant.schema_name, p) for p in self.projections]
        )
        self._tenants[tenant.slug] = state
        channel = channel_of(tenant.schema_name)
        work.channels[channel] = state
        await work.listen(channel)
        state.task = asyncio.create_task(self._run(work, state), name=f"project:{tenant.slug}")

    async def _run(self, work: ClusterWork, state: TenantProjections) -> None:
        assert work.pool is not None
        prepared: set[str] = set()
        while not self._stopping:
            try:
                for runner in state.runners:
                    name = runner.projection.name
                    if name not in prepared:
                        async with work.pool.acquire() as conn:
                            if not await runner.prepare(conn):
                                await rebuild(work.pool, runner.schema, runner.projection)
                        prepared.add(name)
                    while True:
                        async with work.pool.acquire() as conn:
                            consumed = await runner.step(conn)
                            if consumed or name not in state.positions:
                                state.positions[name] = await runner.position(conn)
                        if consumed:
                            state.advanced.set()
                        if consumed < BATCH:
                            break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away, a bad event: log, back off, retry
                error = f"{type(exc).__name__}: {exc}"
                log.warning("projection_failed", tenant=state.tenant.slug, error=error)
                await asyncio.sleep(POLL)
            if work.listener is None or work.listener.is_closed():
                await work.listen(channel_of(state.tenant.schema_name))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.wake.wait(), POLL)
            state.wake.clear()

    async def stop(self) -> None:
        self._stopping = True
        tasks = [t.task for t in self._tenants.values() if t.task is not None]
        if self._stats_task is not None:
            tasks.append(self._stats_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for work in self._work.values():
            await work.close()
        self._tenants.clear()
        self._work.clear()


async def positions(conn: asyncpg.Connection, schema: str) -> dict[str, int]:
    """Each projection's position in a tenant schema."""
    rows = await conn.fetch(
        f"SELECT name, position FROM {quote_ident(schema)}.projection_positions"
    )
    return {r["name"]: int(r["position"]) for r in rows}
