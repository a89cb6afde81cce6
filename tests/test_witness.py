"""The witness (C2SP tlog-witness): every answer the spec asks for, its state on disk, and a
real ``kh-saas witness serve`` process cosigning a province's log as it grows."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from hashlib import sha256
from pathlib import Path

import httpx
import pytest

from kh_saas.cli import main
from kh_saas.service import Service
from kh_saas.transparency.checkpoint import Checkpoint
from kh_saas.transparency.merkle import EMPTY_ROOT, consistency_proof, leaf_hash, root_of
from kh_saas.transparency.notes import Note, SignerKey, parse_note, sign, verify_note
from kh_saas.transparency.witness_protocol import AddCheckpoint
from kh_saas.transparency.witness_server import Witness, WitnessState
from tests.province import Province, open_province
from tests.server_process import free_port
from tests.test_transparency_merkle import list_source
from tests.transparency_helpers import tenant_of, wait_for_log

ORIGIN = "kh-saas.local/v1/t/quang-tri/audit"
LEAVES = [leaf_hash(i.to_bytes(2, "big")) for i in range(40)]


def signed(log: SignerKey, leaves: list[bytes], size: int) -> str:
    body = Checkpoint(ORIGIN, size, root_of(leaves[:size])).body()
    return Note(body, [sign(body, log)]).format()


def request(old: int, proof: list[bytes], note: str) -> bytes:
    return AddCheckpoint(old, proof, note).format().encode()


@pytest.fixture
def log_key() -> SignerKey:
    return SignerKey.generate(ORIGIN)


@pytest.fixture
def witness(log_key: SignerKey, tmp_path: Path) -> Witness:
    key = SignerKey.generate("thanhtra.example/w1")
    return Witness(key, [log_key.verifier], WitnessState(tmp_path / "w.json"), clock=lambda: 1.7e9)


def test_cosigns_append_only_growth_and_keeps_its_state(
    witness: Witness, log_key: SignerKey, tmp_path: Path
) -> None:
    first = witness.add_checkpoint(request(0, [], signed(log_key, LEAVES, 10)))
    assert first.status == 200, first.body
    note = parse_note(signed(log_key, LEAVES, 10) + first.body)
    [cosig] = [v for v in verify_note(note, [witness.key.verifier]) if v.timestamp]
    assert cosig.timestamp == 1_700_000_000

    proof = consistency_proof(10, 25, list_source(LEAVES))
    grown = witness.add_checkpoint(request(10, proof, signed(log_key, LEAVES, 25)))
    assert grown.status == 200, grown.body
    reloaded = WitnessState(tmp_path / "w.json").get(ORIGIN)
    assert reloaded is not None and reloaded.size == 25 and reloaded.root == root_of(LEAVES[:25])

    again = witness.add_checkpoint(request(25, [], signed(log_key, LEAVES, 25)))
    assert again.status == 200  # the same tree again: still consistent
    served = witness.checkpoint_of(sha256(ORIGIN.encode()).hexdigest())
    assert served.status == 200 and parse_note(served.body).text == parse_note(
        signed(log_key, LEAVES, 25)
    ).text
    assert witness.checkpoint_of("00" * 32).status == 404


def test_every_refusal_of_the_spec(witness: Witness, log_key: SignerKey) -> None:
    assert witness.add_checkpoint(request(0, [], signed(log_key, LEAVES, 10))).status == 200
    forked = [*LEAVES[:3], leaf_hash(b"rewritten"), *LEAVES[4:]]
    fork_proof = consistency_proof(10, 20, list_source(forked))
    stranger = SignerKey.generate(ORIGIN)  # same name, another key: unknown
    good = signed(log_key, LEAVES, 20)
    forged = Note(parse_note(good).text, [parse_note(good).signatures[0]._replace(
        signature=bytes(64))]).format()  # fmt: skip
    cases = [
        (request(10, fork_proof, signed(log_key, forked, 20)), 422, "append-only"),
        (request(10, [], signed(log_key, forked, 10)), 422, "forked"),
        (request(3, [], good), 409, "10"),
        (request(0, [], good), 409, "10"),
        (request(30, [], good), 400, "larger"),
        (request(10, [], signed(stranger, LEAVES, 20)), 403, "known key"),
        (request(10, [], forged), 403, "does not verify"),
        (request(10, [], good.replace(ORIGIN, "another.example/log")), 404, "unknown"),
        (b"not a request", 400, "malformed"),
        (request(10, consistency_proof(10, 20, list_source(LEAVES))[:-1], good), 422, "short"),
    ]
    for body, status, says in cases:
        answer = witness.add_checkpoint(body)
        assert (answer.status, says in answer.body) == (status, True), (status, answer)
    conflict = witness.add_checkpoint(request(3, [], good))
    assert conflict.content_type == "text/x.tlog.size" and conflict.body == "10\n"
    seen = witness.state.get(ORIGIN)
    assert seen is not None and seen.size == 10  # nothing refused was recorded


def test_empty_trees_and_proofs_from_size_zero(tmp_path: Path, log_key: SignerKey) -> None:
    witness = Witness(SignerKey.generate("w.example/x"), [log_key.verifier],
                      WitnessState(tmp_path / "z.json"))  # fmt: skip
    bad_empty = Note(Checkpoint(ORIGIN, 0, LEAVES[0]).body(), [])
    bad_empty = Note(bad_empty.text, [sign(bad_empty.text, log_key)])
    assert witness.add_checkpoint(request(0, [], bad_empty.format())).status == 422
    with_proof = request(0, [EMPTY_ROOT], signed(log_key, LEAVES, 5))
    assert witness.add_checkpoint(with_proof).status == 422


def start_witness(key_file: Path, log_vkey: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kh_saas", "witness", "serve", "--key", str(key_file),
             "--log", log_vkey, "--port", str(port)],
            stdout=out, stderr=out,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        assert proc.poll() is None, log.read_text()
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the witness did not start")


async def cosigned_checkpoint(qt: Province, vkey: str, timeout: float = 30) -> str:
    from kh_saas.transparency.notes import parse_vkey  # noqa: PLC0415

    key = parse_vkey(vkey)
    deadline = time.monotonic() + timeout
    while True:
        note = (await qt.get("/audit/checkpoint", role="auditor")).text
        if any(v.key == key for v in _verified(note, key)):
            return note
        if time.monotonic() > deadline:
            witnesses = (await qt.get("/audit/witnesses", role="auditor")).json()
            raise AssertionError(f"no cosignature: {witnesses}")
        await asyncio.sleep(0.1)


def _verified(note: str, key: object) -> list[object]:
    try:
        return list(verify_note(parse_note(note), [key]))  # type: ignore[list-item]
    except ValueError:
        return []


@pytest.mark.e2e
async def test_a_witness_process_cosigns_the_growing_log(
    client: httpx.AsyncClient, service: Service, tmp_path: Path,
) -> None:  # fmt: skip
    qt = await open_province(client)
    tenant = await tenant_of(service, qt.slug)
    await wait_for_log(service, tenant)
    [log_vkey] = [k["vkey"] for k in (await qt.get("/audit/keys", role="auditor")).json()["keys"]]
    key_file = tmp_path / "witness.key"
    vkey = subprocess.run(
        [sys.executable, "-m", "kh_saas", "witness", "keygen", "--name", "thanhtra.example/w1",
         "--output", str(key_file)],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    port = free_port()
    proc = start_witness(key_file, log_vkey, port, tmp_path / "witness.log")
    try:
        body = {"name": "thanhtra.example/w1", "url": f"http://127.0.0.1:{port}",
                "public_key": vkey}  # fmt: skip
        assert (await qt.post("/audit/witnesses", body, role="tenant_admin")).status_code == 201
        note = await cosigned_checkpoint(qt, vkey)
        size = parse_note(note).text.split("\n")[1]

        await qt.households(25, prefix="W")
        last = await wait_for_log(service, tenant)
        deadline = time.monotonic() + 30
        while (note := await cosigned_checkpoint(qt, vkey)).split("\n")[1] != str(last.size):
            assert time.monotonic() < deadline, note
            await asyncio.sleep(0.1)
        assert int(size) < last.size  # the witness followed the growth by consistency proofs
        witnesses = (await qt.get("/audit/witnesses", role="auditor")).json()["items"]
        assert witnesses[0]["cosigned_size"] == last.size and witnesses[0]["last_error"] is None
        state = (tmp_path / "witness.state.json").read_text()
        assert f'"size": {last.size}' in state

        # The export carries the cosigned checkpoint: the auditor requires the witness.
        export = tmp_path / "qt.ndjson"
        export.write_bytes((await qt.get("/audit/export", role="auditor")).content)
        base = ["audit", "verify", "--export", str(export), "--key", log_vkey]
        assert await asyncio.to_thread(main, [*base, "--witness", vkey]) == 0
        other = SignerKey.generate("thanhtra.example/w1").as_cosigner().verifier.vkey
        assert await asyncio.to_thread(main, [*base, "--witness", other]) == 1
    finally:
        proc.terminate()
        proc.wait(10)
