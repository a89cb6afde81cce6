"""The auditor's routine of docs/transparency-log.md against a real ``kh-saas serve``:
keep a checkpoint, save the keys, export, then verify offline with the CLI — and a kept
checkpoint of another log is refused."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.test_e2e_server import free_port, running, server_env  # noqa: F401 - a fixture

pytestmark = pytest.mark.e2e


def kh(
    *args: str, env: dict[str, str], out: Path | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "kh_saas", *args], env=env, capture_output=True, text=True,
        check=False, timeout=120,
    )  # fmt: skip
    if out is not None:
        out.write_text(result.stdout)
    return result


def test_the_auditors_routine_over_a_real_server(
    tmp_path: Path,
    server_env: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    data_dir = tmp_path / "data"
    with running(data_dir, server_env, free_port()) as url:
        admin = {"Authorization": f"Bearer {(data_dir / 'admin.key').read_text().strip()}"}
        body = {"slug": "quang-tri", "name": "Quảng Trị", "province_code": "44"}
        assert httpx.post(url + "/v1/tenants", json=body, headers=admin).status_code == 201
        key = {"name": "thanh tra", "role": "auditor"}
        r = httpx.post(url + "/v1/tenants/quang-tri/api-keys", headers=admin, json=key)
        auditor = r.json()["secret"]
        client = ["--tenant", "quang-tri", "--url", url, "--key", auditor]
        deadline = time.monotonic() + 30
        while (r := kh("audit", "checkpoint", *client, env=server_env)).returncode != 0:
            assert time.monotonic() < deadline, r.stderr
            time.sleep(0.2)
        kept, keys = tmp_path / "kept.checkpoint", tmp_path / "keys.json"
        assert kh("audit", "checkpoint", *client, env=server_env, out=kept).returncode == 0
        assert kept.read_text().startswith("kh-saas.local/v1/t/quang-tri/audit\n")
        assert kh("audit", "keys", *client, env=server_env, out=keys).returncode == 0
        export = tmp_path / "qt.ndjson"
        assert kh("audit", "export", *client, "-o", str(export), env=server_env).returncode == 0

    verify = ["audit", "verify", "--export", str(export), "--key", str(keys)]
    done = kh(*verify, "--checkpoint", str(kept), env=server_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout and "a prefix of this tree" in done.stdout
    foreign = tmp_path / "foreign.checkpoint"
    foreign.write_text(kept.read_text().replace("quang-tri", "hue"))
    refused = kh(*verify, "--checkpoint", str(foreign), env=server_env)
    assert refused.returncode == 1, refused.stdout
