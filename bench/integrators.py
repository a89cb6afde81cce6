"""Issue-10 targets for integrators, each printed beside its target (real server, real
PostgreSQL; the embedded one unless KH_DATABASE_URL is set).

    python -m bench.integrators feed [--events 300000]        feed read ≥ 50,000 events/s
                                                              (beside the raw asyncpg read)
    python -m bench.integrators stream [--rate 200 --seconds 60]
                                                              append → SSE receipt p99 < 100 ms
    python -m bench.integrators subscribers [--n 500]         server connections used ≤ 2

Appends go straight into the tenant's log the way the recorder writes (under its table lock,
with its NOTIFY, one transaction per event), so the figure is the pipeline's own: the
projector's batch, ``public_events``' NOTIFY, the stream hub's read and the SSE write.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import msgspec

from bench.read_side import COMMUNE, SCHEMA, copy_events, line, pct, raw_read_rate
from bench.server import Server, running_server
from kh_saas.integrators.feed import read_page
from kh_saas.projections.worker import channel_of

GRANTED = "kh_saas.domain.recognitions:Recognition.Granted"
REGISTERED = "kh_saas.domain.subjects:Subject.Registered"
_enc = msgspec.json.Encoder()


def tenant(server: Server) -> dict[str, str]:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    httpx.post(
        server.url + "/v1/tenants",
        headers=admin,
        json={"slug": "bench", "name": "Bench", "province_code": "44"},
        timeout=120,
    ).raise_for_status()
    r = httpx.post(
        server.url + "/v1/tenants/bench/api-keys",
        headers=admin,
        json={"name": "integrator", "role": "integrator"},
        timeout=60,
    )
    return {"Authorization": f"Bearer {r.json()['secret']}"}


async def public_head(conn: asyncpg.Connection) -> int:
    sql = f"SELECT coalesce(max(sequence), 0) FROM {SCHEMA}.public_events"
    return int(await conn.fetchval(sql))


async def wait_public(db_url: str, want: int) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        while await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.public_events") < want:
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def bench_feed(events: int) -> None:
    with running_server() as server:
        key = tenant(server)
        copied = await copy_events(server.db_url, events)
        notify = await asyncpg.connect(server.db_url)
        await notify.execute("SELECT pg_notify($1, '')", channel_of(SCHEMA))
        await notify.close()
        await wait_public(server.db_url, events)
        raw = await raw_read_rate(server.db_url)
        sql = await page_read_rate(server.db_url)
        n, after = 0, 0
        async with httpx.AsyncClient(base_url=server.url, headers=key, timeout=60) as http:
            await http.get("/v1/t/bench/events", params={"limit": 1000})  # warm
            started = time.perf_counter()
            while True:
                r = await http.get("/v1/t/bench/events", params={"after": after, "limit": 1000})
                page = msgspec.json.decode(r.content)
                if not page["items"]:
                    break
                n += len(page["items"])
                after = page["next_after"]
            seconds = time.perf_counter() - started
        print(f"feed read by one client: {n:,} public events of {copied:,} in the log "
              "(limit=1000 pages over HTTP, decoded)")  # fmt: skip
        line("raw asyncpg read of the log (10,000 a fetch)", raw, "(limit)", True, " ev/s")
        line("the feed's own SQL, asyncpg (1,000 a fetch)", sql, "(limit)", True, " ev/s")
        rate = n / seconds
        line("GET /v1/t/{slug}/events, one client", rate, "≥ 50,000", rate >= 50_000, " ev/s")


async def page_read_rate(db_url: str) -> float:
    """The feed's statement alone: PostgreSQL rendering each jsonb event as text."""
    conn = await asyncpg.connect(db_url)
    try:
        started = time.perf_counter()
        n, after = 0, 0
        while True:
            page = await read_page(conn, SCHEMA, after, 1000)
            if not page.rows:
                return n / (time.perf_counter() - started)
            n, after = n + len(page.rows), page.next_after
    finally:
        await conn.close()


