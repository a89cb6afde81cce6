"""``kh-saas audit verify``, ``verify-proof`` and ``replay``: offline from files, and on the
live database; replay equals today's registers and the registers at a past time by hand."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kh_saas.cli import main
from kh_saas.service import Service
from tests.conftest import bearer, make_key, make_tenant
from tests.province import COMMUNE, COMMUNE_ISSUER, SIGNER, Province, open_province
from tests.test_awards_api import award_decision, citizen, line
from tests.transparency_helpers import tenant_of, wait_for_log

OLD_COMMUNE = "19477"  # merged into 19483 on 1 July 2025


async def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The CLI in a thread (it runs its own event loop), with its output."""
    capsys.readouterr()
    code = await asyncio.to_thread(main, args)
    return code, capsys.readouterr().out


async def save(qt: Province, path: str, file: Path, role: str = "auditor") -> Path:
    r = await qt.client.get(qt.url(path), headers=qt.keys[role])
    assert r.status_code == 200, r.text
    file.write_bytes(r.content)
    return file


async def log_key_file(qt: Province, tmp_path: Path) -> Path:
    keys = (await qt.get("/audit/keys", role="auditor")).json()["keys"]
    file = tmp_path / f"{qt.slug}.vkey"
    file.write_text("".join(k["vkey"] + "\n" for k in keys))
    return file


@pytest.fixture
async def qt(client: httpx.AsyncClient, service: Service) -> Province:
    province = await open_province(client)
    await province.households(30)
    await wait_for_log(service, await tenant_of(service, province.slug))
    return province


