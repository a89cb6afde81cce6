"""``kh-saas audit …``: what an auditor runs, offline or on the live database.

``verify``, ``verify-proof`` and ``replay --export`` need neither a database nor the service:
only the files and the log's public key (``GET /audit/keys``) and witnesses' keys. The
``--tenant`` forms read the live database (``KH_DATABASE_URL``, or the embedded server in
``KH_DATA_DIR``) directly, not through the service. ``checkpoint``, ``export`` and
``rotate-key`` talk to a running service over HTTP with an API key.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from kh_saas.settings import Settings
from kh_saas.transparency.export_format import record_decoder
from kh_saas.transparency.leaf import leaf_entry
from kh_saas.transparency.merkle import ProofError, leaf_hash, verify_inclusion
from kh_saas.transparency.notes import NoteError, VerifierKey
from kh_saas.transparency.proof_format import parse_tlog_proof
from kh_saas.transparency.replay import Registers, Replay, to_csv
from kh_saas.transparency.verifier import Report, check_checkpoint, load_keys, verify_export

ClientArgs = Callable[[argparse.ArgumentParser], None]
Call = Callable[..., int]


class AuditFailed(Exception):
    """A verification could not run (bad input, unknown tenant)."""


def add_audit(sub: Any, client_args: ClientArgs, call: Call) -> None:
    audit = sub.add_parser("audit", help="verify and replay a province's transparency log")
    asub = audit.add_subparsers(dest="action", required=True)

    verify = asub.add_parser("verify", help="check an export (or the live log) end to end")
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--export", type=Path, help="an NDJSON export (GET /audit/export)")
    source.add_argument("--tenant", help="the live log of this province (reads the database)")
    _key_args(verify, required=False)
    verify.add_argument(
        "--checkpoint", type=Path, help="a checkpoint kept earlier: the log must extend it"
    )
    verify.add_argument("--data-dir", type=Path, help="embedded database (KH_DATA_DIR)")
    verify.set_defaults(run=_verify)

    proof = asub.add_parser("verify-proof", help="check one event's tlog-proof file")
    proof.add_argument("file", type=Path)
    _key_args(proof, required=True)
    proof.set_defaults(run=_verify_proof)

    replay = asub.add_parser("replay", help="the registers as they stood at a time")
    source = replay.add_mutually_exclusive_group(required=True)
    source.add_argument("--export", type=Path)
    source.add_argument("--tenant")
    replay.add_argument(
        "--until", required=True, help="e.g. 2025-12-31T23:59:59+07:00 (recorded time)"
    )
    replay.add_argument("--format", choices=["json", "csv"], default="json")
    replay.add_argument("--data-dir", type=Path, help="embedded database (KH_DATA_DIR)")
    replay.set_defaults(run=_replay)

    for name, path, what in [
        ("checkpoint", "/audit/checkpoint", "print the cosigned checkpoint (keep it)"),
        ("keys", "/audit/keys", "print the log's public keys"),
    ]:
        p = asub.add_parser(name, help=what)
        p.add_argument("--tenant", required=True)
        client_args(p)
        p.set_defaults(run=lambda a, path=path: _get_text(a, call, path))
    export = asub.add_parser("export", help="download the export (NDJSON) to a file")
    export.add_argument("--tenant", required=True)
    export.add_argument("--output", "-o", type=Path, required=True)
    client_args(export)
    export.set_defaults(run=lambda a: _download(a, call))
    rotate = asub.add_parser("rotate-key", help="rotate the log's signing key (tenant admin)")
    rotate.add_argument("--tenant", required=True)
    client_args(rotate)
    rotate.set_defaults(run=lambda a: call(a, "POST", f"/v1/t/{a.tenant}/audit/keys"))


def _key_args(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument(
        "--key",
        action="append",
        default=[],
        required=required,
        help="the log's verifier key, or a file of them (repeat for rotated keys)",
    )
    p.add_argument(
        "--witness",
        action="append",
        default=[],
        help="a witness's verifier key (or file) whose cosignature is required",
    )


def _keys(items: list[str]) -> list[VerifierKey]:
    texts = [Path(i).read_text() if Path(i).is_file() else i for i in items]
    try:
        return load_keys(texts)
    except NoteError as exc:
        raise AuditFailed(f"bad key: {exc}") from exc


def _print_report(report: Report) -> int:
    for text in report.lines():
        print(text)
    return 0 if report.ok else 1


def _verify(args: argparse.Namespace) -> int:
    old = args.checkpoint.read_text() if args.checkpoint else None
    witnesses = _keys(args.witness)
    if args.export:
        if not args.key:
            raise AuditFailed("--key is required with --export")
        with args.export.open("rb") as f:
            report = verify_export(f, log_keys=_keys(args.key), witness_keys=witnesses,
                                   old_checkpoint=old)  # fmt: skip
        return _print_report(report)
    with tempfile.TemporaryFile() as spool:
        db_keys = asyncio.run(_spool_live_export(args, spool))
        keys = _keys(args.key) if args.key else db_keys
        if not args.key:
            print("warning   no --key given: trusting the keys in the database", file=sys.stderr)
        spool.seek(0)
        report = verify_export(spool, log_keys=keys, witness_keys=witnesses, old_checkpoint=old)
    return _print_report(report)


def _verify_proof(args: argparse.Namespace) -> int:
    report = Report()
    try:
        proof = parse_tlog_proof(args.file.read_text())
    except (NoteError, UnicodeDecodeError) as exc:
        raise AuditFailed(f"not a tlog-proof: {exc}") from exc
    checkpoint = check_checkpoint(proof.checkpoint, _keys(args.key), _keys(args.witness), report)
    event: dict[str, Any] = {}
    try:
        event = json.loads(proof.extra or b"{}")
        state = None if event.get("state") is None else base64.b64decode(event["state"])
        entry = leaf_entry(event["position"], event["originator_id"], event["originator_version"],
                           event["topic"], state)  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        report.fail(f"the proof's event (extra) is unreadable: {exc}")
        entry = b""
    if checkpoint is not None and entry:
        try:
            verify_inclusion(proof.leaf_index, checkpoint.size, leaf_hash(entry), proof.path,
                             checkpoint.root)  # fmt: skip
        except ProofError as exc:
            logged = str(event.get("entry", "")).encode()
            try:
                verify_inclusion(proof.leaf_index, checkpoint.size, leaf_hash(logged),
                                 proof.path, checkpoint.root)  # fmt: skip
                report.fail("the event changed since it was logged (its logged entry is "
                            "in the tree, the event is not)", event.get("position"))  # fmt: skip
            except ProofError:
                report.fail(f"the event is not in the signed tree: {exc}", event.get("position"))
    report.leaves_checked = 1
    report.first_index, report.end_index = proof.leaf_index, proof.leaf_index + 1
    return _print_report(report)


def _until(text: str) -> datetime:
    try:
        until = datetime.fromisoformat(text)
    except ValueError as exc:
        raise AuditFailed(f"--until: {exc}") from exc
    if until.tzinfo is None:
        raise AuditFailed("--until needs a UTC offset, e.g. 2025-12-31T23:59:59+07:00")
    return until


def _replay(args: argparse.Namespace) -> int:
    replay = Replay(_until(args.until))
    if args.export:
        with args.export.open("rb") as f:
            for record in _export_records(f):
                e = record.event
                if record.index is not None and e is not None:
                    replay.feed(record.position, e.originator_id, e.originator_version, e.topic,
                                e.state)  # fmt: skip
    else:
        asyncio.run(_replay_live(args, replay))
    _print_registers(replay.result(), args.format)
    return 0


def _export_records(f: Any) -> Iterator[Any]:
    next(f, None)  # the header
    for raw in f:
        if raw.strip():
            yield record_decoder.decode(raw)


def _print_registers(registers: Registers, fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(to_csv(registers))
    else:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(registers)).decode() + "\n")


async def _connect(args: argparse.Namespace) -> tuple[asyncpg.Connection, Any]:
    """A connection to the tenant's cluster and its catalog row."""
    from kh_saas.storage.embedded import EmbeddedPostgres  # noqa: PLC0415
    from kh_saas.tenants.catalog import PLATFORM_SCHEMA  # noqa: PLC0415

    settings = Settings.from_env(data_dir=getattr(args, "data_dir", None))
    url = settings.database_url
    if url is None:
        url = EmbeddedPostgres(settings.data_dir).start()
    catalog = await asyncpg.connect(url)
    try:
        row = await catalog.fetchrow(
            f"SELECT schema_name, cluster FROM {PLATFORM_SCHEMA}.tenants"
            " WHERE slug = $1 AND status = 'active'",
            args.tenant,
        )
    finally:
        await catalog.close()
    if row is None:
        raise AuditFailed(f"no province {args.tenant!r} in the catalog at {url.split('@')[-1]}")
    return await asyncpg.connect(settings.cluster_urls(url)[row["cluster"]]), row


