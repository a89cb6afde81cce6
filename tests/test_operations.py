"""OpenAPI, metrics, request ids and settings."""

from __future__ import annotations

import httpx
import pytest

from kh_saas.settings import Settings, SettingsError
from tests.conftest import make_tenant


async def test_openapi_documents_routes_and_problems(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/openapi.json", headers={"Authorization": ""})
    assert r.status_code == 200
    spec = r.json()
    paths = spec["paths"]
    for path in ["/v1/tenants", "/v1/t/{slug}", "/v1/tenants/{slug}/api-keys", "/readyz"]:
        assert path in paths, path
    create = paths["/v1/tenants"]["post"]
    assert "application/problem+json" in create["responses"]["409"]["content"]
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in create.get("parameters", []))
    assert "ApiKey" in spec["components"]["securitySchemes"]
    # Unknown fields are refused, and the schema says so.
    assert spec["components"]["schemas"]["TenantIn"]["additionalProperties"] is False
    ui = await client.get("/schema/swagger", headers={"Authorization": ""})
    assert ui.status_code == 200
    assert "swagger" in ui.text.lower()


async def test_metrics_in_prometheus_text_format(client: httpx.AsyncClient) -> None:
    await make_tenant(client, "hue", "46")
    await client.get("/v1/t/hue")
    r = await client.get("/metrics", headers={"Authorization": ""})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert "kh_requests_total" in r.text
    assert 'path="/v1/t/{slug}"' in r.text  # grouped by route, not by tenant


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    made = (await client.get("/healthz")).headers["x-request-id"]
    assert len(made) == 32
    problem = await client.get("/v1/t/nowhere", headers={"X-Request-ID": "req-404"})
    assert problem.json()["request_id"] == "req-404"


def test_settings_from_environment() -> None:
    s = Settings.from_env({"KH_PORT": "9000", "KH_DATA_DIR": "/tmp/x", "KH_LOG_FORMAT": "json"})
    assert s.port == 9000
    assert str(s.data_dir) == "/tmp/x"
    assert s.embedded
    assert Settings.from_env({"KH_DATABASE_URL": "postgresql://h/db"}).embedded is False
    assert Settings.from_env({"KH_PORT": "9000"}, port=9100).port == 9100


def test_bad_settings_name_the_variable() -> None:
    with pytest.raises(SettingsError, match="KH_PORT"):
        Settings.from_env({"KH_PORT": "eighty"})
    with pytest.raises(SettingsError, match="KH_CLUSTERS"):
        Settings.from_env({"KH_CLUSTERS": "nourl"}).cluster_urls("postgresql://x/y")
    with pytest.raises(SettingsError, match="KH_PLACEMENT"):
        Settings.from_env({"KH_PLACEMENT": "mars"}).cluster_urls("postgresql://x/y")
