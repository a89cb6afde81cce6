"""Shared fixtures: a real PostgreSQL for the session, a fresh database per test.

The server is the embedded one (``pgserver``) unless ``KH_TEST_DATABASE_URL`` points at
another. Each test gets its own database, so catalogs, slugs and province codes never leak
between tests.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from kh_saas.api.app import create_app
from kh_saas.domain.criteria_defaults import default_sets
from kh_saas.service import Service
from kh_saas.settings import Settings
from kh_saas.tenants.admin_units import build_province_units

ADMIN_KEY = "kh_test-platform-admin-key-0123456789abcdef"


def provisioned_events(province_code: str) -> int:
    """Events in a new tenant: Province.Provisioned, default criteria sets, admin units."""
    return 1 + len(default_sets()) + len(build_province_units(province_code, actor="t"))


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on."""
    configured = os.environ.get("KH_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    import pgserver  # noqa: PLC0415 - only when no external server is given

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A new, empty database for one test, dropped afterwards."""
    dbname = "kh_test_" + secrets.token_hex(6)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{dbname}"')
    finally:
        await admin.close()
    yield with_database(server_url, dbname)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data", admin_key=ADMIN_KEY)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    svc = Service(settings)
    await svc.start()
    yield svc
    await svc.stop()


@pytest.fixture
async def client(service: Service, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the test's own event loop (so tests may also use the service's pools)."""
    app = create_app(settings, service=service)
    # No app.lifespan() here: the fixture owns the service, and pytest-asyncio finalises
    # fixtures in another task than the one that would enter the lifespan's cancel scope.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://kh.test",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    ) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def make_tenant(
    client: httpx.AsyncClient, slug: str, province_code: str, name: str | None = None
) -> dict[str, Any]:
    r = await client.post(
        "/v1/tenants",
        json={"slug": slug, "name": name or slug.title(), "province_code": province_code},
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def make_key(client: httpx.AsyncClient, slug: str, role: str) -> str:
    r = await client.post(f"/v1/tenants/{slug}/api-keys", json={"name": role, "role": role})
    assert r.status_code == 201, r.text
    secret: str = r.json()["secret"]
    return secret
