"""A C2SP ``tlog-witness``: cosigns checkpoints that extend the last one it cosigned.

``kh-saas witness serve --key FILE --log VKEY…`` runs it (a small stdlib HTTP server, so a
provincial inspectorate or the State Audit Office can run it apart from the service). It
answers ``POST <prefix>/add-checkpoint`` as the spec says — 404 unknown origin, 403 no valid
signature of a trusted key, 400 old size above the checkpoint's, 409 (``text/x.tlog.size``)
old size not the one it cosigned last, 422 a proof that does not verify — and serves
``GET <prefix>/<sha256 of the origin, hex>/checkpoint``. Its state (per origin: the last
cosigned size, root and note) is a JSON file, rewritten atomically before each answer.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from kh_saas.logs import get_logger
from kh_saas.transparency.checkpoint import Checkpoint, parse_checkpoint
from kh_saas.transparency.merkle import EMPTY_ROOT, ProofError, verify_consistency
from kh_saas.transparency.notes import (
    Note,
    NoteError,
    SignerKey,
    VerifierKey,
    parse_note,
    sign,
    verify_note,
)
from kh_saas.transparency.witness_protocol import (
    SIZE_MEDIA_TYPE,
    AddCheckpoint,
    parse_add_checkpoint,
)

log = get_logger(__name__)

MAX_BODY = 64 * 1024
TEXT = "text/plain; charset=utf-8"


class Answer(NamedTuple):
    status: int
    content_type: str
    body: str


class Seen(NamedTuple):
    size: int
    root: bytes
    note: str  # the checkpoint as verified, with this witness's cosignature


class WitnessState:
    """The last cosigned checkpoint per origin, in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()  # held from the size check to the write
        self._seen: dict[str, Seen] = {}
        if path.exists():
            for origin, v in json.loads(path.read_text()).items():
                self._seen[origin] = Seen(v["size"], base64.b64decode(v["root"]), v["note"])

    def get(self, origin: str) -> Seen | None:
        return self._seen.get(origin)

    def put(self, origin: str, seen: Seen) -> None:
        self._seen[origin] = seen
        data = {
            o: {"size": s.size, "root": base64.b64encode(s.root).decode(), "note": s.note}
            for o, s in self._seen.items()
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.path)


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.answer = Answer(status, TEXT, reason + "\n")


class Witness:
    def __init__(
        self,
        key: SignerKey,
        logs: list[VerifierKey],
        state: WitnessState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key.as_cosigner()
        self.logs: dict[str, list[VerifierKey]] = {}
        for k in logs:  # a log's key name is its origin
            self.logs.setdefault(k.name, []).append(k)
        self.state = state
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            request, note, checkpoint = self._admit(body)
        except _Refused as refused:
            return refused.answer
        with self.state.lock:
            seen = self.state.get(checkpoint.origin)
            size = 0 if seen is None else seen.size
            if request.old_size != size:
                return Answer(409, SIZE_MEDIA_TYPE, f"{size}\n")
            refusal = self._refusal(request.old_size, request.proof, checkpoint, seen)
            if refusal:
                log.warning("witness_refused", origin=checkpoint.origin, reason=refusal)
                return Answer(422, TEXT, refusal + "\n")
            line = sign(note.text, self.key, timestamp=int(self.clock())).line
            self.state.put(
                checkpoint.origin,
                Seen(checkpoint.size, checkpoint.root, note.format() + line),
            )
        log.info("witness_cosigned", origin=checkpoint.origin, size=checkpoint.size)
        return Answer(200, TEXT, line)

    def _admit(self, body: bytes) -> tuple[AddCheckpoint, Note, Checkpoint]:
        """Parse the request and check what needs no state: origin, signature, sizes."""
        try:
            request = parse_add_checkpoint(body.decode("utf-8"))
            note = parse_note(request.checkpoint)
            checkpoint = parse_checkpoint(note.text)
        except (NoteError, UnicodeDecodeError) as exc:
            raise _Refused(400, f"malformed request: {exc}") from exc
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            raise _Refused(404, f"unknown log origin {checkpoint.origin}")
        try:
            verify_note(note, keys)
        except NoteError as exc:
            raise _Refused(403, str(exc)) from exc
        if request.old_size > checkpoint.size:
            raise _Refused(400, "old size is larger than the checkpoint's")
        return request, note, checkpoint

    @staticmethod
    def _refusal(old: int, proof: list[bytes], checkpoint: Checkpoint, seen: Seen | None) -> str:
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            return "a tree of size 0 has the empty root"
        if old == 0:
            return "a proof from size 0 must be empty" if proof else ""
        assert seen is not None
        if old == checkpoint.size:
            if proof or seen.root != checkpoint.root:
                return "same size, another root: the log forked"
            return ""
        try:
            verify_consistency(old, checkpoint.size, proof, seen.root, checkpoint.root)
        except ProofError as exc:
            return f"not an append-only extension of size {old}: {exc}"
        return ""

    def checkpoint_of(self, origin_hash: str) -> Answer:
        for origin in self.logs:
            if sha256(origin.encode()).hexdigest() == origin_hash:
                seen = self.state.get(origin)
                if seen is not None:
                    return Answer(200, TEXT, seen.note)
        return Answer(404, TEXT, "no checkpoint cosigned for that log\n")


def serve(witness: Witness, host: str, port: int, prefix: str = "") -> ThreadingHTTPServer:
    """An HTTP server for the witness (call ``serve_forever`` on it)."""
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""

    class Handler(BaseHTTPRequestHandler):
        server_version = "kh-saas-witness"

        def _answer(self, answer: Answer) -> None:
            data = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if self.path != prefix + "/add-checkpoint":
                self._answer(Answer(404, TEXT, "not found\n"))
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(Answer(413, TEXT, f"larger than {MAX_BODY} bytes\n"))
                return
            self._answer(witness.add_checkpoint(self.rfile.read(length)))

        def do_GET(self) -> None:
            parts = self.path.removeprefix(prefix).strip("/").split("/")
            if len(parts) == 2 and parts[1] == "checkpoint":
                self._answer(witness.checkpoint_of(parts[0]))
            else:
                self._answer(Answer(404, TEXT, "not found\n"))

        def log_message(self, format: str, *args: Any) -> None:
            log.info("witness_request", line=format % args)

    return ThreadingHTTPServer((host, port), Handler)