async def test_verify_an_export_offline_and_against_a_kept_checkpoint(
    qt: Province, service: Service, client: httpx.AsyncClient, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    kept = await save(qt, "/audit/checkpoint", tmp_path / "kept.checkpoint")
    await qt.households(20, prefix="LATER")
    await wait_for_log(service, await tenant_of(service, qt.slug))
    export = await save(qt, "/audit/export", tmp_path / "qt.ndjson")
    key = await log_key_file(qt, tmp_path)

    code, out = await run(["audit", "verify", "--export", str(export), "--key", str(key),
                           "--checkpoint", str(kept)], capsys)  # fmt: skip
    assert code == 0, out
    assert "OK" in out and "a prefix of this tree" in out

    await make_tenant(client, "hue", "46")
    hue = Province(client, "hue", {"auditor": bearer(await make_key(client, "hue", "auditor"))})
    other = await log_key_file(hue, tmp_path)
    code, out = await run(["audit", "verify", "--export", str(export), "--key", str(other)], capsys)
    assert code == 1 and "FAILED" in out and "known key" in out


async def test_verify_the_live_log(
    qt: Province, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("KH_DATABASE_URL", database_url)
    key = await log_key_file(qt, tmp_path)
    code, out = await run(["audit", "verify", "--tenant", "quang-tri", "--key", str(key)], capsys)
    assert code == 0, out
    assert "OK" in out
    code, _ = await run(["audit", "verify", "--tenant", "nowhere", "--key", str(key)], capsys)
    assert code == 1


async def test_verify_one_events_proof(
    qt: Province, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = (await qt.client.get(qt.url("/audit/export"), headers=qt.keys["auditor"])).content
    position = json.loads(export.splitlines()[-3])["position"]
    proof = await save(qt, f"/audit/proof/{position}", tmp_path / "one.tlog-proof")
    key = await log_key_file(qt, tmp_path)
    code, out = await run(["audit", "verify-proof", str(proof), "--key", str(key)], capsys)
    assert code == 0, out

    lines = proof.read_text().split("\n")
    i = next(n for n, text in enumerate(lines) if text.startswith("index ")) + 1
    lines[i] = ("B" if lines[i][0] != "B" else "C") + lines[i][1:]  # one hash of the path
    bad = tmp_path / "bad.tlog-proof"
    bad.write_text("\n".join(lines))
    code, out = await run(["audit", "verify-proof", str(bad), "--key", str(key)], capsys)
    assert code == 1 and "not in the signed tree" in out


def revocation(recognition_id: str) -> dict[str, Any]:
    return {
        "number": "9/QĐ-UBND",
        "signed_on": "2025-05-05",
        "issuer": COMMUNE_ISSUER,
        "signer": SIGNER,
        "reason": "standard_not_met",
        "explanation": "Không còn đạt chuẩn",
        "recognition_ids": [recognition_id],
    }


async def test_replay_equals_the_registers_now_and_by_hand_at_a_past_time(
    client: httpx.AsyncClient, service: Service, tmp_path: Path, database_url: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("KH_DATABASE_URL", database_url)
    qt = await open_province(client)
    before_all = datetime.now(UTC)
    new = await qt.households(3, prefix="N")
    old = [
        (await qt.post("/subjects", {"kind": "household", "name": f"Hộ cũ {i}",
                                      "commune_code": OLD_COMMUNE, "ref": f"O-{i}"})).json()["id"]
        for i in range(2)
    ]  # fmt: skip
    r = await qt.post("/decisions", qt.household_decision([*new, *old]), role="signer")
    assert r.status_code == 201, r.text
    await asyncio.sleep(0.01)
    after_decision = datetime.now(UTC)  # 5 recognitions in force, no award: by hand
    await asyncio.sleep(0.01)
    revoked = await qt.client.get(
        qt.url("/recognitions"), headers=qt.keys["officer"],
        params={"subject_id": new[0], "title": "learning_household", "year": 2024},
    )  # fmt: skip
    taken_back = await qt.post("/revocations", revocation(revoked.json()["id"]), role="signer")
    assert taken_back.status_code == 201, taken_back.text
    await asyncio.sleep(0.01)
    after_revocation = datetime.now(UTC)  # 4 in force
    person = await citizen(qt)
    d = await qt.post("/award-decisions", award_decision([line(new[1], "household"), line(person)]),
                      role="signer")  # fmt: skip
    assert d.status_code == 201, d.text
    await asyncio.sleep(0.01)
    after_award = datetime.now(UTC)  # both awards in force, before the annulment
    await asyncio.sleep(0.01)
    annul = {
        "number": "40/QĐ-UBND", "signed_on": "2026-05-01",
        "issuer": {"signer": "province_chairman", "name": "UBND tỉnh Quảng Trị", "unit_code": "44"},
        "signer": SIGNER, "reason": "false_documents", "explanation": "Hồ sơ giả mạo",
        "award_ids": [d.json()["recipients"][1]["award_id"]],
    }  # fmt: skip
    annulled = await qt.post("/award-annulments", annul, role="signer")
    assert annulled.status_code == 201, annulled.text
    seen = annulled.headers["KH-Position"]  # read-your-writes for the registers below
    await wait_for_log(service, await tenant_of(service, qt.slug))

    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    code, out = await run(["audit", "replay", "--tenant", "quang-tri", "--until", later], capsys)
    assert code == 0, out
    now = json.loads(out)
    register = (await qt.get("/registers/recognitions?title=learning_household&year=2024",
                             role="auditor")).json()  # fmt: skip
    replayed = {(c["commune_code"], c["count"]) for c in now["recognition_counts"]
                if (c["title"], c["year"]) == ("learning_household", 2024)}  # fmt: skip
    assert replayed == {(i["commune_code"], i["count"]) for i in register["items"]}
    assert replayed == {(COMMUNE, 2), (OLD_COMMUNE, 2)}
    awards = (await qt.get("/registers/awards", role="auditor")).json()
    assert {(a["form"], a["recipient_kind"], a["count"], a["bonus_vnd"])
            for a in now["award_counts"]} == {
        (i["form"], i["recipient_kind"], i["count"], i["bonus_vnd"]) for i in awards["items"]
    }  # fmt: skip
    assert sum(a["bonus_vnd"] for a in now["award_counts"]) == awards["total_bonus_vnd"] > 0

    code, out = await run(["audit", "replay", "--tenant", "quang-tri", "--until",
                           after_decision.isoformat()], capsys)  # fmt: skip
    then = json.loads(out)
    assert sorted(r["subject_id"] for r in then["recognitions"]) == sorted([*new, *old])
    assert {(c["commune_code"], c["count"]) for c in then["recognition_counts"]} == {
        (COMMUNE, 3), (OLD_COMMUNE, 2)
    }  # fmt: skip
    assert then["awards"] == [] and then["award_counts"] == []

    code, out = await run(["audit", "replay", "--tenant", "quang-tri", "--until",
                           before_all.isoformat()], capsys)  # fmt: skip
    assert json.loads(out)["recognitions"] == []

    # Replay (raw events) equals the read side (projections) now and as_of past moments.
    for moment, held, granted in ((after_decision, 5, 0), (after_revocation, 4, 0),
                                  (after_award, 4, 2), (None, 4, 1)):  # fmt: skip
        until = later if moment is None else moment.isoformat()
        code, out = await run(["audit", "replay", "--tenant", "quang-tri", "--until", until],
                              capsys)  # fmt: skip
        assert code == 0, out
        replay = json.loads(out)
        as_of = {"min_position": seen, **({} if moment is None else {"as_of": moment.isoformat()})}
        registry = await qt.client.get(qt.url("/registry"), headers=qt.keys["auditor"],
                                       params={"limit": 1000, **as_of})  # fmt: skip
        assert registry.status_code == 200, registry.text
        in_force = {i["recognition_id"] for i in registry.json()["items"]
                    if i["status"] != "revoked"}  # fmt: skip
        assert {r["recognition_id"] for r in replay["recognitions"]} == in_force
        assert len(in_force) == held
        listed = await qt.client.get(
            qt.url("/awards"),
            headers=qt.keys["auditor"],
            params={"limit": 1000, "status": "active", **as_of},
        )
        assert listed.status_code == 200, listed.text
        assert {a["award_id"] for a in replay["awards"]} == {
            i["id"] for i in listed.json()["items"]
        }  # fmt: skip
        assert len(replay["awards"]) == granted

    export = await save(qt, "/audit/export", tmp_path / "qt.ndjson")
    code, out = await run(["audit", "replay", "--export", str(export), "--until", later], capsys)
    assert json.loads(out) == now
    code, out = await run(["audit", "replay", "--export", str(export), "--until", later,
                           "--format", "csv"], capsys)  # fmt: skip
    titles, awards_csv = out.split("\n\n")
    assert titles.splitlines()[0].startswith("recognition_id,subject_id,")
    assert len(titles.splitlines()) == 1 + 4 and len(awards_csv.strip().splitlines()) == 1 + 1
    code, _ = await run(["audit", "replay", "--export", str(export), "--until", "2025-12-31"],
                        capsys)  # fmt: skip
    assert code == 1  # no UTC offset
