"""Schema migrations: versioned, idempotent, safe when two processes start together."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg

from kh_saas.service import Service
from kh_saas.settings import Settings
from kh_saas.storage.migrations import Migration, current_version, migrate
from kh_saas.tenants.catalog import PLATFORM_MIGRATIONS, PLATFORM_SCHEMA
from tests.conftest import provisioned_events

STEPS = (
    Migration(1, "one", "CREATE TABLE {schema}.things (id int PRIMARY KEY)"),
    Migration(2, "two", "ALTER TABLE {schema}.things ADD COLUMN name text"),
)


async def test_running_twice_is_harmless(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert await current_version(conn, "m_twice") is None
        assert await migrate(conn, "m_twice", STEPS) == [1, 2]
        assert await migrate(conn, "m_twice", STEPS) == []
        assert await current_version(conn, "m_twice") == 2
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_step_once(database_url: str) -> None:
    conns = [await asyncpg.connect(database_url) for _ in range(6)]
    try:
        results = await asyncio.gather(*(migrate(c, "m_race", STEPS) for c in conns))
        assert sorted(results, key=len) == [[], [], [], [], [], [1, 2]]
        rows = await conns[0].fetch('SELECT version FROM "m_race".schema_migrations')
        assert sorted(r["version"] for r in rows) == [1, 2]
    finally:
        for c in conns:
            await c.close()


async def test_two_services_starting_together(settings: Settings, database_url: str) -> None:
    first, second = Service(settings), Service(settings)
    try:
        await asyncio.gather(first.start(), second.start())
        conn = await asyncpg.connect(database_url)
        try:
            assert await current_version(conn, PLATFORM_SCHEMA) == PLATFORM_MIGRATIONS[-1].version
            admins = await conn.fetchval(
                f"SELECT count(*) FROM {PLATFORM_SCHEMA}.api_keys WHERE role = 'platform_admin'"
            )
            assert admins == 1
        finally:
            await conn.close()
    finally:
        await first.stop()
        await second.stop()


async def test_restart_migrates_tenant_schemas_and_keeps_tenants(settings: Settings) -> None:
    service = Service(settings)
    await service.start()
    try:
        await service.create_tenant(slug="hue", name="Huế", province_code="46", actor="test")
    finally:
        await service.stop()
    again = Service(settings)
    await again.start()
    try:
        assert [t.slug for t in await again.catalog.all()] == ["hue"]
        checks = await again.readiness()
        assert checks["tenant_schemas"] == "ok"
    finally:
        await again.stop()


async def test_unfinished_provisioning_is_completed_at_start(
    settings: Settings, database_url: str
) -> None:
    """A crash between reserving the catalog row and building the schema heals at start."""
    service = Service(settings)
    await service.start()
    try:
        await service.catalog.reserve(
            tenant_id=uuid4(),
            slug="hue",
            name="Huế",
            province_code="46",
            cluster="default",
        )
    finally:
        await service.stop()
    again = Service(settings)
    await again.start()
    try:
        tenant = await again.catalog.get("hue")
        assert tenant is not None and tenant.status == "active"
        assert await again.event_count(tenant) == provisioned_events("46")
    finally:
        await again.stop()


async def test_readiness_names_tenants_whose_schema_is_behind(settings: Settings) -> None:
    service = Service(settings)
    await service.start()
    try:
        await service.create_tenant(slug="hue", name="Huế", province_code="46", actor="test")
        assert (await service.readiness())["tenant_schemas"] == "ok"
        async with service.clusters.default.read.acquire() as conn:
            await conn.execute(f"UPDATE {PLATFORM_SCHEMA}.tenants SET schema_version = 1")
        assert (await service.readiness())["tenant_schemas"] == "behind: hue"
    finally:
        await service.stop()
