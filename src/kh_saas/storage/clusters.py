"""PostgreSQL clusters and their pools: one read pool and one write pool per cluster.

Tenants are placed on a cluster (recorded in the catalog). Every tenant on a cluster shares
that cluster's two pools, so the server-connection count is bounded by
``read_pool_max + write_pool_max`` per cluster, however many provinces it holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import asyncpg
from psycopg import Connection
from psycopg.rows import DictRow, dict_row

from kh_saas.logs import get_logger
from kh_saas.storage.pools import WritePool
from kh_saas.storage.unavailable import connect_or_unavailable

log = get_logger(__name__)

DEFAULT_CLUSTER = "default"


def _write_connection_setup(statement_timeout: float) -> Callable[[Connection[DictRow]], None]:
    def configure(conn: Connection[DictRow]) -> None:
        # eventsourcing's recorders expect autocommit connections and open their own
        # transactions.
        conn.autocommit = True
        conn.execute("SET idle_in_transaction_session_timeout = '5s'")
        conn.execute(f"SET statement_timeout = {int(statement_timeout * 1000)}")

    return configure


async def light_reset(conn: asyncpg.Connection) -> None:
    """What a connection needs before going back to the pool, in this code base: no open
    transaction. asyncpg's default reset (``RESET ALL; UNLISTEN *; CLOSE ALL; advisory
    unlock``) costs one round trip per query; nothing here leaves session state behind (locks
    are transaction-scoped, listeners have their own connections, settings are fixed at
    connect)."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class Cluster:
    """One PostgreSQL server (or Citus coordinator) holding the schemas of some tenants.

    Both pools are bounded in time as well as size, so an outage answers 503 within about
    ``db_timeout`` seconds instead of waiting for the database to come back: connecting and
    checking a connection out take at most ``db_timeout``, a statement at most
    ``statement_timeout`` (server-side; asyncpg also gives up client-side a little later).
    Write connections are checked before use, so the first writes after a restart of
    PostgreSQL do not meet connections the server already closed.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        read_pool_max: int,
        write_pool_max: int,
        db_timeout: float = 5.0,
        statement_timeout: float = 120.0,
        worker_connections: int = 0,
    ) -> None:
        self.name = name
        self.url = url
        #: Connections held apart from the pools: the projector's batch pool and listener, the
        #: stream hub's listener.
        self.worker_connections = worker_connections
        self._read_pool_max = read_pool_max
        self._write_pool_max = write_pool_max
        self._db_timeout = db_timeout
        self._statement_timeout = statement_timeout
        self._read: asyncpg.Pool | None = None
        self.write: WritePool = WritePool(
            url,
            connection_class=Connection[DictRow],
            # libpq counts whole seconds and treats less than 2 as 2.
            kwargs={"row_factory": dict_row, "connect_timeout": max(2, math.ceil(db_timeout))},
            min_size=1,
            max_size=write_pool_max,
            open=False,
            configure=_write_connection_setup(statement_timeout),
            check=WritePool.check_connection,
            timeout=db_timeout,
            # A connection attempt that kept failing is dropped after this, so the pool tries
            # afresh (without a long backoff) when the server is back.
            reconnect_timeout=max(10.0, 2 * db_timeout),
            name=f"kh-write-{name}",
        )

    @property
    def read(self) -> asyncpg.Pool:
        if self._read is None:
            raise RuntimeError(f"cluster {self.name!r} is not open")
        return self._read

    @property
    def connection_bound(self) -> int:
        """Most server connections this process can hold on this cluster."""
        return self._read_pool_max + self._write_pool_max + self.worker_connections

    def write_pool_answers(self, timeout: float) -> None:
        """Raise unless the write pool hands out a working connection within ``timeout``."""
        with self.write.connection(timeout=timeout) as conn:
            conn.execute("SELECT 1")

    async def open(self) -> None:
        self._read = await asyncpg.create_pool(
            self.url,
            min_size=1,
            max_size=self._read_pool_max,
            connect=connect_or_unavailable,
            timeout=self._db_timeout,
            command_timeout=self._statement_timeout + self._db_timeout,
            server_settings={
                "statement_timeout": str(int(self._statement_timeout * 1000)),
                # Listings filter on skewed values (a title given in some years only): a
                # generic plan, which PostgreSQL picks after five runs of a prepared
                # statement, plans for the average and walked a whole index for a combination
                # with no rows (0.7 s instead of 0.1 ms). Planning each run costs ~0.1 ms.
                "plan_cache_mode": "force_custom_plan",
            },
            reset=light_reset,
        )
        self.write.open(wait=False)
        log.info("cluster_open", cluster=self.name, bound=self.connection_bound)

    async def close(self) -> None:
        if self._read is not None:
            await self._read.close()
            self._read = None
        self.write.close()


class Clusters:
    """The clusters this process knows, by name (the catalog stores each tenant's)."""

    def __init__(self, clusters: dict[str, Cluster]) -> None:
        if DEFAULT_CLUSTER not in clusters:
            raise ValueError("a 'default' cluster is required: it holds the platform catalog")
        self._clusters = clusters

    @property
    def default(self) -> Cluster:
        return self._clusters[DEFAULT_CLUSTER]

    def __getitem__(self, name: str) -> Cluster:
        try:
            return self._clusters[name]
        except KeyError:
            raise LookupError(f"unknown cluster {name!r}: is KH_CLUSTERS configured?") from None

    def __iter__(self) -> Iterator[Cluster]:
        return iter(self._clusters.values())

    async def open(self) -> None:
        for cluster in self._clusters.values():
            await cluster.open()

    async def close(self) -> None:
        for cluster in self._clusters.values():
            await cluster.close()
