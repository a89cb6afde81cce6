"""A PostgreSQL server of a test's own (pgserver's binaries, a temp directory, TCP), which the
test may stop and start again: never the suite's shared server nor the machine's."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

from tests.server_process import free_port


class DisposablePostgres:
    """``initdb`` into ``root/pg``, listening on 127.0.0.1 on a free port; ``stop``/``start``."""

    def __init__(self, root: Path) -> None:
        import pgserver  # noqa: PLC0415 - test-only dependency
        from pgserver._commands import POSTGRES_BIN_PATH  # noqa: PLC0415

        self.pgdata = root / "pg"
        # pgserver does initdb as a non-root user when run as root (PostgreSQL refuses root).
        server = pgserver.get_server(self.pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        self._user: str | None = server.system_user
        self._pg_ctl = str(POSTGRES_BIN_PATH / "pg_ctl")
        self._log = self.pgdata / "log"
        self.port = free_port()
        self.stop()  # pgserver started it on a unix socket; serve it on TCP instead
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [self._pg_ctl, "-D", str(self.pgdata), *args],
            check=True,
            capture_output=True,
            timeout=60,
            user=self._user if os.geteuid() == 0 else None,
        )

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k ''"
        self._ctl("-w", "-o", options, "-l", str(self._log), "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: every session is terminated, as when the server goes down for good."""
        self._ctl("-w", "-m", mode, "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
