"""The tenants' event store: ``eventsourcing``'s PostgreSQL recorder on a pool shared by tenants.

Stock ``eventsourcing`` 9.5.6 gives every Application its own psycopg pool (≈6 server
connections each) and registers a composite type per schema on each connection, which breaks
when schemas share a pool. Three small subclasses fix what a schema-per-tenant service needs
(see ``docs/adr/0001-shared-pools.md``):

* :class:`TenantDatastore` wraps the cluster's shared pool and never closes it;
* :class:`TenantApplicationRecorder` inserts with ``unnest`` over plain arrays (no composite
  type to register, so schemas cannot clash), without psycopg's pipeline mode (which hangs on
  saves above ≈0.45 MB over a unix socket), and notifies on a schema-qualified channel;
* :class:`TenantPersistence` is the infrastructure factory that ties them to one schema.

The stock recorder retries a failed call 10 times, each waiting up to the pool's checkout
timeout: during an outage a write hung for minutes. Ours retry only within the pool's timeout
(``KH_DB_TIMEOUT``) in all, then raise, and the API answers 503. Inside a
:func:`~kh_saas.storage.shared_transaction.shared_transaction` the recorder inserts on that
transaction's connection and does not retry at all.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import eventsourcing.persistence as es
import psycopg
from eventsourcing.persistence import (
    BaseInfrastructureFactory,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import Environment
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from kh_saas.storage.pools import WritePool
from kh_saas.storage.shared_transaction import open_transaction

#: The eventsourcing application name; tables are ``<name>_events`` in each tenant schema.
EVENTS_TABLE = "khuyenhoc_events"

_RETRY_WAIT = 0.2


def retry_briefly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Retry a recorder call on a lost or unobtainable connection, within the pool's checkout
    timeout in all (the stock ``@retry`` makes 10 attempts of up to that timeout each)."""

    @functools.wraps(func)
    def attempt(self: PostgresApplicationRecorder, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.datastore.pool.timeout
        while True:
            try:
                return func(self, *args, **kwargs)
            except (InterfaceError, OperationalError):
                if time.monotonic() + _RETRY_WAIT >= deadline:
                    raise
                time.sleep(_RETRY_WAIT)

    return attempt


def _unwrapped(method: Callable[..., Any]) -> Callable[..., Any]:
    """The library method without its own ``@retry``."""
    inner: Callable[..., Any] = getattr(method, "__wrapped__", method)
    return inner


#: psycopg errors as the eventsourcing errors commands catch (as ``get_connection`` does).
_TRANSLATED: tuple[tuple[type[psycopg.Error], type[es.PersistenceError]], ...] = (
    (psycopg.InterfaceError, es.InterfaceError),
    (psycopg.OperationalError, es.OperationalError),
    (psycopg.DataError, es.DataError),
    (psycopg.IntegrityError, es.IntegrityError),
    (psycopg.InternalError, es.InternalError),
    (psycopg.ProgrammingError, es.ProgrammingError),
    (psycopg.NotSupportedError, es.NotSupportedError),
    (psycopg.DatabaseError, es.DatabaseError),
    (psycopg.Error, es.PersistenceError),
)


@contextmanager
def _as_persistence_errors() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        for theirs, ours in _TRANSLATED:
            if isinstance(exc, theirs):
                raise ours(str(exc)) from exc
        raise


class TenantDatastore(PostgresDatastore):
    """One tenant schema on the cluster's shared write pool (never owns the pool)."""

    def __init__(self, pool: WritePool, schema: str, lock_timeout: int = 10) -> None:
        # Deliberately not calling super().__init__: it would build a pool of its own.
        self.pool = pool
        self.schema = schema
        self.idle_in_transaction_session_timeout = 5.0
        self.pre_ping = False
        self.pool_open_timeout = None
        self.single_row_tracking = True
        self.lock_timeout = lock_timeout
        self.originator_id_type = "uuid"
        self.enable_db_functions = False
        self.db_type_names = set()
        self.psycopg_type_adapters = {}
        self.psycopg_python_types = {}

    def register_type_adapters(self) -> None:
        """No composite types are used on the shared pool (see the recorder)."""

    def close(self) -> None:
        """The pool belongs to the cluster, which closes it at shutdown."""

    def __del__(self) -> None:
        pass


class TenantApplicationRecorder(PostgresApplicationRecorder):
    """Application recorder for one tenant schema on a shared pool."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        # The stock channel is the bare table name, shared by every schema.
        self.channel_name = f"{datastore.schema}_{events_table_name}"[:63]
        self._insert_arrays = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))

        self._select_many = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = ANY(%b) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))
        self._index_subjects = SQL(
            "INSERT INTO {schema}.subject_events (subject_id, originator_id, topic, "
            "notification_id) SELECT (convert_from(state, 'UTF8')::jsonb ->> 'subject_id')::uuid,"
            " originator_id, topic, notification_id FROM {schema}.{table} "
            "WHERE notification_id = ANY(%s) AND topic = ANY(%s)"
        ).format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))
        self._select_subject_events = SQL(
            "SELECT DISTINCT originator_id FROM {schema}.subject_events "
            "WHERE subject_id = ANY(%b) AND topic = ANY(%s)"
        ).format(schema=Identifier(datastore.schema))
        #: Topics of events that carry a ``subject_id`` to index (set by the application).
        self.subject_topics: frozenset[str] = frozenset()
        self._select_existing = SQL(
            "SELECT originator_id FROM {schema}.{table} "
            "WHERE originator_id = ANY(%b) AND originator_version = 1"
        ).format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))

        self._select_first_field = SQL(
            "SELECT originator_id, convert_from(state, 'UTF8')::jsonb ->> %s "
            "FROM {schema}.{table} "
            "WHERE originator_id = ANY(%b) AND originator_version = 1 AND topic = %s"
        ).format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))
        self._select_topics = SQL(
            "SELECT originator_id, topic FROM {schema}.{table} WHERE originator_id = ANY(%b)"
        ).format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))

    def create_table(self) -> None:
        """Tables come from versioned tenant migrations, never from the library at runtime."""

    @retry_briefly
    def select_events_of(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of many aggregates in one query (a decision checks 50,000 at once)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._select_many, (list(ids),))
            return [  # tuple rows: a dict per row was ~40% of this read (profiled)
                StoredEvent(
                    originator_id=originator_id,
                    originator_version=version,
                    topic=topic,
                    state=bytes(state),
                )
                for originator_id, version, topic, state in curs.fetchall()
            ]

    @retry_briefly
    def first_event_field(self, ids: Sequence[UUID], topic: str, name: str) -> dict[UUID, str]:
        """One field of these aggregates' first events (of ``topic``), read in SQL from the
        plain-JSON state: what a large command needs of tens of thousands of aggregates
        (a subject's kind) without rebuilding them."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._select_first_field, (name, list(ids), topic))
            return {originator_id: value for originator_id, value in curs.fetchall()}

    @retry_briefly
    def topics_of(self, ids: Sequence[UUID]) -> dict[UUID, set[str]]:
        """Which events each of these aggregates has, without their state: enough to tell a
        granted recognition from a revoked one without rebuilding tens of thousands."""
        found: dict[UUID, set[str]] = {}
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._select_topics, (list(ids),))
            for originator_id, topic in curs.fetchall():
                found.setdefault(originator_id, set()).add(topic)
        return found

    @retry_briefly
    def aggregates_about(self, subject_ids: Sequence[UUID], topics: Sequence[str]) -> set[UUID]:
        """Ids of aggregates whose indexed events name one of these subjects."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_subject_events, (list(subject_ids), list(topics)))
            return {row["originator_id"] for row in curs.fetchall()}

    @retry_briefly
    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of these aggregate ids are already in the store."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_existing, (list(ids),))
            return {row["originator_id"] for row in curs.fetchall()}

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        shared = open_transaction()
        if shared is None:
            ids: Sequence[int] | None = self._insert_in_own_transaction(stored_events, **kwargs)
            return ids
        if shared.pool is not self.datastore.pool:
            raise es.ProgrammingError("a shared transaction cannot span clusters")
        with _as_persistence_errors():
            return self._insert(shared.cursor(), stored_events, **kwargs)

    @retry_briefly
    def _insert_in_own_transaction(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            return self._insert(curs, stored_events, **kwargs)

    def _insert(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self._insert_events(curs, stored_events, **kwargs)
        if not stored_events:
            return []
        self._insert_stored_events(curs, stored_events, **kwargs)
        ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        indexed = [
            i
            for i, e in zip(ids or [], stored_events, strict=False)
            if e.topic in self.subject_topics
        ]
        if indexed:  # same transaction: the index never disagrees with the log
            curs.execute(self._index_subjects, (indexed, list(self.subject_topics)))
        return ids

    # The library's other reads, with the bounded retry instead of theirs.
    select_events = retry_briefly(_unwrapped(PostgresAggregateRecorder.select_events))
    select_notifications = retry_briefly(
        _unwrapped(PostgresApplicationRecorder.select_notifications)
    )
    max_notification_id = retry_briefly(_unwrapped(PostgresApplicationRecorder.max_notification_id))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(  # %b: binary parameters (bytea as text doubles in size and escapes)
            self._insert_arrays,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
            binary=True,
        )


class TenantPersistence(PostgresFactory):
    """Infrastructure factory binding an Application to one schema on a shared pool."""

    def __init__(self, env: Environment, *, pool: WritePool, schema: str) -> None:
        # Skip BasePostgresFactory.__init__: it reads POSTGRES_* and builds its own pool.
        BaseInfrastructureFactory.__init__(self, env)
        self.datastore = TenantDatastore(pool, schema)

    def application_recorder(self) -> TenantApplicationRecorder:
        recorder = TenantApplicationRecorder(
            self.datastore, events_table_name=f"{self.env.name.lower()}_events"
        )
        return recorder

    def env_create_table(self) -> bool:
        return False

    def close(self) -> None:
        """Nothing of ours to close: the pool is the cluster's."""
