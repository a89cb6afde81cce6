"""The audit trail (nhật ký kiểm tra): one row per event about subjects, nominations,
recognitions, award proposals and awards, in log order, naming who did it in which role.

Events that do not name their subject (a revocation names the recognition, a review names
the nomination) find it through ``trail_links``, kept by the same projection: each
nomination, recognition, proposal and award with the subject(s) and decision it belongs to.
Subject histories and the chain of one recognition or award are read from the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kh_saas.projections.model import (
    Append,
    Change,
    Column,
    Insert,
    LoggedEvent,
    Lookup,
    Projection,
    Table,
)
from kh_saas.projections.values import day, role_of, uid

TRAIL = Table(
    "trail",
    [
        Column("position", "bigint NOT NULL"),
        Column("recorded_at", "timestamptz NOT NULL"),
        Column("effective_on", "date"),
        Column("event", "text NOT NULL"),
        Column("actor", "text"),
        Column("role", "text"),
        Column("entity_id", "uuid NOT NULL"),
        Column("subject_id", "uuid"),
        Column("subject_ids", "uuid[]"),
        Column("nomination_id", "uuid"),
        Column("recognition_id", "uuid"),
        Column("proposal_id", "uuid"),
        Column("award_id", "uuid"),
        Column("decision_id", "uuid"),
        Column("decision_number", "text"),
        Column("reason", "text"),
    ],
    indexes=(
        "position",
        "subject_id, position",
        "entity_id, position",
        "decision_id, position",
        "actor, position",
        "recorded_at",
    ),
    versioned=False,
    gin=("subject_ids",),
)

LINKS = Table(
    "trail_links",
    [
        Column("id", "uuid NOT NULL"),
        Column("subject_id", "uuid"),
        Column("subject_ids", "uuid[]"),
        Column("nomination_id", "uuid"),
        Column("decision_id", "uuid"),
        Column("decision_number", "text"),
    ],
)

_LINKED = {
    "subject_id": "subject_id",
    "subject_ids": "subject_ids",
    "nomination_id": "nomination_id",
}


def _row(e: LoggedEvent, event: str, **values: Any) -> dict[str, Any]:
    actor = e.state.get("actor")
    return {
        "position": e.position,
        "recorded_at": e.recorded_at,
        "event": event,
        "actor": actor,
        "role": role_of(actor),
        "entity_id": e.originator_id,
        **values,
    }


def _reason(e: LoggedEvent) -> str | None:
    s = e.state
    reasons = s.get("reasons")
    if reasons:
        return "; ".join(reasons)
    return s.get("reason") or s.get("explanation")


Handler = Callable[[LoggedEvent], Iterable[Change]]
HANDLERS: dict[str, Handler] = {}


def on(topic: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[topic] = fn
        return fn

    return register


S, N, R, A = (
    "kh_saas.domain.subjects:Subject.",
    "kh_saas.domain.nominations:Nomination.",
    "kh_saas.domain.recognitions:",
    "kh_saas.domain.awards:",
)


@on(S + "Registered")
def subject_registered(e: LoggedEvent) -> Iterable[Change]:
    yield Append("trail", _row(e, "subject.registered", subject_id=e.originator_id))


@on(S + "Corrected")
def subject_corrected(e: LoggedEvent) -> Iterable[Change]:
    yield Append(
        "trail", _row(e, "subject.corrected", subject_id=e.originator_id, reason=_reason(e))
    )


@on(N + "Created")
def nomination_created(e: LoggedEvent) -> Iterable[Change]:
    subject_id = uid(e.state["subject_id"])
    yield Insert("trail_links", {"id": e.originator_id, "subject_id": subject_id})
    yield Append(
        "trail",
        _row(e, "nomination.created", subject_id=subject_id, nomination_id=e.originator_id),
    )


def _nomination_step(verb: str) -> Handler:
    def handle(e: LoggedEvent) -> Iterable[Change]:
        row = _row(e, f"nomination.{verb}", nomination_id=e.originator_id, reason=_reason(e))
        yield Append("trail", row, (Lookup("trail_links", e.originator_id, _LINKED),))

    return handle


for _name, _verb in (
    ("SelfAssessed", "self_assessed"),
    ("EvidenceAttached", "evidence_attached"),
    ("Submitted", "submitted"),
    ("Reviewed", "reviewed"),
    ("Returned", "returned"),
    ("Resubmitted", "resubmitted"),
    ("Approved", "approved"),
    ("Rejected", "rejected"),
    ("Withdrawn", "withdrawn"),
):
    HANDLERS[N + _name] = _nomination_step(_verb)


@on(R + "Recognition.Granted")
def recognition_granted(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    links = {
        "subject_id": uid(s["subject_id"]),
        "nomination_id": uid(s.get("nomination_id")),
        "decision_id": uid(s["decision_id"]),
        "decision_number": s["decision_number"],
    }
    yield Insert("trail_links", {"id": e.originator_id, **links})
    row = _row(
        e, "recognition.granted", recognition_id=e.originator_id, effective_on=day(s["signed_on"])
    )
    yield Append("trail", {**row, **links})


@on(R + "Recognition.Revoked")
def recognition_revoked(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    row = _row(
        e,
        "recognition.revoked",
        recognition_id=e.originator_id,
        decision_id=uid(s["revocation_id"]),
        decision_number=s["number"],
        effective_on=day(s["signed_on"]),
        reason=s.get("reason"),
    )
    yield Append("trail", row, (Lookup("trail_links", e.originator_id, _LINKED),))


def _decision(event: str) -> Handler:
    def handle(e: LoggedEvent) -> Iterable[Change]:
        s = e.state
        yield Append(
            "trail",
            _row(
                e,
                event,
                decision_id=e.originator_id,
                decision_number=s.get("number"),
                effective_on=day(s.get("signed_on")),
                reason=_reason(e),
            ),
        )

    return handle


HANDLERS[R + "RecognitionDecision.Recorded"] = _decision("decision.recorded")
HANDLERS[R + "RecognitionDecision.Corrected"] = _decision("decision.corrected")
HANDLERS[R + "RevocationDecision.Recorded"] = _decision("revocation.recorded")
HANDLERS[A + "AwardDecision.Signed"] = _decision("award_decision.signed")
HANDLERS[A + "AwardDecision.Corrected"] = _decision("award_decision.corrected")
HANDLERS[A + "AwardAnnulment.Signed"] = _decision("award_annulment.signed")


@on(A + "AwardProposal.Filed")
def proposal_filed(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    subjects = [uid(line["subject_id"]) for line in s["lines"]]
    yield Insert("trail_links", {"id": e.originator_id, "subject_ids": subjects})
    yield Append(
        "trail",
        _row(
            e,
            "award_proposal.filed",
            proposal_id=e.originator_id,
            subject_ids=subjects,
            decision_number=s["number"],
        ),
    )


def _proposal_step(verb: str) -> Handler:
    def handle(e: LoggedEvent) -> Iterable[Change]:
        row = _row(e, f"award_proposal.{verb}", proposal_id=e.originator_id, reason=_reason(e))
        yield Append("trail", row, (Lookup("trail_links", e.originator_id, _LINKED),))

    return handle


for _name, _verb in (
    ("Submitted", "submitted"),
    ("Reviewed", "reviewed"),
    ("Approved", "approved"),
    ("Returned", "returned"),
    ("Rejected", "rejected"),
    ("Forwarded", "forwarded"),
):
    HANDLERS[A + "AwardProposal." + _name] = _proposal_step(_verb)


@on(A + "Award.Granted")
def award_granted(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    links = {
        "subject_id": uid(s["subject_id"]),
        "decision_id": uid(s["decision_id"]),
        "decision_number": s["decision_number"],
    }
    yield Insert("trail_links", {"id": e.originator_id, **links})
    row = _row(e, "award.granted", award_id=e.originator_id, effective_on=day(s["signed_on"]))
    yield Append("trail", {**row, **links})


@on(A + "Award.Annulled")
def award_annulled(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    row = _row(
        e,
        "award.annulled",
        award_id=e.originator_id,
        decision_id=uid(s["annulment_id"]),
        decision_number=s["number"],
        effective_on=day(s["signed_on"]),
        reason=s.get("reason"),
    )
    yield Append("trail", row, (Lookup("trail_links", e.originator_id, _LINKED),))


@on(A + "Award.Recovered")
def award_recovered(e: LoggedEvent) -> Iterable[Change]:
    row = _row(e, "award.recovered", award_id=e.originator_id, effective_on=day(e.state["on"]))
    yield Append("trail", row, (Lookup("trail_links", e.originator_id, _LINKED),))


TRAIL_PROJECTION = Projection(name="trail", version=1, tables=(TRAIL, LINKS), handlers=HANDLERS)
