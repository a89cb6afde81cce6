"""Managing webhook endpoints: create (secret once), list, read, change, delete, rotate; roles,
other provinces' endpoints answer 404, bad input is an RFC 9457 problem naming the field."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from kh_saas.settings import Settings
from tests.conftest import ADMIN_KEY, bearer, make_key, make_tenant

HOOK = "http://127.0.0.1:9/hook"
TYPE = "vn.khuyenhoc.recognition.granted.v1"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        admin_key=ADMIN_KEY,
        webhooks_allow_private=True,
    )


async def _province(client: httpx.AsyncClient, slug: str, code: str) -> dict[str, str]:
    await make_tenant(client, slug, code)
    return bearer(await make_key(client, slug, "integrator"))


async def test_lifecycle(client: httpx.AsyncClient) -> None:
    key = await _province(client, "quang-tri", "44")
    base = "/v1/t/quang-tri/webhooks"
    r = await client.post(base, json={"url": HOOK, "description": "Cổng thông tin"}, headers=key)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert made["status"] == "active" and made["types"] is None
    assert r.headers["location"] == f"{base}/{made['id']}"
    one = f"{base}/{made['id']}"

    listed = (await client.get(base, headers=key)).json()["items"]
    assert [w["id"] for w in listed] == [made["id"]]
    assert "secret" not in listed[0]
    got = (await client.get(one, headers=key)).json()
    assert got["description"] == "Cổng thông tin" and "secret" not in got

    r = await client.patch(one, json={"types": [TYPE]}, headers=key)
    assert r.status_code == 200, r.text
    assert r.json()["types"] == [TYPE] and r.json()["description"] == "Cổng thông tin"
    r = await client.patch(one, json={"types": None, "description": None}, headers=key)
    assert r.json()["types"] is None and r.json()["description"] is None

    r = await client.post(f"{one}/rotate-secret", headers=key)
    assert r.status_code == 200, r.text
    assert r.json()["secret"].startswith("whsec_") and r.json()["secret"] != made["secret"]
    assert (await client.get(one, headers=key)).json()["previous_secret_valid_until"]

    assert (await client.delete(one, headers=key)).status_code == 204
    assert (await client.get(one, headers=key)).status_code == 404
    assert (await client.delete(one, headers=key)).status_code == 404


async def test_idempotent_create_shows_the_secret_once(client: httpx.AsyncClient) -> None:
    key = await _province(client, "quang-tri", "44")
    headers = {**key, "Idempotency-Key": "hook-1"}
    first = await client.post("/v1/t/quang-tri/webhooks", json={"url": HOOK}, headers=headers)
    again = await client.post("/v1/t/quang-tri/webhooks", json={"url": HOOK}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["secret"] is None
    listed = (await client.get("/v1/t/quang-tri/webhooks", headers=key)).json()["items"]
    assert len(listed) == 1


async def test_roles(client: httpx.AsyncClient) -> None:
    await _province(client, "quang-tri", "44")
    for role, status in [("tenant_admin", 201), ("officer", 403), ("auditor", 403)]:
        key = bearer(await make_key(client, "quang-tri", role))
        r = await client.post("/v1/t/quang-tri/webhooks", json={"url": HOOK}, headers=key)
        assert r.status_code == status, (role, r.text)


async def test_other_provinces_webhooks_are_404(client: httpx.AsyncClient) -> None:
    mine = await _province(client, "quang-tri", "44")
    theirs = await _province(client, "hue", "46")
    made = await client.post("/v1/t/quang-tri/webhooks", json={"url": HOOK}, headers=mine)
    one = f"/v1/t/quang-tri/webhooks/{made.json()['id']}"
    calls = [
        ("POST", "/v1/t/quang-tri/webhooks", {"url": HOOK}),
        ("GET", "/v1/t/quang-tri/webhooks", None),
        ("GET", one, None),
        ("PATCH", one, {"description": "x"}),
        ("DELETE", one, None),
        ("POST", f"{one}/rotate-secret", None),
        ("GET", f"{one}/deliveries", None),
        ("POST", f"{one}/replay", {"after": 0}),
        ("POST", f"{one}/deliveries/1/retry", None),
        ("POST", f"{one}/enable", None),
    ]
    for method, path, body in calls:
        r = await client.request(method, path, json=body, headers=theirs)
        assert r.status_code == 404, (method, path, r.text)
        # The same endpoint id under their own province is just as unknown.
        own = path.replace("/quang-tri/", "/hue/")
        if own != path and "webhooks/" in own:
            r = await client.request(method, own, json=body, headers=theirs)
            assert r.status_code == 404, (method, own, r.text)
    assert (await client.get(one, headers=mine)).json()["description"] is None


async def test_bad_input_names_the_field(client: httpx.AsyncClient) -> None:
    key = await _province(client, "quang-tri", "44")
    base = "/v1/t/quang-tri/webhooks"
    cases = [
        ({"url": HOOK, "types": ["recognition granted"]}, "types[0]"),
        ({"url": HOOK, "types": []}, "types"),
        ({"url": HOOK, "types": [TYPE, "vn.khuyenhoc.recognition.granted.v9"]}, "types[1]"),
        ({"url": "not a url"}, "url"),
        ({"url": HOOK, "colour": "red"}, "colour"),
        ({}, "url"),
    ]
    for body, field in cases:
        r = await client.post(base, json=body, headers=key)
        assert r.status_code in (400, 422), (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field, (body, r.json())
    r = await client.post(f"{base}/{uuid4()}/replay", json={"after": -1}, headers=key)
    assert r.status_code in (400, 422) and r.json()["field"] == "after"
    made = (await client.post(base, json={"url": HOOK}, headers=key)).json()
    r = await client.patch(f"{base}/{made['id']}", json={"url": "ftp://x/y"}, headers=key)
    assert r.status_code == 422 and r.json()["field"] == "url"
