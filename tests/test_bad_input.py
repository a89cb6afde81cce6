"""Bad input gets a 4xx problem document naming the field, and changes nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import make_tenant

PROBLEM = "application/problem+json"


async def _tenant_slugs(client: httpx.AsyncClient) -> list[str]:
    return [t["slug"] for t in (await client.get("/v1/tenants")).json()["items"]]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b'{"slug": "quang-tri", ', 400, "malformed_json", "body"),
        (b'{"slug":"a b","name":"X","province_code":"44"}', 422, "validation_failed", "slug"),
        (b'{"slug":"Quang-Tri","name":"X","province_code":"44"}', 422, "validation_failed", "slug"),
        (
            b'{"slug":"quang--tri","name":"X","province_code":"44"}',
            422,
            "validation_failed",
            "slug",
        ),
        (
            b'{"slug":"qt","name":"X","province_code":"44","extra":1}',
            422,
            "validation_failed",
            "extra",
        ),
        (b'{"slug":"qt","province_code":"44"}', 422, "validation_failed", "name"),
        (b'{"slug":"qt","name":"","province_code":"44"}', 422, "validation_failed", "name"),
        (b'{"slug":"qt","name":"X","province_code":44}', 422, "validation_failed", "province_code"),
        (
            b'{"slug":"qt","name":"X","province_code":"4"}',
            422,
            "validation_failed",
            "province_code",
        ),
        (b"[]", 422, "validation_failed", "body"),
    ],
)
async def test_bad_tenant_bodies(
    client: httpx.AsyncClient, body: bytes, status: int, code: str, field: str
) -> None:
    await make_tenant(client, "ha-noi", "01")
    r = await client.post("/v1/tenants", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["code"] == code
    assert problem["field"] == field
    assert problem["status"] == status
    assert problem["type"] == f"/problems/{code}"
    assert problem["title"]
    assert problem["instance"] == "/v1/tenants"
    assert any(e["field"] == field for e in problem["errors"])
    assert await _tenant_slugs(client) == ["ha-noi"]


async def test_ten_megabyte_body_is_refused(client: httpx.AsyncClient) -> None:
    padding = "x" * (10 * 1024 * 1024)
    body = f'{{"slug":"qt","name":"{padding}","province_code":"44"}}'.encode()
    r = await client.post("/v1/tenants", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "body_too_large"
    assert r.json()["field"] == "body"
    assert await _tenant_slugs(client) == []


async def test_bad_api_key_bodies(client: httpx.AsyncClient) -> None:
    await make_tenant(client, "ha-noi", "01")
    r = await client.post("/v1/tenants/ha-noi/api-keys", json={"name": "x", "role": "emperor"})
    assert r.status_code == 422
    assert r.json()["field"] == "role"
    r = await client.post(
        "/v1/tenants/ha-noi/api-keys", json={"name": "x", "role": "platform_admin"}
    )
    assert r.status_code == 422
    assert r.json()["field"] == "role"
    r = await client.delete("/v1/tenants/ha-noi/api-keys/not-a-uuid")
    assert r.status_code in (400, 404, 422)
    assert r.headers["content-type"].startswith(PROBLEM)
    assert (await client.get("/v1/tenants/ha-noi/api-keys")).json()["items"] == []


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith(PROBLEM)
    r = await client.put("/v1/tenants", json={})
    assert r.status_code == 405
    assert r.json()["code"] == "method_not_allowed"


async def test_nul_characters_are_refused(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/tenants",
        content=b'{"slug":"qt","name":"Qu\\u0000ang","province_code":"44"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["field"] == "name"
    assert await _tenant_slugs(client) == []


async def test_method_not_allowed_names_the_allowed_ones(client: httpx.AsyncClient) -> None:
    r = await client.patch("/v1/tenants", json={})
    assert r.status_code == 405
    assert "POST" in r.headers["allow"] and "GET" in r.headers["allow"]
