"""C2SP ``tlog-witness`` ``add-checkpoint`` request bodies (pure).

::

    old <size the witness last cosigned>
    <consistency proof, one base64 hash per line (at most 63)>

    <the checkpoint note>
"""

from __future__ import annotations

import re
from typing import NamedTuple

from kh_saas.transparency.merkle import HASH_SIZE
from kh_saas.transparency.notes import NoteError, b64, unb64

MAX_PROOF_LINES = 63
#: The 409 answer's body is the witness's size in decimal, with this media type.
SIZE_MEDIA_TYPE = "text/x.tlog.size"
_OLD = re.compile(r"^old (0|[1-9][0-9]{0,19})$")


class AddCheckpoint(NamedTuple):
    old_size: int
    proof: list[bytes]
    checkpoint: str  # the signed note

    def format(self) -> str:
        lines = [f"old {self.old_size}", *(b64(h) for h in self.proof)]
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_add_checkpoint(body: str) -> AddCheckpoint:
    head, sep, checkpoint = body.partition("\n\n")
    if not sep:
        raise NoteError("the request has a blank line before the checkpoint")
    lines = head.split("\n")
    found = _OLD.match(lines[0])
    if found is None:
        raise NoteError("the request starts with 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise NoteError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = [unb64(line, "consistency proof hash") for line in lines[1:]]
    if any(len(h) != HASH_SIZE for h in proof):
        raise NoteError("a consistency proof hash is not 32 bytes")
    return AddCheckpoint(int(found.group(1)), proof, checkpoint)
