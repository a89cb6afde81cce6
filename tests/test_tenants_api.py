"""Tenants and API keys over the HTTP API, on a real PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx

from kh_saas.service import Service
from tests.conftest import bearer, make_key, make_tenant, provisioned_events


async def test_create_list_and_profile(client: httpx.AsyncClient) -> None:
    created = await make_tenant(client, "quang-tri", "44", "Quảng Trị")
    assert created["slug"] == "quang-tri"
    assert created["name"] == "Quảng Trị"
    assert created["status"] == "active"
    assert created["cluster"] == "default"

    listed = (await client.get("/v1/tenants")).json()["items"]
    assert [t["slug"] for t in listed] == ["quang-tri"]

    profile = await client.get("/v1/t/quang-tri")
    assert profile.status_code == 200
    body = profile.json()
    assert body["province_code"] == "44"
    assert body["name"] == "Quảng Trị"
    assert body["event_count"] == provisioned_events("44")
    assert body["created_at"] == created["created_at"]


async def test_names_are_stored_nfc(client: httpx.AsyncClient) -> None:
    decomposed = "Qua\u0309ng Tri\u0323"  # "Quảng Trị" typed with combining marks
    created = await make_tenant(client, "quang-tri", "44", decomposed)
    assert created["name"] == "Quảng Trị"


async def test_duplicate_slug_and_province_code_conflict(client: httpx.AsyncClient) -> None:
    await make_tenant(client, "quang-tri", "44")
    same_slug = await client.post(
        "/v1/tenants", json={"slug": "quang-tri", "name": "X", "province_code": "01"}
    )
    assert same_slug.status_code == 409
    assert same_slug.headers["content-type"].startswith("application/problem+json")
    assert same_slug.json()["code"] == "tenant_exists"
    assert same_slug.json()["field"] == "slug"
    same_code = await client.post(
        "/v1/tenants", json={"slug": "quang-tri-2", "name": "X", "province_code": "44"}
    )
    assert same_code.status_code == 409
    assert same_code.json()["field"] == "province_code"
    assert len((await client.get("/v1/tenants")).json()["items"]) == 1


async def test_unknown_province_code_is_rejected(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/tenants", json={"slug": "nowhere", "name": "X", "province_code": "99"}
    )
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_province"
    assert r.json()["field"] == "province_code"


async def test_twenty_concurrent_creations_all_succeed(client: httpx.AsyncClient) -> None:
    codes = ["01", "04", "08", "11", "12", "14", "15", "19", "20", "22",
             "24", "25", "31", "33", "37", "38", "40", "42", "44", "46"]  # fmt: skip
    responses = await asyncio.gather(
        *(
            client.post(
                "/v1/tenants", json={"slug": f"p-{code}", "name": code, "province_code": code}
            )
            for code in codes
        )
    )
    assert [r.status_code for r in responses] == [201] * 20
    listed = (await client.get("/v1/tenants")).json()["items"]
    assert sorted(t["slug"] for t in listed) == sorted(f"p-{c}" for c in codes)
    for code in codes:
        assert (await client.get(f"/v1/t/p-{code}")).json()["event_count"] == provisioned_events(
            code
        )


async def test_same_slug_twice_at_once_gives_one_tenant(
    client: httpx.AsyncClient, service: Service
) -> None:
    body = {"slug": "ha-noi", "name": "Hà Nội", "province_code": "01"}
    first, second = await asyncio.gather(
        client.post("/v1/tenants", json=body), client.post("/v1/tenants", json=body)
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    assert [t.slug for t in await service.catalog.all()] == ["ha-noi"]


async def test_idempotent_retry_returns_first_result(client: httpx.AsyncClient) -> None:
    body = {"slug": "hue", "name": "Huế", "province_code": "46"}
    headers = {"Idempotency-Key": "create-hue-1"}
    first = await client.post("/v1/tenants", json=body, headers=headers)
    again = await client.post("/v1/tenants", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post(
        "/v1/tenants", json={**body, "name": "Thừa Thiên Huế"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert len((await client.get("/v1/tenants")).json()["items"]) == 1


async def test_api_keys_issue_list_revoke(client: httpx.AsyncClient) -> None:
    await make_tenant(client, "quang-tri", "44")
    r = await client.post(
        "/v1/tenants/quang-tri/api-keys", json={"name": "Sở GD&ĐT", "role": "officer"}
    )
    assert r.status_code == 201
    issued = r.json()
    assert issued["role"] == "officer"
    assert issued["tenant"] == "quang-tri"
    secret = issued["secret"]
    assert secret.startswith("kh_")

    listed = (await client.get("/v1/tenants/quang-tri/api-keys")).json()["items"]
    assert [k["id"] for k in listed] == [issued["id"]]
    assert "secret" not in listed[0]

    assert (await client.get("/v1/t/quang-tri", headers=bearer(secret))).status_code == 200
    revoked = await client.delete(f"/v1/tenants/quang-tri/api-keys/{issued['id']}")
    assert revoked.status_code == 204
    after = await client.get("/v1/t/quang-tri", headers=bearer(secret))
    assert after.status_code == 401
    assert after.json()["code"] == "unauthenticated"
    listed = (await client.get("/v1/tenants/quang-tri/api-keys")).json()["items"]
    assert listed[0]["revoked_at"] is not None


async def test_only_a_hash_of_the_key_is_stored(
    client: httpx.AsyncClient, service: Service
) -> None:
    await make_tenant(client, "quang-tri", "44")
    secret = await make_key(client, "quang-tri", "auditor")
    async with service.clusters.default.read.acquire() as conn:
        rows = await conn.fetch("SELECT key_hash::text AS h, name FROM kh_platform.api_keys")
    stored = " ".join(f"{r['h']} {r['name']}" for r in rows)
    assert secret not in stored
    assert secret.removeprefix("kh_") not in stored


async def test_idempotent_key_creation_never_replays_the_secret(
    client: httpx.AsyncClient,
) -> None:
    await make_tenant(client, "quang-tri", "44")
    body = {"name": "integrator", "role": "integrator"}
    headers = {"Idempotency-Key": "k-1"}
    first = await client.post("/v1/tenants/quang-tri/api-keys", json=body, headers=headers)
    again = await client.post("/v1/tenants/quang-tri/api-keys", json=body, headers=headers)
    assert first.json()["secret"]
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["secret"] is None
    assert len((await client.get("/v1/tenants/quang-tri/api-keys")).json()["items"]) == 1


async def test_revoking_unknown_key_is_404(client: httpx.AsyncClient) -> None:
    await make_tenant(client, "quang-tri", "44")
    r = await client.delete("/v1/tenants/quang-tri/api-keys/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
