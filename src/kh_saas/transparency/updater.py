"""The background task that grows every tenant's transparency log and signs its checkpoints.

Once started (by the service, or by a worker process), it wakes when a tenant's event store
NOTIFYs (one LISTEN connection per cluster, whatever the number of tenants) and, as a
backstop, every ``KH_AUDIT_LOG_POLL`` seconds; one query per cluster finds the tenants whose
log is behind. Each batch of new events is appended to the tiles in one transaction with its
signed checkpoint, under a per-tenant advisory lock, so several processes may run it: one
grows a given log at a time, the others skip it. Each new checkpoint is then pushed to the
tenant's witnesses (``witness_client``). A batch reads "after the last position",
never "last position + 1": notification ids have holes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg

from kh_saas.logs import get_logger
from kh_saas.storage.clusters import Cluster
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident
from kh_saas.tenants.catalog import Tenant
from kh_saas.transparency.batch import grow
from kh_saas.transparency.checkpoint import Checkpoint
from kh_saas.transparency.keystore import LogKeys
from kh_saas.transparency.notes import Note, sign
from kh_saas.transparency.sealing import sealer_for
from kh_saas.transparency.store import LogStore
from kh_saas.transparency.tasks import finish
from kh_saas.transparency.tiles import TileTree
from kh_saas.transparency.witness_client import WitnessPusher

if TYPE_CHECKING:
    from kh_saas.service import Service

log = get_logger(__name__)

BATCH = 10_000
#: Batches one tenant may take per pass before the others get their turn.
BATCHES_PER_PASS = 10
#: Shortest time between passes: bounds checkpoints per log to about five a second.
MIN_SPACING = 0.2
RETRY_AFTER_FAILURE = 2.0


def channel_of(tenant: Tenant) -> str:
    """The tenant's NOTIFY channel (as the event store's recorder names it)."""
    return f"{tenant.schema_name}_{EVENTS_TABLE}"[:63]


@dataclass
class _Listener:
    conn: Any  # a pool connection proxy, held while the updater runs
    channels: set[str] = field(default_factory=set)


class TreeUpdater:
    """Grows the logs; also the service's keeper of their signing keys and origins."""

    def __init__(
        self,
        service: Service,
        *,
        batch: int = BATCH,
        on_checkpoint: Callable[[Tenant], None] | None = None,
    ) -> None:
        self._service = service
        settings = service.settings
        self.keys = LogKeys(sealer_for(settings.secret_key, settings.data_dir))
        self._batch = batch
        self._poll = settings.audit_log_poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._listeners: dict[str, _Listener] = {}
        #: Pushes new checkpoints to witnesses (started and stopped with the updater).
        self.witnesses = WitnessPusher(service)
        self.on_checkpoint = on_checkpoint or self.witnesses.notify

    def origin_of(self, tenant: Tenant) -> str:
        """The origin a new log gets (an existing log keeps the one in its state)."""
        return f"{self._service.settings.public_host}/v1/t/{tenant.slug}/audit"

    async def ensure_key(self, conn: asyncpg.Connection, tenant: Tenant) -> None:
        await self.keys.ensure(conn, tenant.schema_name, self.origin_of(tenant))

    async def start(self) -> None:
        """Grow the logs and push their checkpoints to witnesses until :meth:`stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="kh-audit-log")
            await self.witnesses.start()

    async def stop(self) -> None:
        await self.witnesses.stop()
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            await finish(task)
        for name, listener in list(self._listeners.items()):
            with contextlib.suppress(Exception):
                for channel in listener.channels:
                    await listener.conn.remove_listener(channel, self._notified)
            with contextlib.suppress(Exception):
                await self._service.clusters[name].read.release(listener.conn)
        self._listeners.clear()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        self._stopping = False
        while not self._stopping:
            more = False
            try:
                more = await self._pass()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("audit_log_pass_failed", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(RETRY_AFTER_FAILURE)
            await asyncio.sleep(MIN_SPACING)
            if not more:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()

    async def _pass(self) -> bool:
        """Grow every log that is behind; ``True`` when one still is (a large backlog)."""
        service = self._service
        tenants = await service.catalog.all("active")
        more = False
        for name in sorted({t.cluster for t in tenants}):
            cluster = service.clusters[name]
            on_cluster = [t for t in tenants if t.cluster == name]
            await self._listen(cluster, on_cluster)
            for tenant in await self._behind(cluster, on_cluster):
                added = await self.grow(tenant, max_batches=BATCHES_PER_PASS)
                more = more or added >= self._batch * BATCHES_PER_PASS
        return more

    async def _behind(self, cluster: Cluster, tenants: list[Tenant]) -> list[Tenant]:
        if not tenants:
            return []
        parts = []
        for i, t in enumerate(tenants):
            q = quote_ident(t.schema_name)
            parts.append(
                f"SELECT {i} AS i WHERE (SELECT max(notification_id) FROM {q}.{EVENTS_TABLE})"
                f" > coalesce((SELECT last_position FROM {q}.log_state), 0)"
            )
        rows = await cluster.read.fetch(" UNION ALL ".join(parts))
        return [tenants[r["i"]] for r in rows]

    async def _listen(self, cluster: Cluster, tenants: list[Tenant]) -> None:
        """Keep one connection per cluster listening on every tenant's channel."""
        listener = self._listeners.get(cluster.name)
        if listener is not None and listener.conn.is_closed():
            with contextlib.suppress(Exception):
                await cluster.read.release(listener.conn)
            listener = None
        try:
            if listener is None:
                listener = _Listener(await cluster.read.acquire())
                self._listeners[cluster.name] = listener
            for tenant in tenants:
                channel = channel_of(tenant)
                if channel not in listener.channels:
                    await listener.conn.add_listener(channel, self._notified)
                    listener.channels.add(channel)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            log.info("audit_log_listen_failed", cluster=cluster.name, error=str(exc))

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def grow(self, tenant: Tenant, *, max_batches: int | None = None) -> int:
        """Append the tenant's new events to its log; return how many were added."""
        total, batches = 0, 0
        while max_batches is None or batches < max_batches:
            added = await self._grow_once(tenant)
            total += added
            batches += 1
            if added < self._batch:
                break
        return total

    async def _grow_once(self, tenant: Tenant) -> int:
        cluster = self._service.clusters[tenant.cluster]
        store = LogStore(tenant.schema_name)
        async with cluster.read.acquire() as conn, conn.transaction():
            if not await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtext($1))", f"kh-log:{tenant.schema_name}"
            ):
                return 0  # another process is growing this log
            state = await store.state(conn) or await store.init(conn, self.origin_of(tenant))
            rows = await store.events_after(conn, state.last_position, self._batch)
            if not rows:
                return 0
            tree = TileTree(state.size, await store.edge(conn, state.size))
            partial = await store.partial_bundle(conn, state.size)
            growth = grow(tree, partial, await store.last_run(conn), state.last_position, rows)
            await store.store(conn, growth)
            signer = await self.keys.active(conn, tenant.schema_name)
            if signer is None:
                await self.keys.ensure(conn, tenant.schema_name, state.origin)
                signer = await self.keys.active(conn, tenant.schema_name)
                assert signer is not None
            body = Checkpoint(state.origin, growth.size, growth.root).body()
            await store.add_checkpoint(
                conn, growth.size, growth.root, Note(body, [sign(body, signer)]).format()
            )
        if self.on_checkpoint is not None:
            self.on_checkpoint(tenant)
        return len(rows)
