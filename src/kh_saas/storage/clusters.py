"""PostgreSQL clusters and their pools: one read pool and one write pool per cluster.

Tenants are placed on a cluster (recorded in the catalog). Every tenant on a cluster shares
that cluster's two pools, so the server-connection count is bounded by
``read_pool_max + write_pool_max`` per cluster, however many provinces it holds.
"""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
from psycopg import Connection
from psycopg.rows import DictRow, dict_row

from kh_saas.logs import get_logger
from kh_saas.storage.pools import WritePool

log = get_logger(__name__)

DEFAULT_CLUSTER = "default"


def _configure_write_connection(conn: Connection[DictRow]) -> None:
    # eventsourcing's recorders expect autocommit connections and open their own transactions.
    conn.autocommit = True
    conn.execute("SET idle_in_transaction_session_timeout = '5s'")


class Cluster:
    """One PostgreSQL server (or Citus coordinator) holding the schemas of some tenants."""

    def __init__(self, name: str, url: str, *, read_pool_max: int, write_pool_max: int) -> None:
        self.name = name
        self.url = url
        self._read_pool_max = read_pool_max
        self._write_pool_max = write_pool_max
        self._read: asyncpg.Pool | None = None
        self.write: WritePool = WritePool(
            url,
            connection_class=Connection[DictRow],
            kwargs={"row_factory": dict_row},
            min_size=1,
            max_size=write_pool_max,
            open=False,
            configure=_configure_write_connection,
            timeout=30.0,
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
        return self._read_pool_max + self._write_pool_max

    async def open(self) -> None:
        self._read = await asyncpg.create_pool(
            self.url, min_size=1, max_size=self._read_pool_max, command_timeout=60
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
