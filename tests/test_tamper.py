"""Tampering by a superuser with plain SQL is visible: change one byte of an event's state,
delete an event, insert one in a hole, swap two — ``audit verify`` fails and names the first
bad position, on the live database and on an export. A log rebuilt over altered history is
exposed by a checkpoint kept before, and a witness refuses to cosign it. Adversarial exports
(forged checkpoint, borrowed cosignature, altered leaf hashes or range proof) fail too."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from kh_saas.cli import main
from kh_saas.service import Service
from kh_saas.transparency.checkpoint import Checkpoint
from kh_saas.transparency.notes import Note, SignerKey, parse_note, sign
from kh_saas.transparency.witness_server import Witness, WitnessState, serve
from tests.province import Province, open_province
from tests.server_process import free_port
from tests.transparency_helpers import burn_ids, tenant_of, wait_for_log

SCHEMA = "t_quang_tri"
EVENTS = f"{SCHEMA}.khuyenhoc_events"


async def superuser(database_url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(database_url)
    # What a DBA can do and the application cannot: switch the append-only trigger off.
    await conn.execute("SET session_replication_role = replica")
    return conn


@pytest.fixture
async def qt(client: httpx.AsyncClient, service: Service, database_url: str) -> Province:
    province = await open_province(client)
    await province.households(60, prefix="A")
    await burn_ids(database_url, SCHEMA, 2)  # a hole, as a failed save leaves
    await province.households(60, prefix="B")
    await wait_for_log(service, await tenant_of(service, province.slug))
    return province


async def positions(database_url: str) -> list[int]:
    conn = await asyncpg.connect(database_url)
    try:
        return [r[0] for r in await conn.fetch(f"SELECT notification_id FROM {EVENTS} ORDER BY 1")]
    finally:
        await conn.close()


async def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = await asyncio.to_thread(main, args)
    return code, capsys.readouterr().out


async def key_file(qt: Province, tmp_path: Path) -> Path:
    keys = (await qt.get("/audit/keys", role="auditor")).json()["keys"]
    path = tmp_path / "log.vkey"
    path.write_text("".join(k["vkey"] + "\n" for k in keys))
    return path


async def change_a_byte(conn: asyncpg.Connection, ps: list[int]) -> int:
    target: int = await conn.fetchval(  # a household's commune code, last digit: one byte
        f"SELECT min(notification_id) FROM {EVENTS} WHERE notification_id > $1"
        " AND topic = 'kh_saas.domain.subjects:Subject.Registered'",
        ps[len(ps) // 2],
    )
    done = await conn.execute(
        f"UPDATE {EVENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'),"
        " '\"19483\"', '\"19484\"'), 'UTF8') WHERE notification_id = $1",
        target,
    )
    assert done == "UPDATE 1"
    return target


async def delete_one(conn: asyncpg.Connection, ps: list[int]) -> int:
    target = ps[-20]
    await conn.execute(f"DELETE FROM {EVENTS} WHERE notification_id = $1", target)
    return target


async def insert_in_a_hole(conn: asyncpg.Connection, ps: list[int]) -> int:
    hole = next(p for p in range(ps[0], ps[-1]) if p not in set(ps))
    await conn.execute(
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state,"
        " notification_id) SELECT gen_random_uuid(), 1, topic, state, $1 FROM"
        f" {EVENTS} WHERE notification_id = $2",
        hole,
        ps[-1],
    )
    return hole


async def swap_two(conn: asyncpg.Connection, ps: list[int]) -> int:
    a, b = ps[40], ps[70]
    await conn.execute(f"UPDATE {EVENTS} SET notification_id = -1 WHERE notification_id = $1", a)
    await conn.execute(f"UPDATE {EVENTS} SET notification_id = $1 WHERE notification_id = $2", a, b)
    await conn.execute(f"UPDATE {EVENTS} SET notification_id = $1 WHERE notification_id = -1", b)
    return a


Tamper = Callable[[asyncpg.Connection, list[int]], Awaitable[int]]


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        (change_a_byte, "state changed"),
        (delete_one, "gone from the event table"),
        (insert_in_a_hole, "the log does not hold"),
        (swap_two, "another event stands here"),
    ],
    ids=["one byte of a state", "a deleted event", "an inserted event", "two swapped events"],
)
async def test_tampering_names_the_first_bad_position(
    qt: Province, tamper: Tamper, says: str, database_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("KH_DATABASE_URL", database_url)
    key = await key_file(qt, tmp_path)
    verify = ["audit", "verify", "--tenant", qt.slug, "--key", str(key)]
    assert (await cli(verify, capsys))[0] == 0

    conn = await superuser(database_url)
    try:
        bad = await tamper(conn, await positions(database_url))
    finally:
        await conn.close()

    code, out = await cli(["audit", "verify", "--tenant", qt.slug, "--key", str(key)], capsys)
    assert code == 1, out
    assert f"first bad position {bad}" in out and says in out, out
    export = tmp_path / "after.ndjson"
    export.write_bytes((await qt.get("/audit/export", role="auditor")).content)
    code, out = await cli(["audit", "verify", "--export", str(export), "--key", str(key)], capsys)
    assert code == 1 and f"first bad position {bad}" in out, out


@pytest.fixture
def witness_server(tmp_path: Path) -> Iterator[tuple[str, Witness]]:
    """A witness over HTTP in a thread (trusting the log's key once the test sets it)."""
    witness = Witness(SignerKey.generate("kiemtoan.example/w"), [],
                      WitnessState(tmp_path / "w.json"))  # fmt: skip
    port = free_port()
    server = serve(witness, "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", witness
    server.shutdown()
    server.server_close()


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_rebuilt_log_fails_the_kept_checkpoint_and_the_witness_refuses_it(
    qt: Province, service: Service, database_url: str, tmp_path: Path,
    witness_server: tuple[str, Witness], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("KH_DATABASE_URL", database_url)
    url, witness = witness_server
    keys = (await qt.get("/audit/keys", role="auditor")).json()["keys"]
    from kh_saas.transparency.notes import parse_vkey  # noqa: PLC0415

    witness.logs = {keys[0]["vkey"].split("+")[0]: [parse_vkey(keys[0]["vkey"])]}
    vkey = witness.key.verifier.vkey
    body = {"name": "kiemtoan.example/w", "url": url, "public_key": vkey}
    assert (await qt.post("/audit/witnesses", body, role="tenant_admin")).status_code == 201

    async def cosigned() -> bool:
        items = (await qt.get("/audit/witnesses", role="auditor")).json()["items"]
        latest = (await qt.get("/audit/checkpoint", role="auditor")).text.split("\n")[1]
        return str(items[0]["cosigned_size"]) == latest

    await wait_until(cosigned)
    kept = tmp_path / "kept.checkpoint"
    kept.write_text((await qt.get("/audit/checkpoint", role="auditor")).text)
    old_size = int(kept.read_text().split("\n")[1])

    # The DBA deletes an event, wipes the log so the service rebuilds it over what is left,
    # and lets the province write more, so the new tree is larger than the kept one.
    conn = await superuser(database_url)
    try:
        ps = await positions(database_url)
        await conn.execute(f"DELETE FROM {EVENTS} WHERE notification_id = $1", ps[50])
        for table in ["log_cosignatures", "log_checkpoints", "log_tiles", "log_entries",
                      "log_runs"]:  # fmt: skip
            await conn.execute(f"DELETE FROM {SCHEMA}.{table}")
        await conn.execute(f"UPDATE {SCHEMA}.log_state SET size = 0, last_position = 0")
    finally:
        await conn.close()
    await qt.households(10, prefix="C")
    tenant = await tenant_of(service, qt.slug)
    rebuilt = await wait_for_log(service, tenant)
    assert rebuilt.size > old_size

    async def refused() -> bool:
        items = (await qt.get("/audit/witnesses", role="auditor")).json()["items"]
        return bool(items[0]["last_error"])

    await wait_until(refused)
    [w] = (await qt.get("/audit/witnesses", role="auditor")).json()["items"]
    assert w["last_error"].startswith("422") and "append-only" in w["last_error"]
    assert w["cosigned_size"] == old_size  # it never cosigned the fork

    key = await key_file(qt, tmp_path)
    # Alone, the rebuilt log is consistent with itself (it was signed by the service's key)…
    code, out = await cli(["audit", "verify", "--tenant", qt.slug, "--key", str(key)], capsys)
    assert code == 0, out
    # …but not with the checkpoint the auditor kept, nor does the witness vouch for it.
    code, out = await cli(["audit", "verify", "--tenant", qt.slug, "--key", str(key),
                           "--checkpoint", str(kept)], capsys)  # fmt: skip
    assert code == 1 and "history was rewritten" in out and "NOT consistent" in out, out
    code, out = await cli(["audit", "verify", "--tenant", qt.slug, "--key", str(key),
                           "--witness", vkey], capsys)  # fmt: skip
    assert code == 1 and "no cosignature of witness kiemtoan.example/w" in out, out


def edit_export(export: bytes, edit: Callable[[dict[str, object], list[dict[str, object]]], None],
                ) -> bytes:  # fmt: skip
    lines = export.splitlines()
    header = json.loads(lines[0])
    records = [json.loads(x) for x in lines[1:]]
    edit(header, records)
    return b"\n".join(json.dumps(x).encode() for x in [header, *records]) + b"\n"


async def test_adversarial_exports_fail(
    qt: Province, client: httpx.AsyncClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = await key_file(qt, tmp_path)
    export = (await qt.get("/audit/export", role="auditor")).content
    full = json.loads(export.splitlines()[0])
    cp = parse_note(str(full["checkpoint"]))
    body = cp.text
    witness = SignerKey.generate("w.example/1").as_cosigner()
    wkey = tmp_path / "w.vkey"
    wkey.write_text(witness.verifier.vkey)
    other_body = Checkpoint(body.split("\n")[0], int(body.split("\n")[1]) - 1,
                            bytes(32)).body()  # fmt: skip
    borrowed = sign(other_body, witness, timestamp=1_700_000_000)  # over another checkpoint
    intruder = SignerKey.generate(body.split("\n")[0])  # another key under the same name

    def with_cosignature(h: dict[str, object], _: list[dict[str, object]]) -> None:
        h["checkpoint"] = Note(cp.text, [*cp.signatures, borrowed]).format()

    def resigned(h: dict[str, object], _: list[dict[str, object]]) -> None:
        h["checkpoint"] = Note(cp.text, [sign(cp.text, intruder)]).format()

    def flipped_leaf(_: dict[str, object], records: list[dict[str, object]]) -> None:
        raw = bytearray(base64.b64decode(str(records[10]["leaf_hash"])))
        raw[0] ^= 1
        records[10]["leaf_hash"] = base64.b64encode(bytes(raw)).decode()

    def shorter(h: dict[str, object], records: list[dict[str, object]]) -> None:
        del records[-1]

    cases: list[tuple[str, Callable[..., None], list[str], str]] = [
        ("borrowed cosignature", with_cosignature, ["--witness", str(wkey)], "does not verify"),
        ("signed by another key", resigned, [], "no signature from a known key"),
        ("altered leaf hash", flipped_leaf, [], "does not hash to the tree's leaf"),
        ("truncated", shorter, [], "stops at leaf"),
    ]
    for name, edit, extra, says in cases:
        path = tmp_path / f"{name}.ndjson"
        path.write_bytes(edit_export(export, edit))
        code, out = await cli(["audit", "verify", "--export", str(path), "--key", str(key),
                               *extra], capsys)  # fmt: skip
        assert code == 1 and says in out, (name, out)

    # A partial export's range proof, altered, no longer rebuilds the signed root.
    records = [json.loads(x) for x in export.splitlines()[1:]]
    r = await qt.client.get(
        qt.url("/audit/export"), headers=qt.keys["auditor"],
        params={"from": records[20]["position"], "to": records[40]["position"]},
    )  # fmt: skip

    def bad_range(h: dict[str, object], _: list[dict[str, object]]) -> None:
        proof = list(h["range_proof"])  # type: ignore[call-overload]
        proof[0], proof[-1] = proof[-1], proof[0]  # wrong sibling order
        h["range_proof"] = proof

    path = tmp_path / "range.ndjson"
    path.write_bytes(r.content)
    code, out = await cli(["audit", "verify", "--export", str(path), "--key", str(key)], capsys)
    assert code == 0, out
    path.write_bytes(edit_export(r.content, bad_range))
    code, out = await cli(["audit", "verify", "--export", str(path), "--key", str(key)], capsys)
    assert code == 1 and "do not rebuild the signed root" in out, out
