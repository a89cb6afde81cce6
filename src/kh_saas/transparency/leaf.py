"""What a leaf of the log commits to (pure): one stored event, not its content.

A leaf's *entry* is seven lines of UTF-8 text, each ending in a newline::

    kh-saas/event/v1
    position 4217
    originator 5b1f0c3e-8a4d-5e2b-9f6a-1c2d3e4f5a6b
    version 1
    recorded 2025-12-02T03:14:15.926535Z
    state sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b
    topic kh_saas.domain.recognitions:Recognition.Granted

(The hash is illustrative.) ``position`` is the event's notification id, ``originator`` and
``version`` its aggregate id and version, ``recorded`` the ``timestamp`` member of its state
in UTC with microseconds (verbatim when written in that form, as the service writes it;
``unknown`` when the state has none), ``state`` the SHA-256 of the stored state bytes, and
``topic`` the event's topic (last, so the encoding stays unambiguous whatever it holds). The
leaf hash is ``SHA-256(0x00 || entry)``. Only a digest of the state is committed, so erasing
personal fields later (crypto-shredding) leaves every proof valid.

Entries are stored and served in C2SP ``tlog-tiles`` entry bundles: up to 256 entries, each
prefixed with its length as a big-endian uint16.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from hashlib import sha256
from typing import NamedTuple
from uuid import UUID

import msgspec

ENTRY_HEADER = b"kh-saas/event/v1\n"
UNKNOWN_TIME = "unknown"
MAX_ENTRY_BYTES = 0xFFFF

_CANONICAL = re.compile(rb'\{"timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)"')
_ENTRY = re.compile(
    rb"kh-saas/event/v1\n"
    rb"position (0|[1-9][0-9]*)\n"
    rb"originator ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\n"
    rb"version (0|-?[1-9][0-9]*)\n"
    rb"recorded ([0-9T:.Z-]+|unknown)\n"
    rb"state sha256:([0-9a-f]{64})\n"
    rb"topic (.*)\n",
    re.DOTALL,
)


class _Stamped(msgspec.Struct):
    timestamp: object = None


_stamp = msgspec.json.Decoder(_Stamped)


class LeafEntry(NamedTuple):
    position: int
    originator_id: str
    version: int
    recorded: str
    state_sha256: bytes
    topic: str


def canonical_time(value: datetime) -> str:
    u = value.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond:06d}Z"
    )


def _recorded(state: bytes) -> bytes:
    found = _CANONICAL.match(state)
    if found is not None:
        return found.group(1)
    return recorded_of(state).encode()


def recorded_of(state: bytes | None) -> str:
    """The ``recorded`` line's value for a stored state."""
    if state is None:
        return UNKNOWN_TIME
    found = _CANONICAL.match(state)
    if found is not None:
        return found.group(1).decode()
    try:
        stamp = _stamp.decode(state).timestamp
        if isinstance(stamp, str):
            when = datetime.fromisoformat(stamp)
            if when.tzinfo is not None:
                return canonical_time(when)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, OverflowError):
        pass
    return UNKNOWN_TIME


def leaf_entry(
    position: int,
    originator_id: UUID | str,
    version: int,
    topic: str | None,
    state: bytes | None,
) -> bytes:
    """The entry of one stored event (the form auditors recompute)."""
    return entries_of([(position, originator_id, version, topic, state)])[0][0]


_DIGITS_TO_ZERO = bytes(0x30 if 0x30 <= i <= 0x39 else i for i in range(256))
_STAMP_PREFIX = b'{"timestamp":"'
_STAMP_SHAPE = b'0000-00-00T00:00:00.000000Z"'


def entries_of(
    rows: Iterable[tuple[int, object, int, str | None, bytes | None]],
) -> tuple[list[bytes], list[bytes]]:
    """Entries and leaf hashes of stored events ``(position, originator_id, version, topic,
    state)``: the updater's hot loop, the same result as :func:`leaf_entry` per row."""
    entries: list[bytes] = []
    hashes: list[bytes] = []
    topics: dict[str | None, bytes] = {}
    for position, originator_id, version, topic, state in rows:
        data = b"" if state is None else state
        # The regex's fast equivalent: `{"timestamp":"` and 27 characters of the shape.
        if data[:14] == _STAMP_PREFIX and data[14:42].translate(_DIGITS_TO_ZERO) == _STAMP_SHAPE:
            recorded = data[14:41]
        else:
            recorded = recorded_of(state).encode()
        topic_bytes = topics.get(topic)
        if topic_bytes is None:
            topic_bytes = topics[topic] = (topic or "").encode()
        leaf = b"\x00kh-saas/event/v1\nposition %d\noriginator %s\nversion %d\nrecorded %s\n" \
            b"state sha256:%s\ntopic %s\n" % (
                position, str(originator_id).encode(), version, recorded,
                sha256(data).hexdigest().encode(), topic_bytes,
            )  # fmt: skip
        if len(leaf) > MAX_ENTRY_BYTES + 1:
            raise ValueError(f"the entry of position {position} exceeds {MAX_ENTRY_BYTES} bytes")
        hashes.append(sha256(leaf).digest())
        entries.append(leaf[1:])
    return entries, hashes


def parse_leaf_entry(entry: bytes) -> LeafEntry:
    found = _ENTRY.fullmatch(entry)
    if found is None:
        raise ValueError("not a kh-saas/event/v1 leaf entry")
    position, originator, version, recorded, digest, topic = found.groups()
    return LeafEntry(
        int(position),
        originator.decode(),
        int(version),
        recorded.decode(),
        bytes.fromhex(digest.decode()),
        topic.decode(),
    )


def pack_bundle(entries: Iterable[bytes]) -> bytes:
    """A tlog-tiles entry bundle: each entry after its big-endian uint16 length."""
    return b"".join(len(e).to_bytes(2, "big") + e for e in entries)


def unpack_bundle(bundle: bytes) -> list[bytes]:
    out: list[bytes] = []
    i = 0
    while i < len(bundle):
        if i + 2 > len(bundle):
            raise ValueError("truncated entry bundle")
        n = int.from_bytes(bundle[i : i + 2], "big")
        if i + 2 + n > len(bundle):
            raise ValueError("truncated entry bundle")
        out.append(bytes(bundle[i + 2 : i + 2 + n]))
        i += 2 + n
    return out
