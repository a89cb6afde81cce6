"""Xác minh: is a printed certificate genuine and in force? What the public page answers.

A certificate's QR code names a recognition or an award by id. The answer says only what the
certificate itself shows — name, title or award form, year, decision — and its standing today:
``in_force``, ``lapsed`` (a title past its validity), ``revoked`` (thu hồi) or ``annulled``
(hủy bỏ). It adds the inclusion proof of the granting event against the province's latest
cosigned checkpoint (RFC 9162, C2SP checkpoints), which anyone can check without trusting
the page: the leaf entry, its path, the signed note, and the log's public keys.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
import msgspec

from kh_saas.certificates.wording import FORM_NAMES, title_name
from kh_saas.transparency.checkpoint import parse_checkpoint
from kh_saas.transparency.live import witnessed_checkpoint
from kh_saas.transparency.merkle import ProofError, root_from_inclusion
from kh_saas.transparency.notes import (
    COSIGNATURE_V1,
    NoteError,
    VerifierKey,
    parse_note,
    verify_note,
)
from kh_saas.transparency.store import LogStore

Status = Literal["in_force", "lapsed", "revoked", "annulled"]

STATUS_TEXT: dict[str, str] = {
    "in_force": "Còn hiệu lực",
    "lapsed": "Đã hết thời hạn công nhận",
    "revoked": "Đã bị thu hồi, hủy bỏ",
    "annulled": "Đã bị hủy bỏ",
}


class DecisionRef(msgspec.Struct, kw_only=True):
    number: str
    signed_on: date
    issuer: str


class Proof(msgspec.Struct, kw_only=True):
    """Inclusion of the granting event in the province's log."""

    position: Annotated[int, msgspec.Meta(description="The granting event's position")]
    leaf_index: int
    tree_size: int
    leaf_hash: Annotated[str, msgspec.Meta(description="Base64 SHA-256(0x00 || entry)")]
    entry: Annotated[str, msgspec.Meta(description="The leaf entry as logged")]
    inclusion_path: Annotated[list[str], msgspec.Meta(description="RFC 9162 path, base64")]
    checkpoint: Annotated[str, msgspec.Meta(description="The cosigned checkpoint (signed note)")]
    log_keys: Annotated[list[str], msgspec.Meta(description="The log's verifier keys (vkeys)")]
    signed_by: Annotated[list[str], msgspec.Meta(description="Keys whose signature verified")]
    root_matches: Annotated[
        bool, msgspec.Meta(description="The path leads to the checkpoint's root hash")
    ]


class Verdict(msgspec.Struct, kw_only=True):
    """What ``/verify/{slug}/{id}`` answers: no personal data beyond the printed name."""

    genuine: Annotated[bool, msgspec.Meta(description="Recorded by this province")]
    kind: Literal["recognition", "award"]
    status: Status
    status_text: str
    name: str
    title: Annotated[str | None, msgspec.Meta(description="Danh hiệu (recognitions)")]
    form: Annotated[str | None, msgspec.Meta(description="Hình thức khen thưởng (awards)")]
    heading: Annotated[str, msgspec.Meta(description="The title or form in Vietnamese")]
    year: int
    decision: DecisionRef
    valid_until: date | None
    ended_by: Annotated[
        DecisionRef | None, msgspec.Meta(description="The revoking or annulling decision")
    ]
    province: str
    proof: Proof | None


