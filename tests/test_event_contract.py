"""Every public event a realistic province produces validates against its JSON Schema, and
carries nothing internal; the schemas and the AsyncAPI document are served."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
import jsonschema
import pytest

from kh_saas.demo import load_demo
from kh_saas.integrators.contract import TYPES
from kh_saas.integrators.schemas import ENVELOPE, load
from tests.conftest import ADMIN_KEY, bearer, make_key
from tests.live_server import serve_live  # noqa: F401  (the `live` fixture)
from tests.province import COMMUNE, SIGNER
from tests.test_awards_api import COMMUNE_SIGNER, EVIDENCE, INTERIM, PROVINCE


async def everything(client: httpx.AsyncClient, key: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        body = (await client.get("/v1/t/quang-tri/events", params={"after": after, "limit": 1000},
                                 headers=key)).json()  # fmt: skip
        items += body["items"]
        if not body["items"]:
            return items
        after = body["next_after"]


async def settled(client: httpx.AsyncClient, key: dict[str, str], want: set[str]) -> list[Any]:
    """The feed once every wanted type showed up (the projection runs behind the writes)."""
    deadline = time.monotonic() + 60
    while True:
        items = await everything(client, key)
        if want <= {i["type"] for i in items} or time.monotonic() > deadline:
            return items
        await asyncio.sleep(0.2)


async def test_a_demo_province_maps_to_valid_events(live: httpx.AsyncClient) -> None:
    url = str(live.base_url).rstrip("/")
    assert await asyncio.to_thread(
        load_demo, url, ADMIN_KEY, "quang-tri", households=60, log=lambda _: None
    )
    officer = bearer(await make_key(live, "quang-tri", "officer"))
    reviewer = bearer(await make_key(live, "quang-tri", "reviewer"))
    signer = bearer(await make_key(live, "quang-tri", "signer"))
    integrator = bearer(await make_key(live, "quang-tri", "integrator"))
    base = "/v1/t/quang-tri"

    # What the demo does not do: forward an approved proposal, correct decisions.
    registered = await live.post(f"{base}/subjects", headers=officer, json={
        "kind": "household", "name": "Hộ ông Trần Văn Hải", "commune_code": COMMUNE})  # fmt: skip
    assert registered.status_code == 201, registered.text
    proposal = await live.post(f"{base}/award-proposals", headers=officer, json={
        "number": "12/TTr-UBND", "proposer": COMMUNE_SIGNER, "form": "province_certificate",
        "achievement": INTERIM, "report": EVIDENCE, "lines": [{
            "subject_id": registered.json()["id"], "recipient_kind": "household",
            "citation": "Gia đình hiếu học"}]})  # fmt: skip
    assert proposal.status_code == 201, proposal.text
    path = f"{base}/award-proposals/{proposal.json()['id']}"
    vote = {"met_on": "2026-01-10", "votes_for": 5, "votes_total": 6, "minutes": EVIDENCE}
    for step, key, body in [("submit", officer, {}), ("review", reviewer, vote),
                            ("approve", reviewer, {})]:  # fmt: skip
        r = await live.post(f"{path}/{step}", headers=key, json=body)
        assert r.status_code in (200, 201), r.text
    forwarded = await live.post(f"{path}/forward", headers=officer, json={
        "number": "30/TTr-UBND", "proposer": PROVINCE, "form": "pm_certificate"})  # fmt: skip
    assert forwarded.status_code == 200, forwarded.text
    decisions = (await live.get(f"{base}/decisions", headers=officer)).json()["items"]
    fixed = await live.post(f"{base}/decisions/{decisions[0]['id']}/corrections", headers=signer,
                            json={"signer": SIGNER, "reason": "sai tên người ký"})  # fmt: skip
    assert fixed.status_code == 200, fixed.text
    awarded = (await live.get(f"{base}/award-decisions", headers=officer)).json()["items"]
    fixed = await live.post(f"{base}/award-decisions/{awarded[0]['id']}/corrections",
                            headers=signer, json={"signer": SIGNER, "reason": "sai tên"})
    assert fixed.status_code == 200, fixed.text

    items = await settled(live, integrator, set(TYPES))
    assert {i["type"] for i in items} == set(TYPES)
    checker = jsonschema.FormatChecker()
    envelope = jsonschema.Draft202012Validator(load(ENVELOPE), format_checker=checker)
    validators = {
        t: jsonschema.Draft202012Validator(load(t), format_checker=checker) for t in TYPES
    }
    for item in items:
        envelope.validate(item)
        validators[item["type"]].validate(item["data"])
        assert item["dataschema"] == load(item["type"])["$id"]
    sequences = [i["sequence"] for i in items]
    assert sequences == sorted(set(sequences))

    text = str(items)
    assert not re.search(r"(?<![\d-])\d{12}(?!\d)", text), "a CCCD (not a uuid part) got out"
    internal_only = ["files.example", "sha256", "actor", "Thành tích kê khai", "sai tên", "votes"]
    for internal in internal_only:
        assert internal not in text, internal
    granted = [i for i in items if i["type"].startswith("vn.khuyenhoc.recognition.granted")]
    assert all(i["data"]["recipient"]["name"] for i in granted)


@pytest.mark.parametrize("bad", ["not-a-uuid", None])
def test_a_schema_refuses_what_breaks_it(bad: Any) -> None:
    """The test above can fail: the schemas do refuse malformed events."""
    schema = jsonschema.Draft202012Validator(
        load("vn.khuyenhoc.award.recovered.v1"), format_checker=jsonschema.FormatChecker()
    )
    good = {"award_id": "0b0a5a4e-6f4c-4d39-9d2b-0c1c3c6b1a11", "certificate": True,
            "bonus_vnd": 100, "on": "2026-07-01"}  # fmt: skip
    schema.validate(good)
    with pytest.raises(jsonschema.ValidationError):
        schema.validate({**good, "award_id": bad})
    with pytest.raises(jsonschema.ValidationError):
        schema.validate({**good, "citizen_id": "044190000123"})


async def test_schemas_and_asyncapi_are_served(live: httpx.AsyncClient) -> None:
    await live.post("/v1/tenants", json={"slug": "quang-tri", "name": "Quảng Trị",
                                         "province_code": "44"})  # fmt: skip
    integrator = bearer(await make_key(live, "quang-tri", "integrator"))
    served = await live.get("/v1/t/quang-tri/events/schemas", headers=integrator)
    assert served.status_code == 200
    body = served.json()
    assert body["envelope"] == load(ENVELOPE)
    assert set(body["types"]) == set(TYPES)
    assert body["types"]["vn.khuyenhoc.recognition.granted.v1"]["data"]["$id"].endswith(
        "recognition.granted.v1.json"
    )
    officer = bearer(await make_key(live, "quang-tri", "officer"))
    assert (await live.get("/v1/t/quang-tri/events/schemas", headers=officer)).status_code == 403
    await live.post("/v1/tenants", json={"slug": "ha-noi", "name": "Hà Nội",
                                         "province_code": "01"})  # fmt: skip
    other = bearer(await make_key(live, "ha-noi", "integrator"))
    assert (await live.get("/v1/t/quang-tri/events/schemas", headers=other)).status_code == 404

    doc = (await live.get("/v1/events/asyncapi.json")).json()
    assert doc["asyncapi"].startswith("3.")
    assert set(doc["channels"]) == {"feed", "stream", "webhooks"}
    assert doc["channels"]["feed"]["address"] == "/v1/t/{slug}/events"
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == set(TYPES)
    for operation in doc["operations"].values():
        assert operation["channel"]["$ref"].removeprefix("#/channels/") in doc["channels"]
