"""The projection engine against a real PostgreSQL (issue 9): no event skipped or applied
twice under concurrent writers and a slow transaction; a rebuild equals the incremental run
and reads go on meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time
from uuid import uuid4

import anyio
import httpx

from kh_saas.domain.subjects import HouseholdDetails, Subject
from kh_saas.domain.vocabulary import SubjectKind
from kh_saas.projections.ops import status
from kh_saas.projections.registers import REGISTERS
from kh_saas.projections.trail import TRAIL_PROJECTION
from kh_saas.service import Service
from kh_saas.storage.shared_transaction import shared_transaction
from tests.province import open_province


def household(name: str) -> Subject:
    return Subject(
        id=uuid4(),
        kind=SubjectKind.HOUSEHOLD,
        name=name,
        commune_code=None,
        village_code=None,
        ref=None,
        details=HouseholdDetails(),
        actor="officer:test",
    )


async def caught_up(service: Service, slug: str, timeout: float = 30) -> None:
    tenant = await service.catalog.get(slug)
    assert tenant is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with service.clusters.default.read.acquire() as conn:
            found = await status(conn, tenant.schema_name, (REGISTERS, TRAIL_PROJECTION))
        if all(s.lag_events == 0 for s in found):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"projections still behind: {found}")


async def test_concurrent_writers_and_a_slow_transaction_skip_nothing(
    client: httpx.AsyncClient, service: Service
) -> None:
    await open_province(client)
    tenant = await service.catalog.get("quang-tri")
    assert tenant is not None
    app = service.app_for(tenant)
    cluster = service.clusters.default
    slow_open = threading.Event()

    def slow() -> None:
        # Holds its events uncommitted while others write: a naive "after position N"
        # reader would see later positions first and skip these forever.
        with shared_transaction(cluster.write):
            app.save(*(household(f"Hộ chậm {i}") for i in range(3)))
            slow_open.set()
            time.sleep(0.8)

    def writer(n: int) -> None:
        slow_open.wait(5)
        for i in range(40):
            app.save(household(f"Hộ {n}-{i}"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.to_thread.run_sync, slow)
        for n in range(6):
            tg.start_soon(anyio.to_thread.run_sync, writer, n)
    await caught_up(service, "quang-tri")

    pool = cluster.read
    schema = tenant.schema_name
    subjects = await pool.fetchval(
        f"SELECT count(*) FROM {schema}.khuyenhoc_events"
        " WHERE topic = 'kh_saas.domain.subjects:Subject.Registered'"
    )
    assert subjects == 3 + 6 * 40
    assert await pool.fetchval(f"SELECT count(*) FROM {schema}.rm_subjects") == subjects
    assert await pool.fetchval(f"SELECT count(DISTINCT id) FROM {schema}.rm_subjects") == subjects
    trail = await pool.fetch(
        f"SELECT position FROM {schema}.rm_trail WHERE event = 'subject.registered'"
    )
    logged = await pool.fetch(
        f"SELECT notification_id FROM {schema}.khuyenhoc_events"
        " WHERE topic = 'kh_saas.domain.subjects:Subject.Registered'"
    )
    assert sorted(r[0] for r in trail) == sorted(r[0] for r in logged)  # once each, none lost


async def test_a_rebuild_equals_the_incremental_run_while_reads_go_on(
    client: httpx.AsyncClient, service: Service
) -> None:
    qt = await open_province(client)
    ids = await qt.households(300)
    r = await qt.post("/decisions", qt.household_decision(ids), role="signer")
    assert r.status_code == 201
    await caught_up(service, "quang-tri")
    before = (await client.get("/v1/tenants/quang-tri/projections")).json()["items"]

    reads: list[int] = []
    stop = asyncio.Event()

    async def reader() -> None:
        while not stop.is_set():
            page = await qt.client.get(qt.url("/registry"), headers=qt.keys["auditor"])
            reads.append(page.status_code)
            assert page.status_code != 200 or page.json()["total"] == 300

    task = asyncio.create_task(reader())
    rebuilt = await client.post("/v1/tenants/quang-tri/projections/rebuild", json={})
    stop.set()
    await task
    assert rebuilt.status_code == 200, rebuilt.text
    assert reads and set(reads) == {200}
    after = {p["projection"]: p for p in rebuilt.json()}
    for p in before:
        assert after[p["name"]]["checksum"] == p["checksum"], p["name"]
        assert after[p["name"]]["position"] == p["position"]
    one = await client.post(
        "/v1/tenants/quang-tri/projections/rebuild", json={"projection": "trail"}
    )
    assert [p["projection"] for p in one.json()] == ["trail"]
    bad = await client.post(
        "/v1/tenants/quang-tri/projections/rebuild", json={"projection": "nope"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "projection"


async def test_a_tenant_from_before_the_read_side_builds_its_projections_at_start(
    client: httpx.AsyncClient, service: Service, settings: object
) -> None:
    qt = await open_province(client)
    await qt.households(40)
    await caught_up(service, "quang-tri")
    tenant = await service.catalog.get("quang-tri")
    assert tenant is not None
    schema = tenant.schema_name
    pool = service.clusters.default.read
    # As the schema stood before projections existed: no read tables, no positions.
    for projection in (REGISTERS, TRAIL_PROJECTION):
        for table in projection.tables:
            await pool.execute(f"DROP TABLE {schema}.rm_{table.name}")
    await pool.execute(f"DELETE FROM {schema}.projection_positions")
    await service.stop()
    restarted = Service(service.settings)
    await restarted.start()
    try:
        await caught_up(restarted, "quang-tri")
        rows = await restarted.clusters.default.read.fetchval(
            f"SELECT count(*) FROM {schema}.rm_subjects WHERE pos_to IS NULL"
        )
        assert rows == 40
    finally:
        await restarted.stop()
        await service.start()  # the fixture stops it again


async def test_a_filled_registry_is_planned_with_fresh_statistics(
    client: httpx.AsyncClient, service: Service
) -> None:
    """A catch-up that fills a table refreshes its planner statistics (an empty table's plan
    made a search 18 times slower), and title and year have joint statistics (a title missing
    in a year walked the whole index)."""
    qt = await open_province(client)
    ids = await qt.households(1_200)
    decision = await qt.post("/decisions", qt.household_decision(ids), role="signer")
    assert decision.status_code == 201, decision.text
    await caught_up(service, qt.slug)
    tenant = await service.catalog.get(qt.slug)
    assert tenant is not None
    async with service.clusters.default.read.acquire() as conn:
        tuples = await conn.fetchval(
            "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = $1 AND c.relname = 'rm_recognitions'",
            tenant.schema_name,
        )
        joint = await conn.fetch(
            "SELECT s.stxkind FROM pg_statistic_ext s JOIN pg_class c ON c.oid = s.stxrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = $1 AND c.relname = 'rm_recognitions'",
            tenant.schema_name,
        )
    assert tuples >= 1_200  # -1 (never analysed) before the engine analysed it
    assert [sorted(r["stxkind"]) for r in joint] == [[b"f", b"m"]]  # dependencies, mcv
