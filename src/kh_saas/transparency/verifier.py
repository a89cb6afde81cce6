"""Offline verification of an audit export (pure): recompute every leaf from the raw events,
rebuild the signed root, check the log's signature and the witnesses' cosignatures, and, with
a checkpoint kept earlier, that the log only grew since.

Each problem names its position; the report's ``first_bad_position`` is the lowest. A log
rebuilt over altered events is consistent with itself (and freshly signed by the service's
key), so it shows only against a checkpoint kept before: that is what witnesses and
auditors' kept checkpoints are for.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

import msgspec

from kh_saas.transparency.checkpoint import Checkpoint, parse_checkpoint
from kh_saas.transparency.export_format import (
    FORMAT,
    ExportHeader,
    ExportRecord,
    header_decoder,
    record_decoder,
)
from kh_saas.transparency.leaf import entries_of, parse_leaf_entry
from kh_saas.transparency.merkle import HASH_SIZE, ProofError, leaf_hash, root_from_range, root_of
from kh_saas.transparency.notes import NoteError, VerifierKey, parse_note, parse_vkey, verify_note

CHUNK = 4096
_MISSING = bytes(HASH_SIZE)  # stands for a leaf whose event is gone


@dataclass
class Finding:
    position: int | None
    message: str


@dataclass
class Report:
    origin: str = ""
    tree_size: int = 0
    root: bytes = b""
    first_index: int = 0
    end_index: int = 0
    signed_by: list[str] = field(default_factory=list)
    cosigned_by: list[str] = field(default_factory=list)
    leaves_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    consistent_with_old: bool | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_bad_position(self) -> int | None:
        positions = [f.position for f in self.findings if f.position is not None]
        return min(positions) if positions else None

    def fail(self, message: str, position: int | None = None) -> None:
        self.findings.append(Finding(position, message))

    def lines(self, limit: int = 20) -> list[str]:
        out = []
        if self.origin:
            root = base64.b64encode(self.root).decode()
            out += [
                f"log       {self.origin}",
                f"tree      {self.tree_size} leaves, root {root}",
                f"signed    by {', '.join(self.signed_by) or 'no trusted key'}",
            ]
        if self.cosigned_by:
            out.append(f"cosigned  by {', '.join(self.cosigned_by)}")
        if self.leaves_checked:
            out.append(
                f"leaves    {self.leaves_checked} checked (indices {self.first_index}"
                f"–{self.end_index - 1})"
            )
        if self.consistent_with_old is not None:
            out.append(
                "old       the checkpoint kept earlier is "
                + ("a prefix of this tree" if self.consistent_with_old else "NOT consistent")
            )
        if self.ok:
            out.append("OK        every event is in the signed tree as logged")
            return out
        bad = self.first_bad_position
        out.append("FAILED    " + (f"first bad position {bad}" if bad is not None else "see below"))
        ordered = sorted(self.findings, key=lambda f: (f.position is None, f.position or 0))
        for f in ordered[:limit]:
            where = f"position {f.position}: " if f.position is not None else ""
            out.append(f"  - {where}{f.message}")
        if len(ordered) > limit:
            out.append(f"  … and {len(ordered) - limit} more")
        return out


def load_keys(texts: Iterable[str]) -> list[VerifierKey]:
    """Verifier keys from strings: each a vkey, several (one per line), or the JSON that
    ``GET /audit/keys`` answers."""
    keys = []
    for text in texts:
        if text.lstrip().startswith("{"):
            try:
                items = [k["vkey"] for k in json.loads(text)["keys"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise NoteError(f"not the keys document of /audit/keys: {exc}") from exc
        else:
            items = text.splitlines()
        for item in items:
            if item.strip() and not item.lstrip().startswith("#"):
                keys.append(parse_vkey(item))
    return keys


def check_checkpoint(
    note_text: str,
    log_keys: list[VerifierKey],
    witness_keys: list[VerifierKey],
    report: Report,
) -> Checkpoint | None:
    """Verify a checkpoint note: a trusted log key signed it, every witness cosigned it."""
    try:
        note = parse_note(note_text)
        verified = verify_note(note, [*log_keys, *witness_keys])
        checkpoint = parse_checkpoint(note.text)
    except NoteError as exc:
        report.fail(f"the checkpoint does not verify: {exc}")
        return None
    names = {(v.key.name, v.key.key_id) for v in verified}
    report.signed_by = [k.vkey.split("+", 2)[0] + f"+{k.key_id:08x}" for k in log_keys
                        if (k.name, k.key_id) in names]  # fmt: skip
    if not report.signed_by:
        report.fail("no signature by a trusted log key (another log's key?)")
    for w in witness_keys:
        if (w.name, w.key_id) in names:
            report.cosigned_by.append(w.name)
        else:
            report.fail(f"no cosignature of witness {w.name} over this checkpoint")
    report.origin, report.tree_size, report.root = (
        checkpoint.origin,
        checkpoint.size,
        checkpoint.root,
    )
    return checkpoint


def verify_export(
    lines: Iterable[bytes],
    *,
    log_keys: list[VerifierKey],
    witness_keys: list[VerifierKey] | None = None,
    old_checkpoint: str | None = None,
) -> Report:
    report = Report()
    it = iter(lines)
    first = next(it, b"")
    try:
        header = header_decoder.decode(first)
    except msgspec.DecodeError as exc:
        report.fail(f"not an audit export (line 1): {exc}")
        return report
    if header.format != FORMAT:
        report.fail(f"unknown export format {header.format!r}")
        return report
    checkpoint = check_checkpoint(header.checkpoint, log_keys, witness_keys or [], report)
    if checkpoint is None:
        return report
    if (checkpoint.size, checkpoint.origin) != (header.tree_size, header.origin):
        report.fail("the header's tree size or origin is not the checkpoint's")
    report.first_index, report.end_index = header.first_index, header.end_index
    logged, recomputed = _check_records(_records(it, report), header, report)
    _check_root(header, checkpoint, logged, recomputed, report)
    if old_checkpoint is not None:
        _check_old(
            old_checkpoint,
            log_keys=log_keys,
            header=header,
            checkpoint=checkpoint,
            recomputed=recomputed,
            report=report,
        )
    return report


def _records(lines: Iterator[bytes], report: Report) -> Iterator[ExportRecord]:
    number = 2
    while batch := list(islice(lines, CHUNK)):
        try:
            yield from record_decoder.decode_lines(b"".join(batch))
        except msgspec.DecodeError:  # find the bad lines one by one
            for n, raw in enumerate(batch, number):
                if raw.strip():
                    try:
                        yield record_decoder.decode(raw)
                    except msgspec.DecodeError as exc:
                        report.fail(f"line {n} is not an export record: {exc}")
        number += len(batch)


def _check_records(
    records: Iterator[ExportRecord], header: ExportHeader, report: Report
) -> tuple[list[bytes], list[bytes]]:
    """Leaf hashes as logged and as recomputed from the events, in index order. The hot
    path (an event that matches its leaf) is one entry built, hashed and compared."""
    logged: list[bytes] = []
    recomputed: list[bytes] = []
    expected = header.first_index
    while chunk := list(islice(records, CHUNK)):
        leaves: list[ExportRecord] = []
        rows = []
        for r in chunk:
            if r.index is None:
                report.fail("an event the log does not hold (inserted after it was logged?)",
                            r.position)  # fmt: skip
                continue
            if r.index != expected:
                report.fail(f"leaf index {r.index} where {expected} was expected", r.position)
                expected = r.index
            expected += 1
            leaves.append(r)
            e = r.event
            if e is not None:
                rows.append((r.position, e.originator_id, e.originator_version, e.topic,
                             e.state))  # fmt: skip
        entries, hashes = entries_of(rows)
        i = 0
        for r in leaves:
            logged_hash = r.leaf_hash
            if r.event is None:
                report.fail("the event is gone from the event table (deleted?)", r.position)
                logged.append(logged_hash or _MISSING)
                recomputed.append(_MISSING)
                continue
            entry, now = entries[i], hashes[i]
            i += 1
            recomputed.append(now)
            if now == logged_hash:
                logged.append(now)
                if entry != (r.entry or "").encode():
                    report.fail("the logged entry does not hash to the tree's leaf", r.position)
                continue
            logged.append(_mismatch(r, entry, logged_hash, report))
        report.leaves_checked += len(leaves)
    if expected != header.end_index:
        report.fail(f"the export stops at leaf {expected}, not {header.end_index}")
    return logged, recomputed


def _mismatch(r: ExportRecord, entry: bytes, logged_hash: bytes | None, report: Report) -> bytes:
    """Say why an event does not give its leaf; the leaf hash as logged (or a stand-in)."""
    logged_entry = (r.entry or "").encode()
    if logged_hash is None or len(logged_hash) != HASH_SIZE:
        report.fail("the export lacks this leaf's hash", r.position)
        return _MISSING
    if not hmac.compare_digest(leaf_hash(logged_entry), logged_hash):
        report.fail("the logged entry does not hash to the tree's leaf", r.position)
    else:
        report.fail(_difference(logged_entry, entry), r.position)
    return logged_hash


def _difference(logged: bytes, now: bytes) -> str:
    """What changed between the logged entry and the one recomputed from the event."""
    try:
        was, is_ = parse_leaf_entry(logged), parse_leaf_entry(now)
    except ValueError:
        return "the event does not match its logged leaf"
    if (was.originator_id, was.version) != (is_.originator_id, is_.version):
        return (
            f"another event stands here: logged {was.originator_id} v{was.version},"
            f" now {is_.originator_id} v{is_.version} (events swapped or moved?)"
        )
    changed = [
        name
        for name, a, b in [
            ("state", was.state_sha256, is_.state_sha256),
            ("topic", was.topic, is_.topic),
            ("recorded time", was.recorded, is_.recorded),
            ("position", was.position, is_.position),
        ]
        if a != b
    ]
    detail = ""
    if "state" in changed:
        detail = f" (state sha256 {was.state_sha256.hex()} logged, {is_.state_sha256.hex()} now)"
    return f"the event's {', '.join(changed) or 'entry'} changed since it was logged{detail}"


def _check_root(
    header: ExportHeader,
    checkpoint: Checkpoint,
    logged: list[bytes],
    recomputed: list[bytes],
    report: Report,
) -> None:
    proof = header.range_proof
    begin, end = header.first_index, header.end_index
    if len(logged) != end - begin:
        return  # already reported: the export is incomplete
    try:
        events_root = root_from_range(begin, end, checkpoint.size, recomputed, proof)
        logged_root = (
            events_root
            if report.ok
            else root_from_range(begin, end, checkpoint.size, logged, proof)
        )
    except ProofError as exc:
        report.fail(f"the range proof is malformed: {exc}")
        return
    if not hmac.compare_digest(logged_root, checkpoint.root):
        report.fail("the logged leaves do not rebuild the signed root (the log's tables changed)")
    elif not hmac.compare_digest(events_root, checkpoint.root) and report.ok:
        report.fail("the events do not rebuild the signed root")


def _check_old(
    old_text: str,
    *,
    log_keys: list[VerifierKey],
    header: ExportHeader,
    checkpoint: Checkpoint,
    recomputed: list[bytes],
    report: Report,
) -> None:
    scratch = Report()
    old = check_checkpoint(old_text, log_keys, [], scratch)
    if old is None:
        report.fail("the old checkpoint: " + "; ".join(f.message for f in scratch.findings))
        return
    if old.origin != checkpoint.origin:
        report.fail(f"the old checkpoint is of another log ({old.origin})")
    elif old.size > checkpoint.size:
        report.consistent_with_old = False
        report.fail(f"the log shrank: {old.size} leaves kept earlier, {checkpoint.size} now")
    elif header.first_index != 0 or header.end_index < old.size:
        report.fail("to check an old checkpoint, export the log from its first event")
    else:
        same = hmac.compare_digest(root_of(recomputed[: old.size]), old.root)
        report.consistent_with_old = same
        if not same:
            report.fail(
                f"the tree of the first {old.size} leaves is not the one the kept checkpoint "
                "signed: history was rewritten (no consistency proof can exist)"
            )
