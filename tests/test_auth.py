"""Keys, roles and tenant isolation on every route."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.conftest import bearer, make_key, make_tenant

TENANT_ROUTES = [
    ("GET", "/v1/t/{slug}", None),
    ("GET", "/v1/tenants/{slug}", None),
    ("GET", "/v1/tenants/{slug}/api-keys", None),
    ("POST", "/v1/tenants/{slug}/api-keys", {"name": "x", "role": "officer"}),
    ("DELETE", "/v1/tenants/{slug}/api-keys/" + str(uuid4()), None),
]


@pytest.fixture
async def two_tenants(client: httpx.AsyncClient) -> dict[str, str]:
    await make_tenant(client, "quang-tri", "44")
    await make_tenant(client, "ha-noi", "01")
    return {
        "a_admin": await make_key(client, "quang-tri", "tenant_admin"),
        "b_admin": await make_key(client, "ha-noi", "tenant_admin"),
        "a_integrator": await make_key(client, "quang-tri", "integrator"),
    }


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ROUTES)
async def test_key_of_another_tenant_gets_404(
    client: httpx.AsyncClient,
    two_tenants: dict[str, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    url = path.format(slug="ha-noi")
    r = await client.request(method, url, json=body, headers=bearer(two_tenants["a_admin"]))
    assert r.status_code == 404, r.text
    missing = await client.request(
        method, path.format(slug="no-such"), json=body, headers=bearer(two_tenants["a_admin"])
    )
    # Indistinguishable from a tenant that does not exist.
    assert missing.status_code == 404
    assert r.json()["code"] == missing.json()["code"] == "not_found"
    assert r.json()["detail"].replace("ha-noi", "?") == missing.json()["detail"].replace(
        "no-such", "?"
    )


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ROUTES)
async def test_no_key_or_bad_key_gets_401(
    client: httpx.AsyncClient,
    two_tenants: dict[str, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    url = path.format(slug="quang-tri")
    anonymous = await client.request(method, url, json=body, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    wrong = await client.request(method, url, json=body, headers=bearer("kh_not-a-real-key"))
    assert wrong.status_code == 401


async def test_wrong_role_gets_403(client: httpx.AsyncClient, two_tenants: dict[str, str]) -> None:
    integrator = bearer(two_tenants["a_integrator"])
    r = await client.get("/v1/t/quang-tri/units", headers=integrator)
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert "integrator" in r.json()["detail"]
    officer = bearer(await make_key(client, "quang-tri", "officer"))
    assert (await client.get("/v1/tenants/quang-tri/api-keys", headers=officer)).status_code == 403
    # Platform routes are for the platform admin only.
    assert (
        await client.get("/v1/tenants", headers=bearer(two_tenants["a_admin"]))
    ).status_code == 403
    r = await client.post(
        "/v1/tenants",
        json={"slug": "hue", "name": "Huế", "province_code": "46"},
        headers=bearer(two_tenants["a_admin"]),
    )
    assert r.status_code == 403


async def test_every_tenant_role_sees_its_profile(
    client: httpx.AsyncClient, two_tenants: dict[str, str]
) -> None:
    for role in ["tenant_admin", "officer", "reviewer", "signer", "auditor", "integrator"]:
        key = await make_key(client, "quang-tri", role)
        r = await client.get("/v1/t/quang-tri", headers=bearer(key))
        assert r.status_code == 200, role
        assert r.json()["slug"] == "quang-tri"


def _sample(parameter: dict[str, Any]) -> str:
    if parameter["name"] == "slug":
        return "quang-tri"
    schema = parameter.get("schema", {})
    if schema.get("format") == "uuid":
        return str(uuid4())
    return "2024" if schema.get("type") == "integer" else "x"


#: What an integrator key opens: its profile, the public events (feed, stream, schemas) and
#: the webhooks; every other /v1 operation stays closed to it.
INTEGRATOR_ROUTES = ("/v1/t/{slug}/events", "/v1/t/{slug}/webhooks", "/v1/events/")


async def test_integrator_reads_the_profile_events_and_nothing_else(
    client: httpx.AsyncClient, two_tenants: dict[str, str]
) -> None:
    """The profile says the key works and how many events the province holds; the feed is
    open to it; every other documented /v1 operation stays closed to it."""
    integrator = bearer(two_tenants["a_integrator"])
    profile = await client.get("/v1/t/quang-tri", headers=integrator)
    assert profile.status_code == 200, profile.text
    assert profile.json()["slug"] == "quang-tri"
    assert profile.json()["event_count"] > 0
    # Another tenant's profile is still invisible to it.
    assert (await client.get("/v1/t/ha-noi", headers=integrator)).status_code == 404
    assert (await client.get("/v1/t/quang-tri/events", headers=integrator)).status_code == 200
    assert (await client.get("/v1/t/ha-noi/events", headers=integrator)).status_code == 404
    document = (await client.get("/schema/openapi.json")).json()
    refused = 0
    for template, item in document["paths"].items():
        if not template.startswith("/v1/"):
            continue
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            if (method, template) == ("get", "/v1/t/{slug}"):
                continue
            if template.startswith(INTEGRATOR_ROUTES):
                continue
            path = template
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    path = path.replace("{" + parameter["name"] + "}", _sample(parameter))
            r = await client.request(method.upper(), path, headers=integrator)
            assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
            assert r.json()["code"] == "forbidden"
            refused += 1
    assert refused > 50, refused  # the walk really covered the API


async def test_tenant_admin_manages_only_its_own_keys(
    client: httpx.AsyncClient, two_tenants: dict[str, str]
) -> None:
    a_admin = bearer(two_tenants["a_admin"])
    r = await client.post(
        "/v1/tenants/quang-tri/api-keys", json={"name": "clerk", "role": "officer"}, headers=a_admin
    )
    assert r.status_code == 201
    b_keys = (await client.get("/v1/tenants/ha-noi/api-keys")).json()["items"]
    b_key_id = b_keys[0]["id"]
    # Revoking tenant B's key through tenant A's path does nothing.
    r = await client.delete(f"/v1/tenants/quang-tri/api-keys/{b_key_id}", headers=a_admin)
    assert r.status_code == 404
    b_admin = bearer(two_tenants["b_admin"])
    assert (await client.get("/v1/t/ha-noi", headers=b_admin)).status_code == 200


async def test_x_api_key_header_is_accepted(
    client: httpx.AsyncClient, two_tenants: dict[str, str]
) -> None:
    r = await client.get(
        "/v1/t/quang-tri", headers={"Authorization": "", "X-API-Key": two_tenants["a_admin"]}
    )
    assert r.status_code == 200


async def test_public_operations_routes_need_no_key(client: httpx.AsyncClient) -> None:
    anon = {"Authorization": ""}
    assert (await client.get("/healthz", headers=anon)).status_code == 200
    ready = await client.get("/readyz", headers=anon)
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert (await client.get("/problems/not_found", headers=anon)).json()["code"] == "not_found"
