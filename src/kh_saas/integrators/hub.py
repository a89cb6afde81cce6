"""One listening connection per process and cluster, fanning public events out to streams.

However many SSE subscribers a process serves (500 in the bench), per cluster it holds ONE
listening connection (``LISTEN`` on each watched tenant's
:func:`~kh_saas.integrators.public_events_channel`) and reads through the shared read pool
one read at a time: at most 2 server connections for all its streams.

Per watched tenant a :class:`Topic` keeps the rows read since it was opened (a bounded
buffer, complete after ``floor``); one task per topic reads the table after its head when
notified, or every :data:`POLL` seconds (a lost notification cannot stall it), and wakes the
subscribers, which take their rows from the buffer. A subscriber behind the buffer (it
resumed from an old ``Last-Event-ID``) reads the table itself until it reaches it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import asyncpg

from kh_saas.integrators import public_events_channel
from kh_saas.integrators.feed import FeedRow, head, read_after
from kh_saas.logs import get_logger
from kh_saas.storage.clusters import Clusters
from kh_saas.storage.unavailable import connect_or_unavailable
from kh_saas.tenants.catalog import Tenant

log = get_logger(__name__)

#: Longest a topic waits without a notification before reading anyway.
POLL = 1.0
#: Rows a topic keeps for its subscribers; older ones are read from the table.
BUFFER = 20_000
READ_BATCH = 1000
#: How the listener shows in pg_stat_activity.
APPLICATION_NAME = "kh-stream-hub"
#: Server connections the hub adds per cluster beyond the shared read pool.
HUB_CONNECTIONS = 1


@dataclass
class Topic:
    """One tenant's recent public events, shared by its subscribers in this process."""

    tenant: Tenant
    channel: str
    floor: int = 0
    rows: list[FeedRow] = field(default_factory=list)
    sequences: list[int] = field(default_factory=list)
    #: Replaced (after being set) whenever rows arrive: a subscriber waits on the one it saw.
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set once ``floor`` is known (subscribers arriving meanwhile wait for it).
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: int = 0
    task: asyncio.Task[None] | None = None

    @property
    def head(self) -> int:
        return self.sequences[-1] if self.sequences else self.floor

    def since(self, after: int) -> list[FeedRow] | None:
        """Rows after ``after``; None when they start before the buffer (read the table)."""
        if after < self.floor:
            return None
        return self.rows[bisect.bisect_right(self.sequences, after) :]

    def add(self, rows: list[FeedRow]) -> None:
        self.rows.extend(rows)
        self.sequences.extend(r.sequence for r in rows)
        if len(self.rows) > BUFFER:
            cut = len(self.rows) - BUFFER // 2
            self.floor = self.sequences[cut - 1]
            del self.rows[:cut], self.sequences[:cut]
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()


class _ClusterLink:
    """The listener and the read turn of one cluster."""

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.url = url
        self.pool = pool
        self.listener: asyncpg.Connection | None = None
        self.topics: dict[str, Topic] = {}  # by channel
        self._listening = asyncio.Lock()
        #: One read at a time: all of this process's streams use one pool connection.
        self.turn = asyncio.Lock()

    def _notified(self, _conn: object, _pid: int, channel: str, _payload: str) -> None:
        topic = self.topics.get(channel)
        if topic is not None:
            topic.wake.set()

    async def listen(self) -> None:
        """(Re)connect if needed and LISTEN on every watched channel."""
        async with self._listening:
            if self.listener is not None and not self.listener.is_closed():
                return
            try:
                self.listener = await connect_or_unavailable(
                    self.url, server_settings={"application_name": APPLICATION_NAME}
                )
                for channel in list(self.topics):
                    await self.listener.add_listener(channel, self._notified)
            except Exception as exc:  # the poll keeps streams moving meanwhile
                log.warning("stream_listen_failed", error=repr(exc))
                self.listener = None

    async def add(self, channel: str) -> None:
        await self.listen()
        async with self._listening:
            if self.listener is not None and not self.listener.is_closed():
                with contextlib.suppress(Exception):
                    await self.listener.add_listener(channel, self._notified)

    async def remove(self, channel: str) -> None:
        async with self._listening:
            if self.listener is not None and not self.listener.is_closed():
                with contextlib.suppress(Exception):
                    await self.listener.remove_listener(channel, self._notified)

    async def read(self, schema: str, after: int, limit: int) -> list[FeedRow]:
        async with self.turn, self.pool.acquire() as conn:
            return await read_after(conn, schema, after, limit)

    async def head(self, schema: str) -> int:
        async with self.turn, self.pool.acquire() as conn:
            return await head(conn, schema)

    async def close(self) -> None:
        if self.listener is not None and not self.listener.is_closed():
            await self.listener.close()
        self.listener = None


