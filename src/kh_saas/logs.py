"""Structured logging, configured once per process.

JSON lines when stderr is not a terminal, coloured console otherwise. Request id, tenant
and actor are bound through ``structlog.contextvars`` so every line carries them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from kh_saas.settings import LogFormat

_configured = False


def configure_logging(level: str = "info", fmt: LogFormat = "auto") -> None:
    """Route structlog and the standard library (uvicorn, asyncpg) through one renderer."""
    global _configured  # noqa: PLW0603 - configuration is process-wide by nature
    if _configured:
        return
    _configured = True
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if as_json else _identity,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log duplicates ours (which carries request id and tenant).
    logging.getLogger("uvicorn.access").disabled = True
    # pgserver narrates every initdb/pg_ctl call at INFO.
    logging.getLogger("pgserver").setLevel(max(root.level, logging.WARNING))
    for noisy in ("uvicorn.error", "uvicorn"):
        logging.getLogger(noisy).handlers[:] = []
        logging.getLogger(noisy).propagate = True


def _identity(_: Any, __: str, event_dict: Any) -> Any:
    return event_dict


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