async def verdict(
    conn: asyncpg.Connection,
    *,
    tables: tuple[str, str, str, str],
    record_id: UUID,
    today: date,
    province: str,
) -> Verdict | None:
    """The standing of a recognition or award, without its proof; ``None`` if unknown."""
    recognitions, decisions, awards, award_decisions = tables
    r = await conn.fetchrow(
        f"SELECT r.subject_name, r.title, r.tier, r.year, r.decision_number, r.signed_on,"
        f" r.valid_until, r.revoked, r.revocation_number, r.revoked_on, d.issuer_name,"
        f" rd.issuer_name AS revoking_issuer"
        f" FROM {recognitions} r"
        f" LEFT JOIN {decisions} d ON d.id = r.decision_id AND d.pos_to IS NULL"
        f" LEFT JOIN {decisions} rd ON rd.id = r.revocation_id AND rd.pos_to IS NULL"
        " WHERE r.id = $1 AND r.pos_to IS NULL",
        record_id,
    )
    if r is not None:
        status: Status = (
            "revoked" if r["revoked"] else "lapsed" if r["valid_until"] < today else "in_force"
        )
        return Verdict(
            genuine=True,
            kind="recognition",
            status=status,
            status_text=STATUS_TEXT[status],
            name=r["subject_name"] or "",
            title=r["title"],
            form=None,
            heading=title_name(r["title"], r["tier"]),
            year=r["year"],
            decision=DecisionRef(
                number=r["decision_number"], signed_on=r["signed_on"], issuer=r["issuer_name"] or ""
            ),
            valid_until=r["valid_until"],
            ended_by=_ended(r["revocation_number"], r["revoked_on"], r["revoking_issuer"]),
            province=province,
            proof=None,
        )
    a = await conn.fetchrow(
        f"SELECT a.subject_name, a.form, a.period, a.decision_number, a.signed_on, a.annulled,"
        f" a.annulment_number, a.annulled_on, d.issuer_name, ad.issuer_name AS annulling_issuer"
        f" FROM {awards} a"
        f" LEFT JOIN {award_decisions} d ON d.id = a.decision_id AND d.pos_to IS NULL"
        f" LEFT JOIN {award_decisions} ad ON ad.id = a.annulment_id AND ad.pos_to IS NULL"
        " WHERE a.id = $1 AND a.pos_to IS NULL",
        record_id,
    )
    if a is None:
        return None
    status = "annulled" if a["annulled"] else "in_force"
    return Verdict(
        genuine=True,
        kind="award",
        status=status,
        status_text=STATUS_TEXT[status],
        name=a["subject_name"] or "",
        title=None,
        form=a["form"],
        heading=FORM_NAMES.get(a["form"], a["form"]),
        year=a["signed_on"].year,
        decision=DecisionRef(
            number=a["decision_number"], signed_on=a["signed_on"], issuer=a["issuer_name"] or ""
        ),
        valid_until=None,
        ended_by=_ended(a["annulment_number"], a["annulled_on"], a["annulling_issuer"]),
        province=province,
        proof=None,
    )


def _ended(number: str | None, on: date | None, issuer: str | None) -> DecisionRef | None:
    if number is None or on is None:
        return None
    return DecisionRef(number=number, signed_on=on, issuer=issuer or "")


async def inclusion(
    conn: asyncpg.Connection, store: LogStore, originator_id: UUID, log_keys: list[VerifierKey]
) -> Proof | None:
    """The granting event's (version 1) inclusion in the latest cosigned checkpoint; ``None``
    while the log has not reached it (the next checkpoint follows within a second)."""
    position = await conn.fetchval(
        f"SELECT notification_id FROM {store.events}"
        " WHERE originator_id = $1 AND originator_version = 1",
        originator_id,
    )
    if position is None:
        return None
    index = await store.leaf_index(conn, position)
    witnessed = await witnessed_checkpoint(conn, store)
    if index is None or witnessed is None or witnessed.checkpoint.size <= index:
        return None
    size = witnessed.checkpoint.size
    path, leaf, entry = await store.prove_leaf(conn, index, size)
    signed_by: list[str] = []
    matches = False
    try:
        note = parse_note(witnessed.note)
        witnesses = await _witness_keys(conn, store)
        signed_by = [v.key.vkey for v in verify_note(note, [*log_keys, *witnesses])]
        root = parse_checkpoint(note.text).root
        matches = root_from_inclusion(index, size, leaf, path) == root
    except (NoteError, ProofError):
        matches = False
    return Proof(
        position=position,
        leaf_index=index,
        tree_size=size,
        leaf_hash=_b64(leaf),
        entry=entry.decode(),
        inclusion_path=[_b64(h) for h in path],
        checkpoint=witnessed.note,
        log_keys=[k.vkey for k in log_keys],
        signed_by=signed_by,
        root_matches=matches and bool(signed_by),
    )


async def _witness_keys(conn: asyncpg.Connection, store: LogStore) -> list[VerifierKey]:
    rows = await conn.fetch(
        f"SELECT name, key_id, public_key FROM {store.q}.log_witnesses WHERE removed_at IS NULL"
    )
    return [
        VerifierKey(r["name"], r["key_id"], COSIGNATURE_V1, bytes(r["public_key"])) for r in rows
    ]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
