"""Issue-12 target for reports, printed beside it (real server, real PostgreSQL; the embedded
one unless KH_DATABASE_URL is set).

    python -m bench.reports [--households 600000]   annual report: JSON < 2 s, XLSX < 5 s

A province of ``--households`` households spread over the 78 communes of Quảng Trị, each
recognised Gia đình học tập for 2023, 2024 and 2025 (1.8 million recognitions at the default),
is COPYed into the tenant's event log and the registers projection rebuilt from it. The 2025
recognitions are recorded from October 2025 to January 2026, so a report as of the deadline
(before 10 November 2025) reads every count twice: at the deadline and now (what came late).
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

from bench.read_side import line
from bench.server import running_server
from kh_saas.projections.rebuild import rebuild
from kh_saas.projections.registers import REGISTERS
from kh_saas.reference import communes_of

SCHEMA = "t_bench"
YEARS = (2023, 2024, 2025)
SCHEDULE = {
    "flows": [
        {
            "reporter": "commune",
            "recipient_tier": "province",
            "recipient": "Sở Giáo dục và Đào tạo",
            "due": "11-10",
        }
    ]
}


def _recorded(year: int, i: int, n: int) -> datetime:
    """When a recognition of ``year`` was recorded: 2025's from October 2025 to January 2026."""
    start = datetime(year, 10, 1, tzinfo=UTC)
    return start + timedelta(seconds=i * (120 * 86400 // max(n, 1)))


async def copy_province(db_url: str, households: int) -> int:
    enc = msgspec.json.Encoder()
    rng = random.Random(12)
    communes = sorted(communes_of("44"))
    conn = await asyncpg.connect(db_url)
    count = 0
    try:
        batch: list[tuple[uuid.UUID, int, str, bytes]] = []

        async def flush() -> None:
            await conn.copy_records_to_table(
                "khuyenhoc_events",
                schema_name=SCHEMA,
                columns=["originator_id", "originator_version", "topic", "state"],
                records=batch,
            )
            batch.clear()

        decision = uuid.uuid4()
        for year in YEARS:
            for i in range(households):
                sid = uuid.uuid5(uuid.NAMESPACE_URL, f"bench-household-{i}")
                stamp = _recorded(year, i, households).isoformat()
                if year == YEARS[0]:
                    batch.append((
                        sid, 1, "kh_saas.domain.subjects:Subject.Registered",
                        enc.encode({
                            "timestamp": (datetime(2023, 1, 1, tzinfo=UTC)).isoformat(),
                            "originator_topic": "kh_saas.domain.subjects:Subject",
                            "kind": "household", "name": f"Hộ gia đình {i}",
                            "commune_code": rng.choice(communes), "village_code": None,
                            "ref": f"H{i}", "details": {"type": "household"},
                            "actor": "officer:bench",
                        }),
                    ))  # fmt: skip
                batch.append((
                    uuid.uuid4(), 1, "kh_saas.domain.recognitions:Recognition.Granted",
                    enc.encode({
                        "timestamp": stamp,
                        "originator_topic": "kh_saas.domain.recognitions:Recognition",
                        "subject_id": str(sid), "title": "learning_household",
                        "tier": "commune", "level": None, "year": year,
                        "decision_id": str(decision), "decision_number": f"{year}/QĐ-UBND",
                        "signed_on": f"{year}-10-01", "nomination_id": None,
                        "valid_until": f"{year + 1}-12-31", "upgrade_from": None,
                        "actor": "signer:bench",
                    }),
                ))  # fmt: skip
                if len(batch) >= 20_000:
                    count += len(batch)
                    await flush()
        count += len(batch)
        if batch:
            await flush()
        await conn.execute(f"ANALYZE {SCHEMA}.khuyenhoc_events")
        return count
    finally:
        await conn.close()


async def main(households: int, runs: int) -> None:
    with running_server(env={"KH_WORKERS": "external"}) as server:
        admin = {"Authorization": f"Bearer {server.admin_key}"}
        async with httpx.AsyncClient(base_url=server.url, timeout=600) as http:
            r = await http.post("/v1/tenants", headers=admin,
                                json={"slug": "bench", "name": "Bench", "province_code": "44"})
            r.raise_for_status()
            r = await http.post("/v1/tenants/bench/api-keys", headers=admin,
                                json={"name": "admin", "role": "tenant_admin"})  # fmt: skip
            key = {"Authorization": f"Bearer {r.json()['secret']}"}
            (await http.put("/v1/t/bench/report-schedule", json=SCHEDULE, headers=key)
             ).raise_for_status()  # fmt: skip
            started = time.perf_counter()
            copied = await copy_province(server.db_url, households)
            pool = await asyncpg.create_pool(server.db_url, min_size=1, max_size=2)
            await rebuild(pool, SCHEMA, REGISTERS)
            await pool.close()
            print(f"{copied:,} events ({households:,} households × {len(YEARS)} years) copied "
                  f"and projected in {time.perf_counter() - started:.0f} s")  # fmt: skip
            for fmt, target in (("json", 2.0), ("xlsx", 5.0), ("pdf", None)):
                times = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    r = await http.get("/v1/t/bench/reports/annual", headers=key,
                                       params={"year": 2025, "format": fmt})  # fmt: skip
                    times.append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.text
                if fmt == "json":
                    s = r.json()["summary"]
                    print(f"  as of {r.json()['as_of']}: "
                          f"{s['province']['recognised']['learning_household']:,} recognised, "
                          f"{s['recorded_after_deadline']['recognitions']:,} late")  # fmt: skip
                best = statistics.median(times)
                if fmt == "json":
                    part = []
                    for _ in range(runs):
                        t0 = time.perf_counter()
                        a = await http.get("/v1/t/bench/targets/attainment", headers=key,
                                           params={"year": 2025, "as_of": r.json()["as_of"]})
                        part.append(time.perf_counter() - t0)
                        assert a.status_code == 200, a.text
                    line("  of which the attainment (GET /targets/attainment)",
                         statistics.median(part), "(part)", True, " s")  # fmt: skip
                label = f"annual report 2025, format={fmt} (median of {runs})"
                if target is None:
                    line(label, best, "(none)", True, " s")
                else:
                    line(label, best, f"< {target:g} s", best < target, " s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=600_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.households, args.runs))