async def _spool_live_export(args: argparse.Namespace, spool: Any) -> list[VerifierKey]:
    from kh_saas.transparency.live import export_lines, witnessed_checkpoint  # noqa: PLC0415
    from kh_saas.transparency.notes import ED25519  # noqa: PLC0415
    from kh_saas.transparency.store import LogStore  # noqa: PLC0415

    conn, row = await _connect(args)
    try:
        store = LogStore(row["schema_name"])
        witnessed = await witnessed_checkpoint(conn, store)
        if witnessed is None:
            raise AuditFailed(f"{args.tenant}: the log has no checkpoint yet")
        async for item in export_lines(conn, store, witnessed):
            spool.write(item)
        keys = await conn.fetch(f"SELECT key_id, name, public_key FROM {store.q}.log_keys")
        return [VerifierKey(k["name"], k["key_id"], ED25519, bytes(k["public_key"])) for k in keys]
    finally:
        await conn.close()


async def _replay_live(args: argparse.Namespace, replay: Replay) -> None:
    from kh_saas.transparency.store import LogStore  # noqa: PLC0415

    conn, row = await _connect(args)
    try:
        store = LogStore(row["schema_name"])
        after = 0
        while rows := await store.events_after(conn, after, 10_000):
            for r in rows:
                replay.feed(r[0], r[1], r[2], r[3], r[4])
            after = rows[-1][0]
    finally:
        await conn.close()


def _get_text(args: argparse.Namespace, call: Call, path: str) -> int:
    return call(args, "GET", f"/v1/t/{args.tenant}{path}")


def _download(args: argparse.Namespace, call: Call) -> int:
    return call(args, "GET", f"/v1/t/{args.tenant}/audit/export", output=args.output)
