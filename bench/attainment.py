"""Attainment of a plan's targets in a province of 600,000 households over three years
(real server, real PostgreSQL; the embedded one unless KH_DATABASE_URL is set).

    python -m bench.attainment [--households 600000]

Households of every commune of Quảng Trị (a third under their legacy commune, before the
2025 reform) and their titles for 2023, 2024 and 2025 are COPYed into the tenant's event log
and the registers projection rebuilt; the plan (seed 003's template) and the statistics go
through the HTTP API. Then ``GET /targets/attainment?year=2025`` (JSON) and the PNG chart are
timed over HTTP. Target: JSON < 1 s (half the annual report's 2 s, which includes it).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import msgspec

from bench.read_side import SCHEMA, line
from bench.server import Server, running_server
from kh_saas.projections.rebuild import rebuild
from kh_saas.projections.registers import REGISTERS
from kh_saas.reference import communes_of
from kh_saas.tenants.admin_units import conversion_successors

PROVINCE = "44"


def tenant(server: Server) -> dict[str, dict[str, str]]:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    httpx.post(
        server.url + "/v1/tenants",
        headers=admin,
        json={"slug": "bench", "name": "Bench", "province_code": PROVINCE},
        timeout=120,
    ).raise_for_status()
    keys = {}
    for role in ("tenant_admin", "auditor"):
        r = httpx.post(
            server.url + "/v1/tenants/bench/api-keys",
            headers=admin,
            json={"name": role, "role": role},
            timeout=60,
        )
        keys[role] = {"Authorization": f"Bearer {r.json()['secret']}"}
    return keys


async def copy_province(db_url: str, households: int) -> int:
    """Households spread over today's communes (every third under a legacy commune now part
    of it), each recognised for some of 2023–2025; returns the events written."""
    enc = msgspec.json.Encoder()
    rng = random.Random(11)
    current = sorted(communes_of(PROVINCE))
    legacy: dict[str, list[str]] = {}
    for old, successors in conversion_successors(PROVINCE).items():
        for s in successors[:1]:
            legacy.setdefault(s.code, []).append(old)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    conn = await asyncpg.connect(db_url)
    count = 0
    batch: list[tuple[uuid.UUID, int, str, bytes]] = []

    async def flush() -> None:
        await conn.copy_records_to_table(
            "khuyenhoc_events",
            schema_name=SCHEMA,
            columns=["originator_id", "originator_version", "topic", "state"],
            records=batch,
        )
        batch.clear()

    try:
        decision = uuid.uuid4()
        for h in range(households):
            code = current[h % len(current)]
            olds = legacy.get(code)
            commune = olds[h % len(olds)] if olds and h % 3 == 0 else code
            sid = uuid.uuid4()
            stamp = (start + timedelta(milliseconds=count)).isoformat()
            batch.append((
                sid, 1, "kh_saas.domain.subjects:Subject.Registered",
                enc.encode({
                    "timestamp": stamp, "originator_topic": "kh_saas.domain.subjects:Subject",
                    "kind": "household", "name": f"Hộ gia đình {h}", "commune_code": commune,
                    "village_code": None, "ref": f"B{h}", "details": {"type": "household"},
                    "actor": "officer:bench",
                }),
            ))  # fmt: skip
            count += 1
            for year, share in ((2023, 0.55), (2024, 0.62), (2025, 0.68)):
                if rng.random() >= share:
                    continue
                stamp = (start + timedelta(milliseconds=count)).isoformat()
                batch.append((
                    uuid.uuid4(), 1, "kh_saas.domain.recognitions:Recognition.Granted",
                    enc.encode({
                        "timestamp": stamp,
                        "originator_topic": "kh_saas.domain.recognitions:Recognition",
                        "subject_id": str(sid), "title": "learning_household",
                        "tier": "commune", "level": None, "year": year,
                        "decision_id": str(decision), "decision_number": "1/QĐ-UBND",
                        "signed_on": f"{year}-11-05", "nomination_id": None,
                        "valid_until": f"{year + 1}-12-31", "upgrade_from": None,
                        "actor": "signer:bench",
                    }),
                ))  # fmt: skip
                count += 1
            if len(batch) >= 20_000:
                await flush()
        if batch:
            await flush()
        return count
    finally:
        await conn.close()


async def bench(households: int, samples: int) -> None:
    with running_server(env={"KH_WORKERS": "external"}) as server:
        keys = tenant(server)
        started = time.perf_counter()
        copied = await copy_province(server.db_url, households)
        pool = await asyncpg.create_pool(server.db_url, min_size=1, max_size=2)
        await rebuild(pool, SCHEMA, REGISTERS)
        await pool.execute(f"ANALYZE {SCHEMA}.rm_recognitions")
        await pool.execute(f"ANALYZE {SCHEMA}.rm_subjects")
        await pool.close()
        print(f"{households:,} households, {copied:,} events COPYed and projected in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        per = households // len(communes_of(PROVINCE))
        async with httpx.AsyncClient(base_url=server.url + "/v1/t/bench", timeout=120) as http:
            r = await http.post(
                "/plans",
                headers=keys["tenant_admin"],
                json={
                    "template": "tua-chua-2022", "number": "125/KH-UBND",
                    "issuer": {"name": "UBND tỉnh Quảng Trị"}, "signed_on": "2022-07-15",
                },
            )  # fmt: skip
            r.raise_for_status()
            figures = [
                {"commune_code": c, "households": int(per * 1.1)}
                for c in sorted(communes_of(PROVINCE))
            ]
            r = await http.put(
                "/statistics/2025", headers=keys["tenant_admin"], json={"communes": figures}
            )
            r.raise_for_status()
            timings: dict[str, list[float]] = {"json": [], "png": [], "svg": []}
            for kind, path in (
                ("json", "/targets/attainment"),
                ("png", "/targets/attainment.png"),
                ("svg", "/targets/attainment.svg"),
            ):
                for i in range(samples + 1):
                    t0 = time.perf_counter()
                    r = await http.get(path, params={"year": 2025}, headers=keys["auditor"])
                    r.raise_for_status()
                    if i:  # the first call warms the caches (and loads matplotlib)
                        timings[kind].append(time.perf_counter() - t0)
            body = (await http.get("/targets/attainment", params={"year": 2025},
                                   headers=keys["auditor"])).json()  # fmt: skip
        whole = next(t for t in body["province"]["titles"] if t["denominator"] == "households")
        print(f"province: {whole['held']:,} of {whole['total']:,} households "
              f"({whole['percent']}%, target {whole['target']}%)")  # fmt: skip
        json_s = statistics.median(timings["json"])
        line("GET /targets/attainment?year=2025 (median)", json_s, "< 1 s", json_s < 1, " s")
        for kind in ("png", "svg"):
            s = statistics.median(timings[kind])
            line(f"GET /targets/attainment.{kind}?year=2025 (median)", s, "(< 2 s)", s < 2, " s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=600_000)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(bench(args.households, args.samples))


if __name__ == "__main__":
    main()
