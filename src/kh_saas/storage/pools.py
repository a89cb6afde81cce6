"""Pool types shared by the write side and the event store."""

from __future__ import annotations

from typing import TypeAlias

from eventsourcing.postgres import ConnectionPool
from psycopg import Connection
from psycopg.rows import DictRow

#: The psycopg pool of one cluster's write side (``eventsourcing``'s pool class).
WritePool: TypeAlias = ConnectionPool[Connection[DictRow]]
