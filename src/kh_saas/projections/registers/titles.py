"""Learning titles: the title registry (sổ công nhận danh hiệu) and the signed decisions."""

from __future__ import annotations

from collections.abc import Iterable

from kh_saas.projections.model import (
    Add,
    Change,
    Column,
    Insert,
    LoggedEvent,
    Lookup,
    Table,
    Update,
    UpdateWhere,
)
from kh_saas.projections.registers.subjects import SUBJECT_COLUMNS
from kh_saas.projections.values import day, uid

GRANTED = "kh_saas.domain.recognitions:Recognition.Granted"
REVOKED = "kh_saas.domain.recognitions:Recognition.Revoked"
DECISION_RECORDED = "kh_saas.domain.recognitions:RecognitionDecision.Recorded"
DECISION_CORRECTED = "kh_saas.domain.recognitions:RecognitionDecision.Corrected"
REVOCATION_RECORDED = "kh_saas.domain.recognitions:RevocationDecision.Recorded"

_SUBJECT = [
    Column("subject_id", "uuid NOT NULL"),
    Column("subject_name", "text"),
    Column("subject_kind", "text"),
    Column("commune_code", "text"),
    Column("village_code", "text"),
    Column("search", "text"),
]

RECOGNITIONS = Table(
    "recognitions",
    [
        Column("id", "uuid NOT NULL"),
        Column("seq", "bigint NOT NULL"),
        *_SUBJECT,
        Column("title", "text NOT NULL"),
        Column("tier", "text NOT NULL"),
        Column("level", "integer"),
        Column("year", "integer NOT NULL"),
        Column("decision_id", "uuid NOT NULL"),
        Column("decision_number", "text NOT NULL"),
        Column("signed_on", "date NOT NULL"),
        Column("valid_until", "date NOT NULL"),
        Column("nomination_id", "uuid"),
        Column("revoked", "boolean NOT NULL"),
        Column("revocation_id", "uuid"),
        Column("revocation_number", "text"),
        Column("revocation_reason", "text"),
        Column("revoked_on", "date"),
    ],
    indexes=(
        "seq|pos_to IS NULL",
        "title, year, seq|pos_to IS NULL",
        "commune_code, seq|pos_to IS NULL",
        "village_code|pos_to IS NULL",
        "subject_id",
        "decision_id|pos_to IS NULL",
        "seq, sys_from",
    ),
    gin=("to_tsvector('simple', search)",),
    statistics=("title, year",),
)

DECISIONS = Table(
    "decisions",
    [
        Column("id", "uuid NOT NULL"),
        Column("seq", "bigint NOT NULL"),
        Column("kind", "text NOT NULL"),  # recognition | revocation
        Column("number", "text NOT NULL"),
        Column("signed_on", "date NOT NULL"),
        Column("issuer_office", "text NOT NULL"),
        Column("issuer_name", "text NOT NULL"),
        Column("issuer_unit_code", "text"),
        Column("signer_name", "text NOT NULL"),
        Column("signer_position", "text NOT NULL"),
        Column("title", "text"),
        Column("tier", "text"),
        Column("level", "integer"),
        Column("year", "integer"),
        Column("recipient_count", "integer NOT NULL"),
        Column("reason", "text"),
        Column("explanation", "text"),
        Column("corrections", "integer NOT NULL"),
    ],
    indexes=("seq|pos_to IS NULL", "signed_on, seq|pos_to IS NULL", "title, year|pos_to IS NULL"),
)

def granted(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    subject_id = uid(s["subject_id"])
    assert subject_id is not None
    yield Insert(
        "recognitions",
        {
            "id": e.originator_id,
            "seq": e.position,
            "subject_id": subject_id,
            "title": s["title"],
            "tier": s["tier"],
            "level": s.get("level"),
            "year": s["year"],
            "decision_id": uid(s["decision_id"]),
            "decision_number": s["decision_number"],
            "signed_on": day(s["signed_on"]),
            "valid_until": day(s["valid_until"]),
            "nomination_id": uid(s.get("nomination_id")),
            "revoked": False,
        },
        (Lookup("subjects", subject_id, SUBJECT_COLUMNS),),
    )


def revoked(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    yield Update(
        "recognitions",
        e.originator_id,
        {
            "revoked": True,
            "revocation_id": uid(s["revocation_id"]),
            "revocation_number": s["number"],
            "revocation_reason": s["reason"],
            "revoked_on": day(s["signed_on"]),
        },
    )


def _decision(e: LoggedEvent, kind: str, count: int) -> dict[str, object]:
    s = e.state
    issuer, signer = s["issuer"], s["signer"]
    return {
        "id": e.originator_id,
        "seq": e.position,
        "kind": kind,
        "number": s["number"],
        "signed_on": day(s["signed_on"]),
        "issuer_office": issuer["office"],
        "issuer_name": issuer["name"],
        "issuer_unit_code": issuer.get("unit_code"),
        "signer_name": signer["name"],
        "signer_position": signer["position"],
        "title": s.get("title"),
        "tier": s.get("tier"),
        "level": s.get("level"),
        "year": s.get("year"),
        "recipient_count": count,
        "reason": s.get("reason"),
        "explanation": s.get("explanation"),
        "corrections": 0,
    }


def decision_recorded(e: LoggedEvent) -> Iterable[Change]:
    yield Insert("decisions", _decision(e, "recognition", len(e.state["recipients"])))


def revocation_recorded(e: LoggedEvent) -> Iterable[Change]:
    yield Insert("decisions", _decision(e, "revocation", len(e.state["recognition_ids"])))


def decision_corrected(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    values: dict[str, object] = {"corrections": Add(1)}
    if s.get("number") is not None:
        values["number"] = s["number"]
    if s.get("signer") is not None:
        values.update(signer_name=s["signer"]["name"], signer_position=s["signer"]["position"])
    yield Update("decisions", e.originator_id, values)
    if s.get("number") is not None:
        yield UpdateWhere(
            "recognitions", "decision_id", e.originator_id, {"decision_number": s["number"]}
        )

