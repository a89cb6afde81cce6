"""One write transaction shared by a command's saves and what must commit with them.

A creating request's answer must be recorded under its ``Idempotency-Key`` in the same
transaction as its events, or a crash between the two leaves "written" and "answered"
disagreeing. Inside ``with shared_transaction(pool) as tx:`` the tenant recorder inserts
events on ``tx``'s connection instead of committing a transaction of its own; the caller adds
its statements on ``tx.cursor()``; everything commits when the block ends, or nothing does.

The connection is taken from the pool at the first statement, so a command that fails before
saving holds none. The recorder does not retry inside a shared transaction: a failure aborts
it, and the request's client retries with its key, which is safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar

from psycopg import Cursor
from psycopg.rows import DictRow

from kh_saas.storage.pools import WritePool

_OPEN: ContextVar[SharedTransaction | None] = ContextVar("kh_shared_transaction", default=None)


class SharedTransaction:
    """The transaction of one ``with shared_transaction(...)`` block."""

    def __init__(self, pool: WritePool, stack: ExitStack) -> None:
        self.pool = pool
        self._stack = stack
        self._cursor: Cursor[DictRow] | None = None

    def cursor(self) -> Cursor[DictRow]:
        """The transaction's cursor, opening the transaction on first use."""
        if self._cursor is None:
            conn = self._stack.enter_context(self.pool.connection())
            self._stack.enter_context(conn.transaction())
            self._cursor = self._stack.enter_context(conn.cursor())
        return self._cursor


@contextmanager
def shared_transaction(pool: WritePool) -> Iterator[SharedTransaction]:
    """Commit every save made in the block (in this thread) together, at its end."""
    if _OPEN.get() is not None:
        raise RuntimeError("shared transactions do not nest")
    with ExitStack() as stack:
        tx = SharedTransaction(pool, stack)
        token = _OPEN.set(tx)
        try:
            yield tx
        finally:
            _OPEN.reset(token)


def open_transaction() -> SharedTransaction | None:
    """The shared transaction the current code runs in, if any."""
    return _OPEN.get()
