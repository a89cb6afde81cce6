"""What the demo shows an operator: one line per stage, not two lines per request.

The loader sends a few thousand requests. Left alone, its HTTP client logs each at INFO and,
under ``kh-saas serve --demo``, the server's access log records each again: ~8,000 lines that
bury the stages. The client's loggers are quieted, and the access lines of requests made with
the demo's own keys (whose secrets only the loader holds) drop to DEBUG while they succeed;
the operator's own requests, and any demo request that fails, are logged as before.
"""

from __future__ import annotations

import logging

HTTP_CLIENT_LOGGERS = ("httpx", "httpcore")


def quiet_http_client() -> None:
    for name in HTTP_CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class DemoRequests(logging.Filter):
    """Filter for the access logger: the demo's successful requests are DEBUG lines."""

    def __init__(self) -> None:
        super().__init__()
        self.actors: set[str] = set()  # ids of the keys the demo issued itself

    def filter(self, record: logging.LogRecord) -> bool:
        line = record.msg  # structlog hands the stdlib logger its event dict
        if not isinstance(line, dict) or line.get("actor") not in self.actors:
            return True
        if not isinstance(line.get("status"), int) or line["status"] >= 400:
            return True
        if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        line["level"] = "debug"
        return True


def quiet_demo_requests(access_logger: str = "kh_saas.access") -> DemoRequests:
    """Install the filter on the server's access log; add the demo's key ids to ``actors``."""
    demo_requests = DemoRequests()
    logging.getLogger(access_logger).addFilter(demo_requests)
    return demo_requests


__all__ = ["DemoRequests", "quiet_demo_requests", "quiet_http_client"]
