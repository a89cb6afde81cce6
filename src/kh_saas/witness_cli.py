"""``kh-saas witness …``: run a C2SP tlog-witness for provinces' logs, apart from the service.

``keygen`` writes a private key file (0600, golang.org/x/mod/sumdb/note signer format) and
prints the witness's cosignature verifier key, which the province registers with
``POST /v1/t/{slug}/audit/witnesses``. ``serve`` cosigns the logs whose verifier keys it is
given (``--log``, repeatable, or ``--logs FILE``; a log's key name is its origin).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kh_saas.tenants.keys import write_secret_file
from kh_saas.transparency.notes import NoteError, SignerKey, parse_signer_key
from kh_saas.transparency.verifier import load_keys


class WitnessFailed(Exception):
    pass


def add_witness(sub: Any) -> None:
    witness = sub.add_parser("witness", help="run a witness that cosigns provinces' logs")
    wsub = witness.add_subparsers(dest="action", required=True)

    keygen = wsub.add_parser("keygen", help="make the witness's key file, print its public key")
    keygen.add_argument("--name", required=True, help="e.g. thanhtra.quangtri.gov.vn/witness")
    keygen.add_argument("--output", "-o", type=Path, required=True)
    keygen.set_defaults(run=_keygen)

    serve = wsub.add_parser("serve", help="serve add-checkpoint (C2SP tlog-witness)")
    serve.add_argument("--key", type=Path, required=True, help="the key file from keygen")
    serve.add_argument("--log", action="append", default=[], help="a log's verifier key")
    serve.add_argument("--logs", type=Path, help="a file of logs' verifier keys, one a line")
    serve.add_argument("--state", type=Path, help="state file (default: beside the key)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8010)
    serve.add_argument("--prefix", default="", help="URL prefix (default: none)")
    serve.set_defaults(run=_serve)


def _keygen(args: argparse.Namespace) -> int:
    if args.output.exists():
        raise WitnessFailed(f"{args.output} exists: not overwriting a witness key")
    try:
        key = SignerKey.generate(args.name)
    except NoteError as exc:
        raise WitnessFailed(str(exc)) from exc
    write_secret_file(args.output, key.format())
    print(key.as_cosigner().verifier.vkey)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from kh_saas.logs import configure_logging  # noqa: PLC0415
    from kh_saas.transparency.witness_server import Witness, WitnessState, serve  # noqa: PLC0415

    configure_logging("info", "auto")
    try:
        key = parse_signer_key(args.key.read_text())
        texts = list(args.log) + ([args.logs.read_text()] if args.logs else [])
        logs = load_keys(texts)
    except (OSError, NoteError) as exc:
        raise WitnessFailed(str(exc)) from exc
    if not logs:
        raise WitnessFailed("no log to witness: pass --log VKEY or --logs FILE")
    state = WitnessState(args.state or args.key.with_suffix(".state.json"))
    server = serve(Witness(key, logs, state), args.host, args.port, args.prefix)
    port = server.server_address[1]
    print(
        f"kh-saas witness {key.name} on http://{args.host}:{port}{args.prefix} for "
        + ", ".join(sorted({k.name for k in logs})),
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
