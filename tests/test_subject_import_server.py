"""Hostile spreadsheets sent to a real ``kh-saas serve`` process: each is refused naming the
limit it passes, and the server's memory stays bounded while it refuses them."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook

from tests.hostile_sheets import HOSTILE, XLSX
from tests.test_e2e_server import free_port, running, server_env  # noqa: F401 - a fixture

pytestmark = pytest.mark.e2e

#: What the server may grow by, at its peak, while it refuses every hostile file.
MEMORY_BOUND = 200 * 1024 * 1024


def server_pid(port: int) -> int:
    """The pid of the ``kh-saas serve --port <port>`` child of this test process."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
            args = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"serve" in args and str(port).encode() in args:
            return int(stat.parent.name)
    raise AssertionError(f"no server process on port {port}")


def memory(pid: int, field: str) -> int:
    """VmRSS (resident now) or VmHWM (peak resident) of a process, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert found, status
    return int(found.group(1)) * 1024


def test_hostile_uploads_are_refused_and_memory_stays_bounded(
    tmp_path: Path,
    server_env: dict[str, str],  # noqa: F811
) -> None:
    files = [(hostile, hostile.build()) for hostile in HOSTILE]
    data_dir = tmp_path / "kh-data"
    port = free_port()
    with running(data_dir, server_env, port) as url:
        pid = server_pid(port)
        admin = {"Authorization": f"Bearer {(data_dir / 'admin.key').read_text().strip()}"}
        r = httpx.post(
            url + "/v1/tenants",
            json={"slug": "quang-tri", "name": "Quảng Trị", "province_code": "44"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        r = httpx.post(
            url + "/v1/tenants/quang-tri/api-keys",
            json={"name": "officer", "role": "officer"},
            headers=admin,
        )
        officer = {"Authorization": f"Bearer {r.json()['secret']}"}
        target = url + "/v1/t/quang-tri/subjects/import"

        def upload(data: bytes, content_type: str) -> httpx.Response:
            # The timeout only keeps a regression from hanging the suite; the bench times it.
            headers = {**officer, "Content-Type": content_type}
            return httpx.post(target, content=data, headers=headers, timeout=120)

        # Warm up both readers on honest files, so the baseline holds what they import.
        good = "Loại,Họ tên,Mã xã,Số hộ khẩu\nHộ gia đình,Hộ ông Lê Văn Hùng,19483,W-1\n"
        assert upload(good.encode(), "text/csv").status_code == 201
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in good.replace("W-1", "W-2").splitlines():
            sheet.append(row.split(","))
        sheet["D3"].number_format = "00000"  # styles, so the date-format helpers load too
        buffer = io.BytesIO()
        book.save(buffer)
        assert upload(buffer.getvalue(), XLSX).status_code == 201
        baseline = memory(pid, "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # restart the peak (VmHWM) from here

        answers = {}
        for hostile, data in files:
            r = upload(data, hostile.content_type)
            answers[hostile.name] = (r.status_code, r.json())
        after, peak = memory(pid, "VmRSS"), memory(pid, "VmHWM")
        assert upload(good.replace("W-1", "W-3").encode(), "text/csv").status_code == 201

    for hostile, _ in files:
        status, body = answers[hostile.name]
        assert status == 413, (hostile.name, body)
        assert body["code"] == "table_too_large", (hostile.name, body)
        assert body["field"] == hostile.limit, (hostile.name, body)
        assert f"{hostile.maximum:,}" in body["detail"], (hostile.name, body)
    assert any(h.content_type == XLSX for h, _ in files)
    grown = {"peak": peak - baseline, "after": after - baseline}
    assert grown["peak"] < MEMORY_BOUND, {k: f"{v / 2**20:.0f} MiB" for k, v in grown.items()}
