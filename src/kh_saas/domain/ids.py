"""Deterministic aggregate ids: uniqueness the domain needs is enforced by the event store.

Two kinds (see ``docs/adr/0002-keyed-natural-ids.md``):

* :func:`stable_id` — uuid5 over public facts (a decision's office and number, a unit's code):
  anyone may recompute it, and that reveals nothing that is not public already.
* :func:`keyed_id` — HMAC-SHA256 under the province's secret :class:`IdKey` over a natural key
  that is personal data (a citizen's CCCD, a household-book number): deterministic for the
  province, so a duplicate fails at the store, yet without the key the id says nothing about
  the number it came from, however small the set of candidates.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from hashlib import sha1
from uuid import NAMESPACE_URL, UUID, uuid5

#: Namespace of every kh-saas uuid5; never change it once events are stored.
KH_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kh-saas")

ID_KEY_BYTES = 32
_HASHED_NAMESPACE = sha1(KH_NAMESPACE.bytes, usedforsecurity=False)  # as uuid5 does
_KEEP = ~((0xC000 << 48) | (0xF000 << 64))  # clear the variant and version bits…
_SET = (0x8000 << 48) | (5 << 76)  # …then set RFC 4122 variant, version 5


def stable_id(*parts: str) -> UUID:
    """The same parts always give the same id, in every tenant and process.

    Exactly ``uuid5(KH_NAMESPACE, "/".join(parts))``, computed about twice as fast: a large
    decision derives a dozen ids per recipient (tests/test_stable_ids.py keeps them equal)."""
    h = _HASHED_NAMESPACE.copy()
    h.update("/".join(parts).encode())
    return UUID(int=(int.from_bytes(h.digest()[:16]) & _KEEP) | _SET)


@dataclass(frozen=True)
class IdKey:
    """A province's secret for natural-key ids (khóa bí mật của tỉnh); never logged or served."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < ID_KEY_BYTES:
            raise ValueError(f"an id key has at least {ID_KEY_BYTES} bytes")


def keyed_id(key: IdKey, *parts: str) -> UUID:
    """HMAC-SHA256(key, parts) truncated to 122 bits, as an RFC 9562 version-8 UUID.

    Parts are length-prefixed, so ``("a/b", "c")`` and ``("a", "b/c")`` never collide.
    """
    message = b"".join(len(p.encode()).to_bytes(4, "big") + p.encode() for p in parts)
    digest = bytearray(hmac.new(key.secret, message, hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8: custom
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
    return UUID(bytes=bytes(digest))
