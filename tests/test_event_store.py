"""The tenants' event store: schema per tenant, shared pools, large saves, channels."""

from __future__ import annotations

import asyncio
import threading
from uuid import UUID, uuid4

import anyio
import httpx
import psycopg
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from kh_saas.domain.ids import stable_id
from kh_saas.service import Service
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.tenants.application import TenantApplication
from tests.conftest import make_tenant, provisioned_events


class Dossier(Aggregate):
    """A stand-in aggregate for exercising the store (the domain proper lives elsewhere)."""

    @event("Opened")
    def __init__(self, *, ref: str, note: str) -> None:
        self.ref = ref
        self.note = note

    @staticmethod
    def create_id(ref: str) -> UUID:
        return stable_id("test-dossier", ref)

    @event("Annotated")
    def annotate(self, note: str) -> None:
        self.note = note


async def _tenants(
    service: Service, client: httpx.AsyncClient
) -> tuple[TenantApplication, TenantApplication]:
    await make_tenant(client, "quang-tri", "44")
    await make_tenant(client, "ha-noi", "01")
    a = await service.catalog.get("quang-tri")
    b = await service.catalog.get("ha-noi")
    assert a is not None and b is not None
    return service.app_for(a), service.app_for(b)


async def test_provisioning_creates_separate_schemas(
    client: httpx.AsyncClient, service: Service
) -> None:
    await _tenants(service, client)
    async with service.clusters.default.read.acquire() as conn:
        tables = await conn.fetch(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = $1"
            " ORDER BY table_schema",
            EVENTS_TABLE,
        )
    assert [r["table_schema"] for r in tables] == ["t_ha_noi", "t_quang_tri"]


async def test_events_of_one_tenant_are_invisible_to_another(
    client: httpx.AsyncClient, service: Service
) -> None:
    app_a, app_b = await _tenants(service, client)
    dossier = Dossier(ref="hs-1", note="Gia đình học tập 2025")
    recordings = await anyio.to_thread.run_sync(app_a.save, dossier)
    assert recordings[-1].notification.id > 0

    loaded = await anyio.to_thread.run_sync(app_a.repository.get, dossier.id)
    assert loaded.note == "Gia đình học tập 2025"
    in_b = await anyio.to_thread.run_sync(lambda: dossier.id in app_b.repository)
    assert in_b is False
    b_log = await anyio.to_thread.run_sync(
        lambda: app_b.recorder.select_notifications(start=None, limit=100)
    )
    assert b_log[0].topic == "kh_saas.domain.province:Province.Provisioned"
    assert not [n for n in b_log if "Dossier" in n.topic]
    assert (await client.get("/v1/t/quang-tri")).json()["event_count"] == provisioned_events(
        "44"
    ) + 1
    assert (await client.get("/v1/t/ha-noi")).json()["event_count"] == provisioned_events("01")


async def test_duplicate_deterministic_id_fails_atomically(
    client: httpx.AsyncClient, service: Service
) -> None:
    app_a, _ = await _tenants(service, client)
    await anyio.to_thread.run_sync(app_a.save, Dossier(ref="hs-1", note="first"))
    fresh = Dossier(ref="hs-2", note="new")
    duplicate = Dossier(ref="hs-1", note="second")
    try:
        await anyio.to_thread.run_sync(app_a.save, fresh, duplicate)
    except IntegrityError:
        pass
    else:
        raise AssertionError("a duplicate aggregate id must be refused")
    assert not await anyio.to_thread.run_sync(lambda: fresh.id in app_a.repository)


async def test_large_save_commits_in_one_transaction(
    client: httpx.AsyncClient, service: Service
) -> None:
    """50,000 aggregates (≈9 MB) in one save: the stock pipeline-mode recorder hangs here."""
    app_a, _ = await _tenants(service, client)
    dossiers = [Dossier(ref=f"bulk-{i}", note="Gia đình học tập " * 4) for i in range(50_000)]
    with anyio.fail_after(120):
        recordings = await anyio.to_thread.run_sync(app_a.save, *dossiers)
    ids = [r.notification.id for r in recordings]
    assert len(ids) == 50_000
    assert ids == sorted(ids)
    assert (await client.get("/v1/t/quang-tri")).json()["event_count"] == provisioned_events(
        "44"
    ) + 50_000


async def test_concurrent_saves_of_two_tenants_share_one_pool(
    client: httpx.AsyncClient, service: Service
) -> None:
    app_a, app_b = await _tenants(service, client)

    def write(app: TenantApplication, n: int) -> None:
        for i in range(n):
            app.save(Dossier(ref=f"c-{uuid4()}", note=str(i)))

    await asyncio.gather(
        anyio.to_thread.run_sync(write, app_a, 50), anyio.to_thread.run_sync(write, app_b, 50)
    )
    assert (await client.get("/v1/t/quang-tri")).json()["event_count"] == provisioned_events(
        "44"
    ) + 50
    assert (await client.get("/v1/t/ha-noi")).json()["event_count"] == provisioned_events("01") + 50
    assert service.clusters.default.write.get_stats()["pool_max"] == service.settings.write_pool_max


async def test_notify_channel_is_per_tenant(
    client: httpx.AsyncClient, service: Service, database_url: str
) -> None:
    app_a, app_b = await _tenants(service, client)
    channel_a = app_a.recorder.channel_name
    channel_b = app_b.recorder.channel_name
    assert channel_a != channel_b
    heard: list[str] = []
    ready = threading.Event()

    def listen() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'LISTEN "{channel_a}"')
            ready.set()
            for note in conn.notifies(timeout=3.0):
                heard.append(note.channel)

    listener = threading.Thread(target=listen)
    listener.start()
    ready.wait(5)
    await anyio.to_thread.run_sync(app_b.save, Dossier(ref="b-1", note="b"))
    await anyio.to_thread.run_sync(app_a.save, Dossier(ref="a-1", note="a"))
    await anyio.to_thread.run_sync(listener.join)
    assert heard == [channel_a]
