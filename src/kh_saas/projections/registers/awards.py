"""Awards (khen thưởng): proposals, decisions and the awards they grant, annul and recover."""

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

A = "kh_saas.domain.awards:"
AWARD_GRANTED = A + "Award.Granted"
AWARD_ANNULLED = A + "Award.Annulled"
AWARD_RECOVERED = A + "Award.Recovered"
DECISION_SIGNED = A + "AwardDecision.Signed"
DECISION_CORRECTED = A + "AwardDecision.Corrected"
ANNULMENT_SIGNED = A + "AwardAnnulment.Signed"
PROPOSAL = A + "AwardProposal."

_ACHIEVEMENT = [
    Column("movement", "text NOT NULL"),
    Column("period", "text NOT NULL"),
    Column("occasion", "text NOT NULL"),
]

AWARDS = Table(
    "awards",
    [
        Column("id", "uuid NOT NULL"),
        Column("seq", "bigint NOT NULL"),
        Column("subject_id", "uuid NOT NULL"),
        Column("subject_name", "text"),
        Column("subject_kind", "text"),
        Column("commune_code", "text"),
        Column("village_code", "text"),
        Column("search", "text"),
        Column("recipient_kind", "text NOT NULL"),
        Column("form", "text NOT NULL"),
        *_ACHIEVEMENT,
        Column("citation", "text NOT NULL"),
        Column("bonus_vnd", "bigint NOT NULL"),
        Column("decision_id", "uuid NOT NULL"),
        Column("decision_number", "text NOT NULL"),
        Column("signed_on", "date NOT NULL"),
        Column("annulled", "boolean NOT NULL"),
        Column("annulment_id", "uuid"),
        Column("annulment_number", "text"),
        Column("annulment_reason", "text"),
        Column("annulled_on", "date"),
        Column("certificate_recovered", "boolean NOT NULL"),
        Column("bonus_recovered_vnd", "bigint NOT NULL"),
    ],
    indexes=(
        "seq|pos_to IS NULL",
        "form, period, seq|pos_to IS NULL",
        "period, occasion|pos_to IS NULL",
        "subject_id",
        "decision_id|pos_to IS NULL",
        "seq, sys_from",
    ),
    gin=("to_tsvector('simple', search)",),
)

AWARD_DECISIONS = Table(
    "award_decisions",
    [
        Column("id", "uuid NOT NULL"),
        Column("seq", "bigint NOT NULL"),
        Column("kind", "text NOT NULL"),  # award | annulment
        Column("number", "text NOT NULL"),
        Column("signed_on", "date NOT NULL"),
        Column("issuer_signer", "text NOT NULL"),
        Column("issuer_name", "text NOT NULL"),
        Column("issuer_unit_code", "text"),
        Column("signer_name", "text NOT NULL"),
        Column("signer_position", "text NOT NULL"),
        Column("form", "text"),
        Column("movement", "text"),
        Column("period", "text"),
        Column("occasion", "text"),
        Column("recipient_count", "integer NOT NULL"),
        Column("base_salary_vnd", "bigint"),
        Column("total_bonus_vnd", "bigint"),
        Column("proposal_id", "uuid"),
        Column("reason", "text"),
        Column("corrections", "integer NOT NULL"),
    ],
    indexes=("seq|pos_to IS NULL", "form, period|pos_to IS NULL"),
)

PROPOSALS = Table(
    "award_proposals",
    [
        Column("id", "uuid NOT NULL"),
        Column("seq", "bigint NOT NULL"),
        Column("number", "text NOT NULL"),
        Column("proposer_signer", "text NOT NULL"),
        Column("proposer_name", "text NOT NULL"),
        Column("form", "text NOT NULL"),
        *_ACHIEVEMENT,
        Column("line_count", "integer NOT NULL"),
        Column("subject_ids", "uuid[] NOT NULL"),
        Column("status", "text NOT NULL"),
        Column("parent_id", "uuid"),
        Column("forwarded_to", "uuid"),
    ],
    indexes=("seq|pos_to IS NULL", "parent_id"),
    gin=("subject_ids",),
)

