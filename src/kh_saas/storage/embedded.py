"""The embedded PostgreSQL server (``pgserver`` wheel) used when no ``KH_DATABASE_URL`` is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kh_saas.logs import get_logger

log = get_logger(__name__)


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in ``<data_dir>/pg`` and survives restarts.

    The server stops when the last process holding it exits (pgserver's ``stop`` mode), so
    two kh-saas processes on one data directory share one server.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pg").resolve()
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return its connection URL (unix socket)."""
        import pgserver  # noqa: PLC0415 - heavy import, only needed in embedded mode

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(  # type: ignore[attr-defined]
            self.pgdata, cleanup_mode="stop"
        )
        url: str = self._server.get_uri()
        log.info("embedded_postgres_started", pgdata=str(self.pgdata))
        return url

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
