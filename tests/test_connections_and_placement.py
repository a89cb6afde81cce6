"""Connection bound with 34 provinces, and tenants placed on another cluster."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import asyncpg
import httpx
import pytest

from kh_saas.api.app import create_app
from kh_saas.reference import provinces
from kh_saas.service import Service
from kh_saas.settings import Settings
from tests.conftest import ADMIN_KEY, provisioned_events, with_database
from tests.test_event_store import Dossier


async def server_connections(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return count
    finally:
        await conn.close()


async def test_34_tenants_are_served_within_20_connections(
    client: httpx.AsyncClient, service: Service, database_url: str
) -> None:
    codes = sorted(provinces())
    assert len(codes) == 34
    for code in codes:
        r = await client.post(
            "/v1/tenants",
            json={
                "slug": provinces()[code].slug,
                "name": provinces()[code].name,
                "province_code": code,
            },
        )
        assert r.status_code == 201, r.text

    async def serve_one(slug: str) -> None:
        assert (await client.get(f"/v1/t/{slug}")).status_code == 200
        tenant = await service.catalog.get(slug)
        assert tenant is not None
        await anyio.to_thread.run_sync(
            service.app_for(tenant).save, Dossier(ref=f"{slug}-1", note="x")
        )

    await asyncio.gather(*(serve_one(provinces()[c].slug) for c in codes))
    held = await server_connections(database_url)
    print(f"server connections with 34 tenants (reads and writes on each): {held}")
    assert held <= 20, f"{held} server connections for 34 tenants"
    assert held <= service.clusters.default.connection_bound
    assert len(service.apps) == 34


@pytest.fixture
async def second_cluster(server_url: str) -> AsyncIterator[str]:
    dbname = "kh_test_b_" + secrets.token_hex(6)
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    await admin.close()
    yield with_database(server_url, dbname)
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    await admin.close()


async def test_tenant_placed_on_another_cluster(
    database_url: str, second_cluster: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        admin_key=ADMIN_KEY,
        clusters=f"east={second_cluster}",
        placement="east",
    )
    service = Service(settings)
    await service.start()
    try:
        app = create_app(settings, service=service)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://kh.test",
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        ) as client:
            r = await client.post(
                "/v1/tenants", json={"slug": "hue", "name": "Huế", "province_code": "46"}
            )
            assert r.status_code == 201
            assert r.json()["cluster"] == "east"
            assert (await client.get("/v1/t/hue")).json()["event_count"] == provisioned_events("46")
            assert (await client.get("/readyz")).json()["checks"]["cluster:east"] == "ok"
    finally:
        await service.stop()

    async def has_schema(url: str) -> bool:
        conn = await asyncpg.connect(url)
        try:
            return bool(await conn.fetchval("SELECT to_regnamespace('t_hue') IS NOT NULL"))
        finally:
            await conn.close()

    assert await has_schema(second_cluster)
    assert not await has_schema(database_url)