class Sse:
    """Reads an event stream, noting when each event arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # recognition id → perf_counter
        self.count = 0
        self.got = asyncio.Event()

    async def read(self, response: httpx.Response) -> None:
        async for raw in response.aiter_lines():
            if raw.startswith("data: "):
                now = time.perf_counter()
                event = msgspec.json.decode(raw[6:])
                self.count += 1
                self.got.set()
                rid = event["data"].get("recognition_id")
                if rid:
                    self.arrived[rid] = now


async def subjects(conn: asyncpg.Connection, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    stamp = datetime.now(UTC).isoformat()
    records = [
        (sid, 1, REGISTERED, _enc.encode({
            "timestamp": stamp, "originator_topic": "kh_saas.domain.subjects:Subject",
            "kind": "household", "name": f"Hộ {i}", "commune_code": COMMUNE,
            "village_code": None, "ref": f"S{i}", "details": {"type": "household"},
            "actor": "officer:bench"}))
        for i, sid in enumerate(ids)
    ]  # fmt: skip
    await conn.copy_records_to_table(
        "khuyenhoc_events",
        schema_name=SCHEMA,
        columns=["originator_id", "originator_version", "topic", "state"],
        records=records,
    )
    return ids


async def append(conn: asyncpg.Connection, subject: uuid.UUID, year: int) -> uuid.UUID:
    """One recognition, written as the recorder writes: table lock, insert, notify, commit."""
    rid = uuid.uuid4()
    state = _enc.encode({
        "timestamp": datetime.now(UTC).isoformat(),
        "originator_topic": "kh_saas.domain.recognitions:Recognition",
        "subject_id": str(subject), "title": "learning_household", "tier": "commune",
        "level": None, "year": year, "decision_id": str(uuid.uuid4()),
        "decision_number": "1/QĐ-UBND", "signed_on": f"{year + 1}-01-15",
        "nomination_id": None, "valid_until": f"{year + 1}-12-31", "upgrade_from": None,
        "actor": "signer:bench",
    })  # fmt: skip
    async with conn.transaction():
        await conn.execute(f"LOCK TABLE {SCHEMA}.khuyenhoc_events IN EXCLUSIVE MODE")
        await conn.execute(
            f"INSERT INTO {SCHEMA}.khuyenhoc_events"
            " (originator_id, originator_version, topic, state) VALUES ($1, 1, $2, $3)",
            rid,
            GRANTED,
            state,
        )
        await conn.execute("SELECT pg_notify($1, '')", channel_of(SCHEMA))
    return rid


@contextlib.asynccontextmanager
async def streaming(http: httpx.AsyncClient, sse: Sse, **params: Any) -> Any:
    async with http.stream("GET", "/v1/t/bench/events/stream", params=params) as response:
        assert response.status_code == 200, response.status_code
        task = asyncio.create_task(sse.read(response))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await task


async def bench_stream(rate: float, seconds: float) -> None:
    with running_server() as server:
        key = tenant(server)
        conn = await asyncpg.connect(server.db_url)
        total = int(rate * seconds)
        people = await subjects(conn, total)
        await conn.execute("SELECT pg_notify($1, '')", channel_of(SCHEMA))
        sse = Sse()
        sent: dict[str, float] = {}
        async with (
            httpx.AsyncClient(base_url=server.url, headers=key, timeout=None) as http,
            streaming(http, sse, after=await public_head(conn)),
        ):
            await asyncio.sleep(2)  # the projector has the subjects
            started = time.perf_counter()
            for i, subject in enumerate(people):
                due = started + i / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                rid = await append(conn, subject, 2024)
                sent[str(rid)] = time.perf_counter()
            deadline = time.perf_counter() + 10
            while len(sse.arrived) < total and time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
        await conn.close()
        took = [(sse.arrived[r] - t) * 1000 for r, t in sent.items() if r in sse.arrived]
        print(f"append → SSE receipt: {total:,} events at {rate:g}/s for {seconds:g} s, one "
              f"subscriber; {len(took):,} received")  # fmt: skip
        line("p50", pct(took, 0.5), "", True, " ms")
        p99 = pct(took, 0.99)
        line("p99", p99, "< 100 ms", p99 < 100 and len(took) == total, " ms")
        line("max", max(took), "", True, " ms")


async def backends(conn: asyncpg.Connection) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
            " AND pid <> pg_backend_pid()"
        )
    )


async def bench_subscribers(n: int) -> None:
    with running_server() as server:
        key = tenant(server)
        conn = await asyncpg.connect(server.db_url)
        (subject,) = await subjects(conn, 1)
        limits = httpx.Limits(max_connections=n + 50, max_keepalive_connections=n + 50)
        async with httpx.AsyncClient(
            base_url=server.url, headers=key, timeout=None, limits=limits
        ) as http:
            # Fill the read pool first (requests check keys there), so what is left is the
            # streams' own.
            await asyncio.gather(*(http.get("/v1/t/bench/events") for _ in range(40)))
            before = await backends(conn)
            readers = [Sse() for _ in range(n)]
            async with contextlib.AsyncExitStack() as stack:
                for sse in readers:
                    await stack.enter_async_context(streaming(http, sse))
                await asyncio.sleep(1)
                connected = await backends(conn)
                await append(conn, subject, 2024)
                await asyncio.wait_for(asyncio.gather(*(s.got.wait() for s in readers)), 60)
                during = await backends(conn)
                hub = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                    "kh-stream-hub",
                )
        await conn.close()
        used = max(connected, during) - before
        print(f"{n} SSE subscribers of one tenant on one process, one event fanned out to all "
              f"(server backends before {before}, with the streams {connected}, "
              f"after the fan-out {during}; hub listener {hub})")  # fmt: skip
        line("server connections used for the streams", used, "≤ 2", used <= 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="which", required=True)
    feed = sub.add_parser("feed")
    feed.add_argument("--events", type=int, default=300_000)
    stream = sub.add_parser("stream")
    stream.add_argument("--rate", type=float, default=200)
    stream.add_argument("--seconds", type=float, default=60)
    subs = sub.add_parser("subscribers")
    subs.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    if args.which == "feed":
        asyncio.run(bench_feed(args.events))
    elif args.which == "stream":
        asyncio.run(bench_stream(args.rate, args.seconds))
    else:
        asyncio.run(bench_subscribers(args.n))


if __name__ == "__main__":
    main()