def granted(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    subject_id = uid(s["subject_id"])
    assert subject_id is not None
    a = s["achievement"]
    yield Insert(
        "awards",
        {
            "id": e.originator_id,
            "seq": e.position,
            "subject_id": subject_id,
            "recipient_kind": s["recipient_kind"],
            "form": s["form"],
            "movement": a["movement"],
            "period": a["period"],
            "occasion": a["occasion"],
            "citation": s["citation"],
            "bonus_vnd": s["bonus_vnd"],
            "decision_id": uid(s["decision_id"]),
            "decision_number": s["decision_number"],
            "signed_on": day(s["signed_on"]),
            "annulled": False,
            "certificate_recovered": False,
            "bonus_recovered_vnd": 0,
        },
        (Lookup("subjects", subject_id, SUBJECT_COLUMNS),),
    )


def annulled(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    yield Update(
        "awards",
        e.originator_id,
        {
            "annulled": True,
            "annulment_id": uid(s["annulment_id"]),
            "annulment_number": s["number"],
            "annulment_reason": s["reason"],
            "annulled_on": day(s["signed_on"]),
        },
    )


def recovered(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    values: dict[str, object] = {"bonus_recovered_vnd": Add(int(s.get("bonus_vnd") or 0))}
    if s.get("certificate"):
        values["certificate_recovered"] = True
    yield Update("awards", e.originator_id, values)


def _signed(e: LoggedEvent, kind: str, count: int) -> dict[str, object]:
    s = e.state
    issuer, signer = s["issuer"], s["signer"]
    a = s.get("achievement") or {}
    return {
        "id": e.originator_id,
        "seq": e.position,
        "kind": kind,
        "number": s["number"],
        "signed_on": day(s["signed_on"]),
        "issuer_signer": issuer["signer"],
        "issuer_name": issuer["name"],
        "issuer_unit_code": issuer.get("unit_code"),
        "signer_name": signer["name"],
        "signer_position": signer["position"],
        "form": s.get("form"),
        "movement": a.get("movement"),
        "period": a.get("period"),
        "occasion": a.get("occasion"),
        "recipient_count": count,
        "base_salary_vnd": s.get("base_salary_vnd"),
        "total_bonus_vnd": s.get("total_bonus_vnd"),
        "proposal_id": uid(s.get("proposal_id")),
        "reason": s.get("reason"),
        "corrections": 0,
    }


def decision_signed(e: LoggedEvent) -> Iterable[Change]:
    yield Insert("award_decisions", _signed(e, "award", len(e.state["recipients"])))


def annulment_signed(e: LoggedEvent) -> Iterable[Change]:
    yield Insert("award_decisions", _signed(e, "annulment", len(e.state["award_ids"])))


def decision_corrected(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    values: dict[str, object] = {"corrections": Add(1)}
    if s.get("number") is not None:
        values["number"] = s["number"]
    if s.get("signer") is not None:
        values.update(signer_name=s["signer"]["name"], signer_position=s["signer"]["position"])
    yield Update("award_decisions", e.originator_id, values)
    if s.get("number") is not None:
        number = {"decision_number": s["number"]}
        yield UpdateWhere("awards", "decision_id", e.originator_id, number)


def proposal_filed(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    a = s["achievement"]
    lines = s["lines"]
    yield Insert(
        "award_proposals",
        {
            "id": e.originator_id,
            "seq": e.position,
            "number": s["number"],
            "proposer_signer": s["proposer"]["signer"],
            "proposer_name": s["proposer"]["name"],
            "form": s["form"],
            "movement": a["movement"],
            "period": a["period"],
            "occasion": a["occasion"],
            "line_count": len(lines),
            "subject_ids": [uid(line["subject_id"]) for line in lines],
            "status": "draft",
            "parent_id": uid(s.get("parent_id")),
        },
    )


PROPOSAL_STATUS = {
    "Submitted": "submitted",
    "Approved": "approved",
    "Returned": "returned",
    "Rejected": "rejected",
    "Forwarded": "forwarded",
}


def proposal_moved(e: LoggedEvent) -> Iterable[Change]:
    action = e.name.rpartition(".")[2]
    values: dict[str, object] = {"status": PROPOSAL_STATUS[action]}
    if action == "Forwarded":
        values["forwarded_to"] = uid(e.state["to"])
    yield Update("award_proposals", e.originator_id, values)


HANDLERS = {
    AWARD_GRANTED: granted,
    AWARD_ANNULLED: annulled,
    AWARD_RECOVERED: recovered,
    DECISION_SIGNED: decision_signed,
    DECISION_CORRECTED: decision_corrected,
    ANNULMENT_SIGNED: annulment_signed,
    PROPOSAL + "Filed": proposal_filed,
    **{PROPOSAL + name: proposal_moved for name in PROPOSAL_STATUS},
}
