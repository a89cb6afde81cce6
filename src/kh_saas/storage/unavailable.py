"""What "the database is unavailable" looks like from each driver, in one place.

The API answers all of these with 503 ``database_unavailable`` and ``Retry-After``: they are
about reaching PostgreSQL (down, restarting, refusing connections, too slow), not about the
request, so the same request may succeed later.
"""

from __future__ import annotations

import asyncpg
import eventsourcing.persistence as es
import psycopg


class DatabaseUnavailable(Exception):
    """No connection to PostgreSQL could be made (refused, unreachable, timed out)."""


async def connect_or_unavailable(*args: object, **kwargs: object) -> asyncpg.Connection:
    """``asyncpg.connect`` for pools: a failed connect is an outage, not an ``OSError`` (which
    could be anything) nor a bare ``TimeoutError``."""
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as exc:
        raise DatabaseUnavailable(str(exc) or type(exc).__name__) from exc


#: Exceptions that mean PostgreSQL cannot serve now, from every layer that talks to it.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    DatabaseUnavailable,
    # asyncpg (read side, catalog, keys): a lost connection (08xxx), an operator or crash
    # shutdown, a server starting or stopping, a cancelled statement (statement_timeout) (57xxx),
    # too many connections (53300).
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.TooManyConnectionsError,
    # asyncpg's client-side command timeout and the pools' checkout timeouts.
    TimeoutError,
    # psycopg (write side): connection lost, pool checkout timed out (PoolTimeout), statement
    # or lock timeout; eventsourcing re-raises those as its own classes.
    psycopg.OperationalError,
    psycopg.InterfaceError,
    es.OperationalError,
    es.InterfaceError,
)
