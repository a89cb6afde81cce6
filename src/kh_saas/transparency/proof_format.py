"""C2SP ``tlog-proof`` files (pure): an offline proof that one entry is in a checkpoint.

::

    c2sp.org/tlog-proof@v1
    extra <base64, optional>
    index <leaf index>
    <inclusion path, one base64 hash per line, leaf's sibling first>

    <the checkpoint note, with its signature and cosignatures>
"""

from __future__ import annotations

import re
from typing import NamedTuple

from kh_saas.transparency.merkle import HASH_SIZE
from kh_saas.transparency.notes import NoteError, b64, unb64

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"^index (0|[1-9][0-9]{0,19})$")


class TlogProof(NamedTuple):
    leaf_index: int
    path: list[bytes]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None

    def format(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64(self.extra)}")
        lines.append(f"index {self.leaf_index}")
        lines.extend(b64(h) for h in self.path)
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_tlog_proof(text: str) -> TlogProof:
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise NoteError("a tlog-proof has a blank line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise NoteError(f"a tlog-proof starts with {HEADER}")
    i, extra = 1, None
    if len(lines) > 1 and lines[1].startswith("extra "):
        extra, i = unb64(lines[1][6:], "extra data"), 2
    found = _INDEX.match(lines[i]) if len(lines) > i else None
    if found is None:
        raise NoteError("a tlog-proof has an index line")
    path = [unb64(line, "inclusion proof hash") for line in lines[i + 1 :]]
    if any(len(h) != HASH_SIZE for h in path):
        raise NoteError("an inclusion proof hash is not 32 bytes")
    return TlogProof(int(found.group(1)), path, checkpoint, extra)
