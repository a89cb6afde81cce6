"""The app served by uvicorn on loopback, on the test's own loop and service.

The ASGI test transport buffers whole responses, so a stream (SSE) needs a real server; on
the test's loop, the test may also use the service's pools and the app's state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
import uvicorn

from kh_saas.api.app import create_app
from kh_saas.service import Service
from kh_saas.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.server_process import free_port


@pytest.fixture(name="live")
async def serve_live(service: Service, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app served on loopback (keep-alives every 0.3 s)."""
    fast = msgspec.structs.replace(settings, stream_keepalive=0.3)
    app = create_app(fast, service=service)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        timeout=20,
    ) as client:
        yield client
    await app.state.event_hub.close()
    server.should_exit = True
    server.force_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)


