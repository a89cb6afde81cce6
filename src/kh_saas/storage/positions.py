"""The log position of what a request wrote, for its ``KH-Position`` header (read-your-writes).

The HTTP layer opens a sink per request; the tenant application reports each save's last
notification id into it (also from the worker thread the save runs in: threads started with
``anyio.to_thread`` inherit the request's context, and with it the same sink).
"""

from __future__ import annotations

from contextvars import ContextVar, Token

_SINK: ContextVar[list[int] | None] = ContextVar("kh_written_positions", default=None)


def open_sink() -> tuple[list[int], Token[list[int] | None]]:
    sink: list[int] = []
    return sink, _SINK.set(sink)


def close_sink(token: Token[list[int] | None]) -> None:
    _SINK.reset(token)


def written(position: int) -> None:
    """Note that the current request wrote up to ``position``."""
    sink = _SINK.get()
    if sink is not None:
        sink.append(position)
