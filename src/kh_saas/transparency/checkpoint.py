"""C2SP ``tlog-checkpoint`` bodies (pure): origin, tree size, base64 root hash."""

from __future__ import annotations

import re
from typing import NamedTuple

from kh_saas.transparency.merkle import HASH_SIZE
from kh_saas.transparency.notes import NoteError, b64, unb64

_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


class Checkpoint(NamedTuple):
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        lines = [self.origin, str(self.size), b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in a note's text (raise :class:`NoteError` when malformed)."""
    if not text.endswith("\n"):
        raise NoteError("a checkpoint ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise NoteError("a checkpoint has origin, size and root hash lines, none empty")
    origin, size, root = lines[:3]
    if not _SIZE.match(size) or int(size) >= 2**64:
        raise NoteError("a checkpoint's size is a decimal with no leading zeroes")
    digest = unb64(root, "root hash")
    if len(digest) != HASH_SIZE:
        raise NoteError("a checkpoint's root hash is 32 bytes")
    return Checkpoint(origin, int(size), digest, tuple(lines[3:]))
