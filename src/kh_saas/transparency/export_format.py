"""The audit export (pure): NDJSON an auditor verifies offline, with no database or service.

Line 1 is an :class:`ExportHeader`: the cosigned checkpoint, the leaf range the export
covers and the range proof (hashes of the subtrees outside it). Every further line is an
:class:`ExportRecord` in position order: a leaf of the log (its index, logged entry and
leaf hash as the tree holds them) with the event the event table holds at that position
now (raw: ids, topic and the exact state bytes in base64), or an event the log does not hold
(``index`` null), or a leaf whose event is gone (``event`` null). Bytes are base64 in JSON.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

FORMAT = "kh-saas/audit-export@v1"


class ExportHeader(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    format: str = FORMAT
    origin: str
    checkpoint: Annotated[str, msgspec.Meta(description="Signed note with cosignatures")]
    tree_size: int
    first_index: int
    end_index: Annotated[int, msgspec.Meta(description="One past the last leaf exported")]
    range_proof: Annotated[
        list[bytes], msgspec.Meta(description="Base64 hashes of the subtrees outside the range")
    ]


class ExportEvent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    originator_id: str
    originator_version: int
    topic: str | None
    state: Annotated[bytes | None, msgspec.Meta(description="The stored state bytes, base64")]


class ExportRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    position: int
    index: int | None = None
    leaf_hash: Annotated[
        bytes | None, msgspec.Meta(description="Base64, as the tree holds it")
    ] = None
    entry: Annotated[str | None, msgspec.Meta(description="The leaf entry as logged")] = None
    event: ExportEvent | None = None


encoder = msgspec.json.Encoder()
header_decoder = msgspec.json.Decoder(ExportHeader)
record_decoder = msgspec.json.Decoder(ExportRecord)


def line(item: ExportHeader | ExportRecord) -> bytes:
    return encoder.encode(item) + b"\n"
