"""Stopping a background task for sure.

Python 3.11's ``asyncio.wait_for`` (used by asyncpg and httpx underneath) can swallow a
cancellation that lands as its inner call completes; a loop that only relies on cancellation
then runs on and ``stop()`` waits forever. Loops here also check a stop flag, and
:func:`finish` cancels again until the task has ended.
"""

from __future__ import annotations

import asyncio
import contextlib


async def finish(task: asyncio.Task[None], *, every: float = 0.5) -> None:
    """Cancel ``task`` (again every ``every`` seconds) until it is done."""
    while not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), every)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