class EventHub:
    """Every stream of this process (created with the app, opened on first use)."""

    def __init__(self, clusters: Callable[[], Clusters]) -> None:
        self._clusters = clusters  # the service's, once it has started
        self._links: dict[str, _ClusterLink] = {}
        self._closing = False

    def _link(self, tenant: Tenant) -> _ClusterLink:
        link = self._links.get(tenant.cluster)
        if link is None:
            cluster = self._clusters()[tenant.cluster]
            link = self._links[tenant.cluster] = _ClusterLink(cluster.url, cluster.read)
        return link

    async def read(self, tenant: Tenant, after: int, limit: int = READ_BATCH) -> list[FeedRow]:
        return await self._link(tenant).read(tenant.schema_name, after, limit)

    @contextlib.asynccontextmanager
    async def subscription(self, tenant: Tenant) -> AsyncIterator[Topic]:
        """The tenant's topic for as long as the caller streams."""
        link = self._link(tenant)
        channel = public_events_channel(tenant.schema_name)
        topic = link.topics.get(channel)
        if topic is None:
            topic = link.topics[channel] = Topic(tenant, channel)
            try:
                await link.add(channel)  # listen first: nothing committed after floor is missed
                topic.floor = await link.head(tenant.schema_name)
            except BaseException:
                del link.topics[channel]
                topic.ready.set()  # those waiting find it gone and open their own
                raise
            topic.task = asyncio.create_task(self._follow(link, topic), name=f"hub:{channel}")
            topic.ready.set()
        else:
            await topic.ready.wait()
            if link.topics.get(channel) is not topic:  # its opening failed: try afresh
                async with self.subscription(tenant) as fresh:
                    yield fresh
                return
        topic.subscribers += 1
        try:
            yield topic
        finally:
            topic.subscribers -= 1
            if topic.subscribers == 0 and link.topics.get(channel) is topic:
                del link.topics[channel]
                if topic.task is not None:
                    topic.task.cancel()
                await link.remove(channel)

    async def _follow(self, link: _ClusterLink, topic: Topic) -> None:
        schema = topic.tenant.schema_name
        while not self._closing:
            topic.wake.clear()
            try:
                rows = await link.read(schema, topic.head, READ_BATCH)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: retry after the poll
                log.warning("stream_read_failed", tenant=topic.tenant.slug, error=repr(exc))
                rows = []
            if rows:
                topic.add(rows)
                if len(rows) == READ_BATCH:
                    continue
            if link.listener is None or link.listener.is_closed():
                await link.listen()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(topic.wake.wait(), POLL)

    def topics(self) -> int:
        """Tenants watched now (each has at least one subscriber)."""
        return sum(len(link.topics) for link in self._links.values())

    def listening_connections(self) -> int:
        return sum(
            1 for link in self._links.values() if link.listener and not link.listener.is_closed()
        )

    async def close(self) -> None:
        self._closing = True
        for link in self._links.values():
            for topic in list(link.topics.values()):
                if topic.task is not None:
                    topic.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await topic.task
            link.topics.clear()
            await link.close()
        self._links.clear()
