"""Issue-9 targets for the read side, each printed beside its target (real server, real
PostgreSQL; the embedded one unless KH_DATABASE_URL is set).

    python -m bench.read_side rebuild [--events 1000000]   rebuild ≥ 100,000 events/s
    python -m bench.read_side latency                       append → visible p99 ≤ 100 ms;
                                                            10,000-recipient decision ≤ 1 s
    python -m bench.read_side query [--rows 1000000]        filters + q p99 < 10 ms
    python -m bench.read_side load [--seconds 60]           200 readers: 0 errors, p99 < 100 ms

Synthetic rows for ``rebuild`` and ``query`` are COPYed into the tenant's event log (the
issue allows it); ``latency`` and ``load`` go through the HTTP API.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import msgspec

from bench.server import Server, running_server
from kh_saas.projections.rebuild import rebuild
from kh_saas.projections.registers import REGISTERS
from kh_saas.projections.store import EventLog

COMMUNE = "19483"
ISSUER = {"office": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE}
SIGNER = {"name": "Nguyễn Văn Bình", "position": "Chủ tịch"}
SCHEMA = "t_bench"
GIVEN = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Đức", "Thanh", "Quang"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Đặng", "Bùi"]
LAST = ["An", "Bình", "Châu", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Tám", "Tư", "Yến"]
TITLES = ["learning_household", "learning_citizen", "learning_clan"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def line(name: str, value: float, target: str, ok: bool, unit: str = "") -> None:
    print(f"{name:<58} {value:>12,.1f}{unit:<6} target {target:<12} {'ok' if ok else 'MISSED'}")


def tenant(server: Server) -> dict[str, str]:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    httpx.post(
        server.url + "/v1/tenants",
        headers=admin,
        json={"slug": "bench", "name": "Bench", "province_code": "44"},
        timeout=120,
    ).raise_for_status()
    keys = {}
    for role in ("officer", "signer", "auditor"):
        r = httpx.post(
            server.url + "/v1/tenants/bench/api-keys",
            headers=admin,
            json={"name": role, "role": role},
            timeout=60,
        )
        keys[role] = r.json()["secret"]
    return keys


async def copy_events(db_url: str, recognitions: int, per_subject: int = 10) -> int:
    """Subjects and their recognitions, straight into the log (what a province of that size
    would have recorded): returns the number of events."""
    enc = msgspec.json.Encoder()
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    subjects = max(1, recognitions // per_subject)
    conn = await asyncpg.connect(db_url)
    try:
        batch: list[tuple[uuid.UUID, int, str, bytes]] = []
        count = 0

        async def flush() -> None:
            await conn.copy_records_to_table(
                "khuyenhoc_events",
                schema_name=SCHEMA,
                columns=["originator_id", "originator_version", "topic", "state"],
                records=batch,
            )
            batch.clear()

        decision = uuid.uuid4()
        for s in range(subjects):
            sid = uuid.uuid4()
            name = f"Hộ {rng.choice(FAMILY)} {rng.choice(GIVEN)} {rng.choice(LAST)} {s}"
            stamp = (start + timedelta(seconds=count)).isoformat()
            batch.append((
                sid, 1, "kh_saas.domain.subjects:Subject.Registered",
                enc.encode({
                    "timestamp": stamp, "originator_topic": "kh_saas.domain.subjects:Subject",
                    "kind": "household", "name": name, "commune_code": COMMUNE,
                    "village_code": None, "ref": f"B{s}", "details": {"type": "household"},
                    "actor": "officer:bench",
                }),
            ))  # fmt: skip
            count += 1
            for k in range(per_subject):
                year = 2015 + k
                stamp = (start + timedelta(seconds=count)).isoformat()
                batch.append((
                    uuid.uuid4(), 1, "kh_saas.domain.recognitions:Recognition.Granted",
                    enc.encode({
                        "timestamp": stamp,
                        "originator_topic": "kh_saas.domain.recognitions:Recognition",
                        "subject_id": str(sid), "title": TITLES[k % len(TITLES)],
                        "tier": "commune", "level": None, "year": year,
                        "decision_id": str(decision), "decision_number": f"{k + 1}/QĐ-UBND",
                        "signed_on": f"{year + 1}-01-15", "nomination_id": None,
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


async def raw_read_rate(db_url: str) -> float:
    conn = await asyncpg.connect(db_url)
    try:
        started = time.perf_counter()
        n, position = 0, 0
        while True:
            rows = await conn.fetch(
                f"SELECT notification_id, originator_id, originator_version, topic, state"
                f" FROM {SCHEMA}.khuyenhoc_events WHERE notification_id > $1"
                f" ORDER BY notification_id LIMIT 10000",
                position,
            )
            if not rows:
                break
            n += len(rows)
            position = rows[-1][0]
        return n / (time.perf_counter() - started)
    finally:
        await conn.close()


async def bench_rebuild(events: int) -> None:
    with running_server(env={"KH_WORKERS": "external"}) as server:
        tenant(server)
        copied = await copy_events(server.db_url, events)
        conn = await asyncpg.connect(server.db_url)
        await conn.execute(f"ANALYZE {SCHEMA}.khuyenhoc_events")
        head = await EventLog(SCHEMA).head(conn)
        await conn.close()
        raw = await raw_read_rate(server.db_url)
        pool = await asyncpg.create_pool(server.db_url, min_size=1, max_size=2)
        started = time.perf_counter()
        result = await rebuild(pool, SCHEMA, REGISTERS)
        seconds = time.perf_counter() - started
        await pool.close()
        assert result.position == head, (result, head)
        print(f"rebuild of the registers projection from {copied:,} events "
              f"({events:,} recognitions)")  # fmt: skip
        line("raw asyncpg read of the same log", raw, "(limit)", True, " ev/s")
        rate = copied / seconds
        line("rebuild (read, map, write, swap)", rate, "≥ 100,000", rate >= 100_000, " ev/s")


async def bench_latency(samples: int) -> None:
    with running_server() as server:
        keys = tenant(server)
        officer = {"Authorization": f"Bearer {keys['officer']}"}
        auditor = {"Authorization": f"Bearer {keys['auditor']}"}
        signer = {"Authorization": f"Bearer {keys['signer']}"}
        base = server.url + "/v1/t/bench"
        async with httpx.AsyncClient(timeout=120) as http:
            visible: list[float] = []
            for i in range(samples):
                r = await http.post(
                    base + "/subjects",
                    json={"kind": "household", "name": f"Hộ {i}", "commune_code": COMMUNE},
                    headers=officer,
                )
                committed = time.perf_counter()  # the response means committed
                seen = await http.get(
                    base + "/subjects",
                    params={"min_position": r.headers["KH-Position"], "limit": 1},
                    headers=auditor,
                )
                assert seen.status_code == 200, seen.text
                visible.append((time.perf_counter() - committed) * 1000)
            items = [
                {"kind": "household", "name": f"Hộ {i}", "commune_code": COMMUNE, "ref": f"L{i}"}
                for i in range(10_000)
            ]
            r = await http.post(base + "/subjects/bulk", json={"items": items}, headers=officer)
            ids = r.json()["ids"]
            decision = {
                "number": "1/QĐ-UBND", "signed_on": "2025-01-15", "issuer": ISSUER,
                "signer": SIGNER, "title": "learning_household", "tier": "commune",
                "year": 2024, "recipients": [{"subject_id": s} for s in ids],
            }  # fmt: skip
            r = await http.post(base + "/decisions", json=decision, headers=signer)
            assert r.status_code == 201, r.text
            committed = time.perf_counter()
            seen = await http.get(
                base + "/registry",
                params={"min_position": r.headers["KH-Position"], "limit": 1},
                headers=auditor,
            )
            big = time.perf_counter() - committed
            assert seen.json()["total"] == 10_000
        print(f"append → visible in the read model ({samples} single commands, real HTTP)")
        line("p50", statistics.median(visible), "", True, " ms")
        line("p99", pct(visible, 0.99), "≤ 100 ms", pct(visible, 0.99) <= 100, " ms")
        line("10,000-recipient decision fully visible after commit", big, "≤ 1 s", big <= 1, " s")


async def bench_query(rows: int, queries: int) -> None:
    with running_server(env={"KH_WORKERS": "external"}) as server:
        keys = tenant(server)
        copied = await copy_events(server.db_url, rows)
        pool = await asyncpg.create_pool(server.db_url, min_size=1, max_size=2)
        await rebuild(pool, SCHEMA, REGISTERS)
        await pool.execute(f"ANALYZE {SCHEMA}.rm_recognitions")
        await pool.close()
        auditor = {"Authorization": f"Bearer {keys['auditor']}"}
        rng = random.Random(3)
        cases: list[dict[str, Any]] = []
        for _ in range(queries):
            cases.append(rng.choice([
                {"q": f"{rng.choice(FAMILY)} {rng.choice(GIVEN)} {rng.choice(LAST)}"},
                {"q": rng.choice(LAST), "title": rng.choice(TITLES)},
                {"title": rng.choice(TITLES), "year": rng.randint(2015, 2024)},
                {"commune_code": COMMUNE, "year": rng.randint(2015, 2024), "status": "lapsed"},
                {"q": f"{rng.choice(FAMILY)} {rng.randint(0, rows // 10)}"},
            ]))  # fmt: skip
        took: list[float] = []
        by_shape: dict[str, list[float]] = {}
        async with httpx.AsyncClient(base_url=server.url, headers=auditor, timeout=60) as http:
            for params in cases[:20]:  # warm the caches
                await http.get("/v1/t/bench/registry", params=params)
            for params in cases:
                started = time.perf_counter()
                r = await http.get("/v1/t/bench/registry", params=params)
                took.append((time.perf_counter() - started) * 1000)
                shape = "+".join(sorted(params))
                if "q" in params:
                    shape += f" ({len(params['q'].split())} words)"
                by_shape.setdefault(shape, []).append(took[-1])
                assert r.status_code == 200, r.text
        print(f"registry queries with filters and q at {rows:,} rows ({copied:,} events; "
              f"{queries} queries over real HTTP, one client)")  # fmt: skip
        line("p50", statistics.median(took), "", True, " ms")
        line("p99", pct(took, 0.99), "< 10 ms", pct(took, 0.99) < 10, " ms")
        for shape, values in sorted(by_shape.items()):
            print(f"  {shape:<40} p50 {statistics.median(values):7.1f} ms"
                  f"  p99 {pct(values, 0.99):7.1f} ms  ({len(values)})")  # fmt: skip


async def bench_load(seconds: float, readers: int) -> None:
    with running_server() as server:
        keys = tenant(server)
        officer = {"Authorization": f"Bearer {keys['officer']}"}
        signer = {"Authorization": f"Bearer {keys['signer']}"}
        auditor = {"Authorization": f"Bearer {keys['auditor']}"}
        base = server.url + "/v1/t/bench"
        async with httpx.AsyncClient(timeout=60) as http:
            items = [
                {"kind": "household", "name": f"Hộ {rng_name(i)}", "commune_code": COMMUNE,
                 "ref": f"R{i}"}
                for i in range(5_000)
            ]  # fmt: skip
            r = await http.post(base + "/subjects/bulk", json={"items": items}, headers=officer)
            ids = r.json()["ids"]
            decision = {
                "number": "1/QĐ-UBND", "signed_on": "2025-01-15", "issuer": ISSUER,
                "signer": SIGNER, "title": "learning_household", "tier": "commune",
                "year": 2024, "recipients": [{"subject_id": s} for s in ids],
            }  # fmt: skip
            r = await http.post(base + "/decisions", json=decision, headers=signer)
            await http.get(
                base + "/registry", params={"min_position": r.headers["KH-Position"]},
                headers=auditor,
            )  # fmt: skip
        took: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=readers, max_keepalive_connections=readers)
        async with httpx.AsyncClient(headers=auditor, timeout=30, limits=limits) as http:

            async def reader(n: int) -> None:
                nonlocal errors
                rng = random.Random(n)
                while time.perf_counter() < deadline:
                    if rng.random() < 0.5:
                        url, params = base + "/registry", {"limit": 50, "q": rng.choice(LAST)}
                    else:
                        url, params = base + f"/subjects/{rng.choice(ids)}", {}
                    started = time.perf_counter()
                    try:
                        r = await http.get(url, params=params)
                        if r.status_code != 200:
                            errors += 1
                    except httpx.HTTPError:
                        errors += 1
                    took.append((time.perf_counter() - started) * 1000)

            await asyncio.gather(*(reader(n) for n in range(readers)))
        print(f"{readers} concurrent readers for {seconds:.0f} s: registry pages and single "
              f"subject reads (client and server on this 2-core machine)")  # fmt: skip
        line("requests per second", len(took) / seconds, "(before: 294)", True, " req/s")
        line("errors", errors, "0", errors == 0)
        line("p99", pct(took, 0.99), "< 100 ms", pct(took, 0.99) < 100, " ms")


def rng_name(i: int) -> str:
    return f"{FAMILY[i % len(FAMILY)]} {GIVEN[i % len(GIVEN)]} {LAST[i % len(LAST)]} {i}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    rb = sub.add_parser("rebuild")
    rb.add_argument("--events", type=int, default=1_000_000)
    lat = sub.add_parser("latency")
    lat.add_argument("--samples", type=int, default=200)
    q = sub.add_parser("query")
    q.add_argument("--rows", type=int, default=1_000_000)
    q.add_argument("--queries", type=int, default=300)
    ld = sub.add_parser("load")
    ld.add_argument("--seconds", type=float, default=60)
    ld.add_argument("--readers", type=int, default=200)
    args = parser.parse_args()
    if args.what == "rebuild":
        asyncio.run(bench_rebuild(args.events))
    elif args.what == "latency":
        asyncio.run(bench_latency(args.samples))
    elif args.what == "query":
        asyncio.run(bench_query(args.rows, args.queries))
    else:
        asyncio.run(bench_load(args.seconds, args.readers))


if __name__ == "__main__":
    os.environ.setdefault("KH_LOG_LEVEL", "warning")
    main()

