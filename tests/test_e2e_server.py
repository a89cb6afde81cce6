"""The real thing: ``kh-saas serve`` as a process, over real HTTP, stopped and started again.

Without ``KH_TEST_DATABASE_URL`` the server starts its own embedded PostgreSQL in its data
directory (the README's path); with it, the server uses a fresh database on that server.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import provisioned_events

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server_env(request: pytest.FixtureRequest) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KH_")}
    env["KH_LOG_FORMAT"] = "json"
    if os.environ.get("KH_TEST_DATABASE_URL"):
        env["KH_DATABASE_URL"] = request.getfixturevalue("database_url")
    return env


@contextmanager
def running(data_dir: Path, env: dict[str, str], port: int, *extra: str) -> Iterator[str]:
    log = (data_dir.parent / f"server-{port}.log").open("ab")
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
            *extra,
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"server exited with {proc.returncode}: see {log.name}")
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not become ready")
            time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kh_saas", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_restart_keeps_tenants_and_keys(tmp_path: Path, server_env: dict[str, str]) -> None:
    data_dir = tmp_path / "kh-data"
    port = free_port()
    with running(data_dir, server_env, port) as url:
        key_file = data_dir / "admin.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        admin = {"Authorization": f"Bearer {key_file.read_text().strip()}"}
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
        assert httpx.get(url + "/v1/t/quang-tri", headers=officer).status_code == 200
        first_admin_key = key_file.read_text()

    with running(data_dir, server_env, port) as url:
        assert key_file.read_text() == first_admin_key
        tenants = httpx.get(url + "/v1/tenants", headers=admin).json()["items"]
        assert [t["slug"] for t in tenants] == ["quang-tri"]
        profile = httpx.get(url + "/v1/t/quang-tri", headers=officer)
        assert profile.status_code == 200
        assert profile.json()["event_count"] == provisioned_events("44")
        assert httpx.get(url + "/v1/t/quang-tri").status_code == 401


def test_cli_administers_a_running_service(tmp_path: Path, server_env: dict[str, str]) -> None:
    data_dir = tmp_path / "kh-data"
    port = free_port()
    with running(data_dir, server_env, port) as url:
        common = ["--url", url, "--data-dir", str(data_dir)]
        made = cli(
            "tenants", "create", "--slug", "hue", "--name", "Huế", "--province-code", "46",
            *common, env=server_env,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert json.loads(made.stdout)["slug"] == "hue"
        again = cli(
            "tenants", "create", "--slug", "hue", "--name", "Huế", "--province-code", "46",
            *common, env=server_env,
        )  # fmt: skip
        assert again.returncode == 1
        assert json.loads(again.stdout)["code"] == "tenant_exists"
        listed = cli("tenants", "list", *common, env=server_env)
        assert [t["slug"] for t in json.loads(listed.stdout)["items"]] == ["hue"]
        key = cli(
            "keys", "create", "--tenant", "hue", "--name", "clerk", "--role", "officer",
            *common, env=server_env,
        )  # fmt: skip
        issued = json.loads(key.stdout)
        headers = {"Authorization": f"Bearer {issued['secret']}"}
        assert httpx.get(url + "/v1/t/hue", headers=headers).status_code == 200
        revoked = cli(
            "keys", "revoke", "--tenant", "hue", "--id", issued["id"], *common, env=server_env
        )
        assert revoked.returncode == 0, revoked.stderr
        assert httpx.get(url + "/v1/t/hue", headers=headers).status_code == 401


def test_logs_are_json_lines_with_request_id(tmp_path: Path, server_env: dict[str, str]) -> None:
    data_dir = tmp_path / "kh-data"
    port = free_port()
    with running(data_dir, server_env, port) as url:
        httpx.get(url + "/v1/t/nowhere", headers={"X-Request-ID": "trace-me"})
    lines = (tmp_path / f"server-{port}.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    access = [r for r in records if r.get("request_id") == "trace-me"]
    assert access, lines[-5:]
    assert access[-1]["event"] == "request"
    assert access[-1]["status"] == 401
    assert access[-1]["tenant"] == "nowhere"


# What an operator must see of the demo: each stage named, with its counts and time.
DEMO_STAGES = (
    "created",
    "communes",
    "villages",
    "households",
    "clans",
    "citizens",
    "assessment year 2023",
    "assessment year 2024",
    "assessment year 2025",
    "learning communities",
    "learning citizens recognised",
    "revocations",
    "awards",
    "plan 125/KH-UBND adopted",
    "report schedule",
    "loaded in",
)


def assert_demo_stages(lines: list[str]) -> None:
    for stage in DEMO_STAGES:
        assert any(stage in line for line in lines), (stage, lines)
    stages = [line for line in lines if "loaded in" not in line]
    assert all(re.search(r"\(\d+\.\d s\)$", line) for line in stages), stages


def test_serve_demo_reports_stages_not_requests(tmp_path: Path, server_env: dict[str, str]) -> None:
    """`kh-saas serve --demo`: the demo's few thousand requests must not bury its progress
    (they were ~8,000 lines: the loader's client and the access log, twice per request)."""
    data_dir = tmp_path / "kh-data"
    port = free_port()
    log_file = tmp_path / f"server-{port}.log"
    demo = ("--demo", "hue", "--demo-households", "400")
    with running(data_dir, server_env, port, *demo) as url:
        deadline = time.monotonic() + 300
        while "loaded in" not in (text := log_file.read_text()) and "demo: failed" not in text:
            assert time.monotonic() < deadline, text[-3000:]
            time.sleep(0.5)
        admin = {"Authorization": f"Bearer {(data_dir / 'admin.key').read_text().strip()}"}
        profile = httpx.get(url + "/v1/t/hue", headers=admin)
    assert profile.json()["event_count"] > provisioned_events("46") + 400
    lines = log_file.read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    stages = [r["event"] for r in records if r.get("logger") == "kh_saas.demo"]
    assert_demo_stages(stages)
    assert not [r for r in records if r.get("logger") in ("httpx", "httpcore")]
    assert len(lines) < 60, "\n".join(lines[-40:])
    # The operator's own requests are still in the access log.
    assert any(r.get("event") == "request" and r.get("path") == "/v1/t/hue" for r in records)


def test_demo_province_loads_over_http(tmp_path: Path, server_env: dict[str, str]) -> None:
    data_dir = tmp_path / "kh-data"
    port = free_port()
    with running(data_dir, server_env, port) as url:
        common = ["--url", url, "--data-dir", str(data_dir)]
        # ~2,400 requests: 30 s on an idle machine, more on a busy one.
        loaded = cli(
            "demo", "--tenant", "hue", "--households", "400", *common, env=server_env, timeout=300
        )
        assert loaded.returncode == 0, loaded.stderr[-2000:]
        output = (loaded.stdout + loaded.stderr).splitlines()
        assert len(output) < 60, output[-40:]
        assert_demo_stages(output)
        admin = {"Authorization": f"Bearer {(data_dir / 'admin.key').read_text().strip()}"}
        profile = httpx.get(url + "/v1/t/hue", headers=admin).json()
        assert profile["name"] == "Huế"
        assert profile["event_count"] > provisioned_events("46") + 400
        # attainment of seed 003's targets shows real figures out of the box
        reader = httpx.post(
            url + "/v1/tenants/hue/api-keys", headers=admin, json={"name": "r", "role": "auditor"}
        ).json()["secret"]
        seen = httpx.get(
            url + "/v1/t/hue/targets/attainment",
            params={"year": 2025},
            headers={"Authorization": f"Bearer {reader}"},
        ).json()
        assert seen["plan"]["number"] == "125/KH-UBND" and seen["statistics_year"] == 2025
        households = [
            t for c in seen["communes"] for t in c["titles"] if t["denominator"] == "households"
        ]
        assert all(t["target"] == 60 and t["total"] for t in households)
        # the 2025 report in all three formats, as of now (the demo was recorded after the
        # deadline, which the report at its default as_of says commune by commune)
        auditor = {"Authorization": f"Bearer {reader}"}
        now = {"year": 2025, "as_of": "2100-01-01T00:00:00Z"}
        report = httpx.get(url + "/v1/t/hue/reports/annual", params=now, headers=auditor).json()
        assert report["deadline"]["due_on"] == "2025-11-10"
        assert report["summary"]["province"]["recognised"]["learning_household"] > 0
        assert report["attainment"]["plan"]["number"] == "125/KH-UBND"
        late = httpx.get(url + "/v1/t/hue/reports/annual", params={"year": 2025},
                         headers=auditor).json()  # fmt: skip
        assert late["summary"]["recorded_after_deadline"]["recognitions"] > 0
        for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
            got = httpx.get(url + "/v1/t/hue/reports/annual", params={**now, "format": fmt},
                            headers=auditor, timeout=60)  # fmt: skip
            assert got.status_code == 200 and got.content.startswith(magic), got.text[:300]
        assert sum(t["held"] for t in households) > 0
        again = cli("demo", "--tenant", "hue", *common, env=server_env)
        assert again.returncode == 0
        assert "already exists" in again.stdout


def test_cli_imports_subjects_and_records_a_decision(
    tmp_path: Path, server_env: dict[str, str]
) -> None:
    data_dir = tmp_path / "kh-data"
    port = free_port()
    with running(data_dir, server_env, port) as url:
        common = ["--url", url, "--data-dir", str(data_dir)]
        cli(
            "tenants",
            "create",
            "--slug",
            "quang-tri",
            "--name",
            "Quảng Trị",
            "--province-code",
            "44",
            *common,
            env=server_env,
        )
        keys = {}
        for role in ("officer", "signer"):
            made = cli(
                "keys",
                "create",
                "--tenant",
                "quang-tri",
                "--name",
                role,
                "--role",
                role,
                *common,
                env=server_env,
            )
            keys[role] = json.loads(made.stdout)["secret"]
        sheet = tmp_path / "ho.csv"
        sheet.write_text(
            "Loại,Họ tên,Mã xã,Số hộ khẩu\n"
            + "".join(f"household,Hộ {i},19483,K-{i}\n" for i in range(30))
        )
        imported = cli(
            "subjects",
            "import",
            "--tenant",
            "quang-tri",
            str(sheet),
            *common,
            "--key",
            keys["officer"],
            env=server_env,
        )
        assert imported.returncode == 0, imported.stdout + imported.stderr
        ids = json.loads(imported.stdout)["ids"]
        decision = tmp_path / "qd.json"
        decision.write_text(
            json.dumps(
                {
                    "number": "101/QĐ-UBND",
                    "signed_on": "2025-01-15",
                    "title": "learning_household",
                    "tier": "commune",
                    "year": 2024,
                    "issuer": {
                        "office": "commune_chairman",
                        "name": "UBND xã",
                        "unit_code": "19483",
                    },
                    "signer": {"name": "Nguyễn Văn Bình", "position": "Chủ tịch"},
                    "recipients": [{"subject_id": i} for i in ids],
                }
            )
        )
        recorded = cli(
            "decisions",
            "record",
            "--tenant",
            "quang-tri",
            str(decision),
            *common,
            "--key",
            keys["signer"],
            env=server_env,
        )
        assert recorded.returncode == 0, recorded.stdout
        assert json.loads(recorded.stdout)["recipient_count"] == 30
        refused = cli(
            "decisions",
            "record",
            "--tenant",
            "quang-tri",
            str(decision),
            *common,
            "--key",
            keys["signer"],
            env=server_env,
        )
        assert refused.returncode == 1
        assert json.loads(refused.stdout)["code"] == "decision_exists"
