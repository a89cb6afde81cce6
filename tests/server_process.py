"""A ``kh-saas serve`` process a test can start, kill with SIGKILL and start again."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """One server on a fixed port and data directory; its output goes to ``server-<port>.log``."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until ``/readyz`` answers 200."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    sys.executable, "-m", "kh_saas", "serve",
                    "--port", str(self.port), "--data-dir", str(self.data_dir),
                ],
                env=self.env,
                stdout=log,
                stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + 90
        while True:
            if self._proc.poll() is not None:
                raise AssertionError(f"server exited with {self._proc.returncode}: {self.log_path}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server did not become ready: {self.log_path}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no finally block, no flushed response runs."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGKILL)
        self._proc.wait(30)
        self._proc = None

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
