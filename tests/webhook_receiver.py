"""A real HTTP receiver for webhook tests: an asyncio server in the test's own loop that
records every request and answers what the test scripts (HTTP/1.1, keep-alive)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived

    @property
    def event(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


#: What to answer: (status, extra headers, seconds to wait before answering).
Reply = tuple[int, dict[str, str], float]


@dataclass
class Receiver:
    answer: Callable[[Received], Reply] = lambda _r: (200, {}, 0.0)
    received: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        """Listen (again on the same port after :meth:`stop`)."""
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for writer in list(self._writers):
                writer.close()
            # Let each connection's task see its end, so none is cancelled at loop close.
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=5)
            await self.server.wait_closed()
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = h.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                got = Received(headers, body, time.time())
                status, extra, wait = self.answer(got)
                self.received.append(got)
                self.arrived.set()
                if wait:
                    await asyncio.sleep(wait)
                head = f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in extra.items()
                )
                writer.write((head + "\r\n").encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def wait_for(self, check: Callable[[list[Received]], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not check(self.received):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; received {len(self.received)} requests")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), min(left, 0.5))


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: float = 300) -> bool:
    """Standard Webhooks 1.0 verification written from the spec, independent of the
    ``standardwebhooks`` package: HMAC-SHA256 over ``id.timestamp.body`` with the base64
    key after ``whsec_``; any ``v1,`` signature in the space-separated list may match."""
    msg_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    for item in headers["webhook-signature"].split(" "):
        version, _, signature = item.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(signature), expected):
            return True
    return False
