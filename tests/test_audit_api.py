"""The auditors' API over HTTP: checkpoints verify with the published keys, proofs verify
against them, the export carries every event, keys rotate, witnesses register, roles and
tenants are enforced, and every call is recorded in ``audit_access``."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import msgspec
import pytest

from kh_saas.service import Service
from kh_saas.transparency.checkpoint import Checkpoint
from kh_saas.transparency.export_format import header_decoder, record_decoder
from kh_saas.transparency.leaf import leaf_entry
from kh_saas.transparency.merkle import (
    leaf_hash,
    root_from_range,
    verify_consistency,
    verify_inclusion,
)
from kh_saas.transparency.notes import SignerKey, VerifierKey, parse_note, parse_vkey
from kh_saas.transparency.proof_format import parse_tlog_proof
from tests.conftest import bearer, make_key, make_tenant
from tests.province import Province, open_province
from tests.transparency_helpers import burn_ids, tenant_of, verified_checkpoint, wait_for_log


@pytest.fixture
async def qt(client: httpx.AsyncClient, service: Service) -> Province:
    province = await open_province(client)
    await province.households(40, prefix="A")
    await wait_for_log(service, await tenant_of(service, province.slug))
    return province


async def vkeys(qt: Province, role: str = "auditor") -> list[VerifierKey]:
    r = await qt.get("/audit/keys", role=role)
    assert r.status_code == 200, r.text
    return [parse_vkey(k["vkey"]) for k in r.json()["keys"]]


async def checkpoint(qt: Province, role: str = "auditor") -> tuple[str, Checkpoint]:
    r = await qt.get("/audit/checkpoint", role=role)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text, verified_checkpoint(r.text, await vkeys(qt))


async def export(qt: Province, **params: Any) -> tuple[Any, list[Any]]:
    r = await qt.client.get(qt.url("/audit/export"), params=params, headers=qt.keys["auditor"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = r.content.splitlines()
    return header_decoder.decode(lines[0]), [record_decoder.decode(x) for x in lines[1:]]


async def test_checkpoint_verifies_with_the_published_key(qt: Province) -> None:
    note, cp = await checkpoint(qt)
    assert cp.origin == "kh-saas.local/v1/t/quang-tri/audit"
    keys = (await qt.get("/audit/keys")).json()
    assert keys["origin"] == cp.origin and keys["keys"][0]["active"] is True
    assert parse_note(note).text == cp.body()
    # Integrators: not yet (their one route is the profile until the public contract lands).
    assert (await qt.get("/audit/checkpoint", role="integrator")).status_code == 403
    assert (await qt.get("/audit/export", role="integrator")).status_code == 403
    assert (await qt.get("/audit/proof/inclusion?position=1", role="integrator")).status_code == 403


async def test_the_export_carries_every_event_and_rebuilds_the_root(qt: Province) -> None:
    _, cp = await checkpoint(qt)
    header, records = await export(qt)
    assert (header.tree_size, header.first_index, header.end_index) == (cp.size, 0, cp.size)
    assert [r.index for r in records] == list(range(cp.size))
    leaves = []
    for r in records:
        e = r.event
        entry = leaf_entry(r.position, e.originator_id, e.originator_version, e.topic,
                           e.state)  # fmt: skip
        assert entry.decode() == r.entry and r.leaf_hash == leaf_hash(entry)
        leaves.append(leaf_hash(entry))
    assert root_from_range(0, cp.size, cp.size, leaves, []) == cp.root

    # A slice of positions comes with the range proof of the rest of the tree.
    middle = records[len(records) // 3 : len(records) // 2]
    header, part = await export(qt, **{"from": middle[0].position, "to": middle[-1].position})
    assert [r.position for r in part] == [r.position for r in middle]
    proof = header.range_proof
    hashes = [r.leaf_hash for r in part]
    assert root_from_range(header.first_index, header.end_index, cp.size, hashes, proof) == cp.root


async def test_inclusion_and_consistency_proofs(
    qt: Province, service: Service, database_url: str
) -> None:
    old_note, old = await checkpoint(qt)
    await burn_ids(database_url, "t_quang_tri", 3)
    await qt.households(30, prefix="B")
    await wait_for_log(service, await tenant_of(service, qt.slug), size=old.size + 30)
    _, new = await checkpoint(qt)
    _, records = await export(qt)
    target = records[old.size + 3]

    r = await qt.get(f"/audit/proof/inclusion?position={target.position}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["leaf_index"] == old.size + 3 and body["tree_size"] == new.size
    path = [base64.b64decode(h) for h in body["inclusion_path"]]
    verify_inclusion(body["leaf_index"], new.size, base64.b64decode(body["leaf_hash"]), path,
                     new.root)  # fmt: skip
    assert body["checkpoint"] is not None and parse_note(body["checkpoint"]).text == new.body()

    r = await qt.get(f"/audit/proof/consistency?from={old.size}&to={new.size}")
    assert r.status_code == 200, r.text
    path = [base64.b64decode(h) for h in r.json()["consistency_path"]]
    verify_consistency(old.size, new.size, path, old.root, new.root)
    assert parse_note(old_note).text == old.body()

    early = records[2]
    r = await qt.get(f"/audit/proof/inclusion?position={early.position}&tree_size={old.size}")
    path = [base64.b64decode(h) for h in r.json()["inclusion_path"]]
    verify_inclusion(2, old.size, early.leaf_hash, path, old.root)

    hole = next(p for p in range(1, records[-1].position) if p not in {x.position for x in records})
    for url, status, field in [
        (f"/audit/proof/inclusion?position={records[-1].position + 10}", 404, "position"),
        (f"/audit/proof/inclusion?position={hole}", 404, "position"),
        (f"/audit/proof/inclusion?position=1&tree_size={new.size + 1}", 422, "tree_size"),
        (f"/audit/proof/inclusion?position={target.position}&tree_size=2", 422, "tree_size"),
        (f"/audit/proof/consistency?from={new.size}&to={old.size}", 422, "from"),
        (f"/audit/proof/consistency?from=1&to={new.size + 5}", 422, "to"),
        ("/audit/proof/consistency?from=0", 422, "from"),
        (f"/audit/proof/inclusion?position=1&tree_size={2**63}", 422, "tree_size"),
    ]:
        r = await qt.get(url)
        assert r.status_code == status, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        if field:
            assert r.json()["field"] == field, (url, r.json())


async def test_an_offline_proof_of_one_event(qt: Province) -> None:
    _, records = await export(qt)
    target = records[-5]
    r = await qt.get(f"/audit/proof/{target.position}")
    assert r.status_code == 200, r.text
    assert r.text.startswith("c2sp.org/tlog-proof@v1\nextra ")
    proof = parse_tlog_proof(r.text)
    cp = verified_checkpoint(proof.checkpoint, await vkeys(qt))
    event = json.loads(proof.extra or b"")
    entry = leaf_entry(event["position"], event["originator_id"], event["originator_version"],
                       event["topic"], base64.b64decode(event["state"]))  # fmt: skip
    assert entry.decode() == event["entry"] == target.entry
    verify_inclusion(proof.leaf_index, cp.size, leaf_hash(entry), proof.path, cp.root)
    assert (await qt.get("/audit/proof/999999")).json()["code"] == "not_in_log"


async def test_rotation_keeps_old_keys_and_resigns_the_latest_checkpoint(qt: Province) -> None:
    before = await vkeys(qt)
    headers = {**qt.keys["tenant_admin"], "Idempotency-Key": "rotate-1"}
    r = await qt.client.post(qt.url("/audit/keys"), headers=headers)
    assert r.status_code == 201, r.text
    again = await qt.client.post(qt.url("/audit/keys"), headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == r.json()
    listed = r.json()["keys"]
    assert [k["active"] for k in listed] == [False, True] and parse_vkey(
        listed[0]["vkey"]
    ) == before[0]
    note, _ = await checkpoint(qt)
    new_key = parse_vkey(listed[1]["vkey"])
    verified_checkpoint(note, [before[0]])  # the latest checkpoint verifies under both keys
    verified_checkpoint(note, [new_key])
    assert (await qt.post("/audit/keys", None, role="auditor")).status_code == 403


async def test_witness_registration(qt: Province) -> None:
    witness = SignerKey.generate("thanhtra.quangtri.gov.vn/w1").as_cosigner()
    body = {"name": witness.name, "url": "http://127.0.0.1:9/", "public_key": witness.verifier.vkey}
    plain = SignerKey.generate(witness.name)  # a note key (0x01), not a cosigner key
    for bad, field in [
        ({**body, "public_key": plain.verifier.vkey}, "public_key"),
        ({**body, "name": "other.example/w"}, "name"),
        ({**body, "url": "ftp://x.example/"}, "url"),
        ({**body, "public_key": "not a key"}, "public_key"),
    ]:
        r = await qt.post("/audit/witnesses", bad, role="tenant_admin")
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field, r.json()
    r = await qt.post("/audit/witnesses", body, role="tenant_admin")
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["vkey"] == witness.verifier.vkey and created["url"] == "http://127.0.0.1:9"
    assert (await qt.post("/audit/witnesses", body, role="tenant_admin")).status_code == 409
    raw = {**body, "public_key": base64.b64encode(witness.verifier.public_key).decode()}
    assert (await qt.post("/audit/witnesses", raw, role="tenant_admin")).status_code == 409
    assert (await qt.post("/audit/witnesses", body, role="auditor")).status_code == 403
    listed = (await qt.get("/audit/witnesses", role="auditor")).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    path = qt.url(f"/audit/witnesses/{created['id']}")
    assert (await qt.client.delete(path, headers=qt.keys["tenant_admin"])).status_code == 204
    assert (await qt.client.delete(path, headers=qt.keys["tenant_admin"])).status_code == 404
    assert (await qt.get("/audit/witnesses", role="auditor")).json()["items"] == []


async def test_tenants_are_isolated_and_every_call_is_recorded(
    qt: Province, client: httpx.AsyncClient, service: Service
) -> None:
    await make_tenant(client, "hue", "46")
    hue_auditor = bearer(await make_key(client, "hue", "auditor"))
    r = await client.get(qt.url("/audit/checkpoint"), headers=hue_auditor)
    assert r.status_code == 404
    no_key = {"Authorization": "Bearer "}
    assert (await client.get(qt.url("/audit/checkpoint"), headers=no_key)).status_code == 401

    calls = [
        ("/audit/checkpoint", 200),
        ("/audit/keys", 200),
        ("/audit/proof/inclusion?position=999999", 404),
        ("/audit/proof/consistency?from=5&to=2", 422),
        ("/audit/export", 200),
    ]
    for url, status in calls:
        assert (await qt.get(url, role="auditor")).status_code == status
    assert (await qt.get("/audit/export", role="integrator")).status_code == 403
    tenant = await tenant_of(service, qt.slug)
    rows = await service.clusters[tenant.cluster].read.fetch(
        f'SELECT role, method, path, query, status FROM "{tenant.schema_name}".audit_access'
        " ORDER BY id"
    )
    got = [(r["role"], r["path"] + ("?" + r["query"] if r["query"] else ""), r["status"])
           for r in rows]  # fmt: skip
    want = [("auditor", f"/v1/t/quang-tri{url}", status) for url, status in calls]
    want.append(("integrator", "/v1/t/quang-tri/audit/export", 403))
    assert got == want
    hue = await tenant_of(service, "hue")
    other = await service.clusters[hue.cluster].read.fetchval(
        f'SELECT count(*) FROM "{hue.schema_name}".audit_access'
    )
    assert other == 0  # the refused cross-tenant call is not recorded in either tenant


def test_problem_types_are_documented() -> None:
    from kh_saas.api.problems import PROBLEM_TYPES  # noqa: PLC0415

    assert {"not_in_log", "no_checkpoint", "witness_exists"} <= set(PROBLEM_TYPES)
    assert msgspec.json.encode(PROBLEM_TYPES["not_in_log"])
