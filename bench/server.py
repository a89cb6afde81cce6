"""Start a real ``kh-saas serve`` process for a benchmark (embedded PostgreSQL by default)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Server:
    url: str
    data_dir: Path
    admin_key: str
    db_url: str
    pid: int = 0  # the server process (to sample its memory)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_server(env: dict[str, str] | None = None) -> Iterator[Server]:
    data_dir = Path(tempfile.mkdtemp(prefix="kh-bench-")) / "data"
    port = free_port()
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if k != "KH_ADMIN_KEY"}
    env.update(extra)
    env["KH_LOG_LEVEL"] = "warning"
    db_url = (
        env.get("KH_DATABASE_URL") or f"postgresql://postgres:@/postgres?host={data_dir / 'pg'}"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kh_saas",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        key = (data_dir / "admin.key").read_text().strip()
        yield Server(url=url, data_dir=data_dir, admin_key=key, db_url=db_url, pid=proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
