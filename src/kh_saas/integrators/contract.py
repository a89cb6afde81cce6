"""The public event contract (hợp đồng sự kiện công khai): internal events → CloudEvents 1.0.

The one place internal events are mapped to what integrators get. Internal events may
change; these types may not: a change that breaks a type's JSON Schema is a new ``.vN``.

Each public event is a CloudEvents 1.0 structured-mode JSON object:

* ``specversion`` ``1.0``; ``id`` stable forever (a UUIDv5 of tenant slug, aggregate id and
  aggregate version, so a rebuild or a replay gives the same id); ``source``
  ``/tenants/{slug}``; ``type`` ``vn.khuyenhoc.<noun>.<verb>.v1``; ``time`` when it was
  recorded; ``subject`` the resource (``recognitions/{id}``); ``datacontenttype``
  ``application/json``; ``dataschema`` the type's JSON Schema ``$id``;
* the extension ``sequence``: its position in the tenant's log (increasing in commit order,
  with holes; nothing is ever skipped or reordered).

What never appears: evidence files (minh chứng), reviewer notes and scores by indicator,
citizen ids (số CCCD), birth years, occupations, free-text reasons and explanations, actors
and keys. A recipient is its (keyed, opaque) id, kind, name and unit: commune and village.

Handlers are pure: they map one logged event to a :class:`Draft` — the type, the resource,
the data, and lookups of names the event itself does not carry (a recognition names its
subject by id; the projection keeps the subjects' current names). :func:`envelope` then
completes it into the CloudEvent as the row is written, when the tenant is known.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from kh_saas.integrators import slug_of

if TYPE_CHECKING:  # the projection package imports this module: no cycle at run time
    from kh_saas.projections.model import LoggedEvent

SPECVERSION = "1.0"
TYPE_PREFIX = "vn.khuyenhoc."
DATACONTENTTYPE = "application/json"
#: Base of each type's JSON Schema ``$id`` (an identifier, never fetched: the schemas are
#: served by the service itself at ``/v1/t/{slug}/events/schemas``).
SCHEMA_BASE = "https://schemas.khuyenhoc.vn/events/"
#: Namespace of event ids (UUIDv5): never change it, ids are forever.
EVENT_ID_NAMESPACE = UUID("5b0f3a8e-6c1d-5e2a-9a43-6b1d0c7e4f21")


def event_type(noun: str, verb: str, version: int = 1) -> str:
    return f"{TYPE_PREFIX}{noun}.{verb}.v{version}"


RECOGNITION_GRANTED = event_type("recognition", "granted")
RECOGNITION_REVOKED = event_type("recognition", "revoked")
RECOGNITION_CORRECTED = event_type("recognition", "corrected")
DECISION_RECORDED = event_type("decision", "recorded")
AWARD_GRANTED = event_type("award", "granted")
AWARD_ANNULLED = event_type("award", "annulled")
AWARD_RECOVERED = event_type("award", "recovered")
AWARD_CORRECTED = event_type("award", "corrected")
NOMINATION_APPROVED = event_type("nomination", "approved")
AWARD_PROPOSAL_FORWARDED = event_type("award_proposal", "forwarded")

#: Every public type, with what it means (the AsyncAPI document and the schemas say the same).
TYPES: dict[str, str] = {
    RECOGNITION_GRANTED: "A subject was recognised with a learning title (công nhận danh hiệu).",
    RECOGNITION_REVOKED: "A recognition was revoked by a revocation decision (thu hồi).",
    RECOGNITION_CORRECTED: (
        "The decision that granted recognitions was corrected (đính chính): its number or "
        "signer; every recognition whose `decision.id` matches carries the new values."
    ),
    DECISION_RECORDED: (
        "A signed decision was recorded: recognition, revocation, award or annulment."
    ),
    AWARD_GRANTED: "A subject was given an award (khen thưởng) by an award decision.",
    AWARD_ANNULLED: "An award was annulled by an annulment decision (hủy bỏ khen thưởng).",
    AWARD_RECOVERED: "The certificate or bonus of an annulled award was recovered (thu hồi).",
    AWARD_CORRECTED: (
        "The decision that granted awards was corrected (đính chính): its number or signer."
    ),
    NOMINATION_APPROVED: "A nomination (hồ sơ đề nghị) was approved by the council.",
    AWARD_PROPOSAL_FORWARDED: (
        "An award proposal (tờ trình) was forwarded to the next authority (trình cấp trên)."
    ),
}


def schema_id(type_: str) -> str:
    return f"{SCHEMA_BASE}{type_}.json"


def event_id(slug: str, originator_id: UUID, originator_version: int) -> str:
    """Stable forever: the same tenant, aggregate and version give the same id."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{slug}/{originator_id}/{originator_version}"))


class Lookup(NamedTuple):
    """Copy ``columns`` (row key → column) from the current row ``id`` of a helper table
    (the projection's :class:`~kh_saas.projections.model.Lookup`, field for field)."""

    table: str
    id: UUID
    columns: Mapping[str, str]


class Draft(NamedTuple):
    """A public event before its envelope: what a handler knows from one logged event."""

    type: str
    subject: str
    data: dict[str, Any]
    lookups: tuple[Lookup, ...] = ()


# --- helper tables of the projection (current names the events themselves lack) ---------

SUBJECTS = "public_subjects"
HOLDINGS = "public_holdings"  # recognitions and awards: whose, and for what
NOMINATIONS = "public_nominations"
PROPOSALS = "public_proposals"

#: Looked-up columns land in the row under these names, then :func:`envelope` places them.
RECIPIENT = {"r_name": "name", "r_kind": "kind", "r_commune": "commune_code",
             "r_village": "village_code"}  # fmt: skip


def _recipient_lookup(table: str, ident: UUID, *extra: str) -> Lookup:
    columns = {**RECIPIENT, **{f"h_{c}": c for c in extra}}
    if table != SUBJECTS:
        columns["r_id"] = "subject_id"
    return Lookup(table, ident, columns)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _decision_ref(number: str, signed_on: str, ident: Any) -> dict[str, Any]:
    return {"id": str(ident), "number": number, "signed_on": signed_on}


def _issuer(issuer: Mapping[str, Any]) -> dict[str, Any]:
    authority = issuer.get("office") or issuer.get("signer")
    return {"authority": authority, "name": issuer["name"], "unit_code": issuer.get("unit_code")}


def _signer(signer: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": signer["name"], "position": signer["position"]}


def _achievement(a: Mapping[str, Any]) -> dict[str, Any]:
    return {"movement": a["movement"], "period": a["period"], "occasion": a["occasion"]}


# --- handlers: internal topic → draft ----------------------------------------------------


def recognition_granted(e: LoggedEvent) -> Draft:
    s = e.state
    subject_id = _uuid(s["subject_id"])
    return Draft(
        RECOGNITION_GRANTED,
        f"recognitions/{e.originator_id}",
        {
            "recognition_id": str(e.originator_id),
            "recipient": {"id": str(subject_id)},
            "title": s["title"],
            "tier": s["tier"],
            "level": s.get("level"),
            "year": s["year"],
            "decision": _decision_ref(s["decision_number"], s["signed_on"], s["decision_id"]),
            "valid_until": s["valid_until"],
            "nomination_id": s.get("nomination_id"),
        },
        (_recipient_lookup(SUBJECTS, subject_id),),
    )


def recognition_revoked(e: LoggedEvent) -> Draft:
    s = e.state
    return Draft(
        RECOGNITION_REVOKED,
        f"recognitions/{e.originator_id}",
        {
            "recognition_id": str(e.originator_id),
            "recipient": {},
            "revocation": {
                **_decision_ref(s["number"], s["signed_on"], s["revocation_id"]),
                "reason": s["reason"],
            },
        },
        (_recipient_lookup(HOLDINGS, e.originator_id, "title", "year"),),
    )


def decision_corrected(type_: str) -> Callable[[LoggedEvent], Draft]:
    def corrected(e: LoggedEvent) -> Draft:
        s = e.state
        signer = s.get("signer")
        return Draft(
            type_,
            f"decisions/{e.originator_id}",
            {
                "decision_id": str(e.originator_id),
                "number": s.get("number"),
                "signer": None if signer is None else _signer(signer),
            },
        )

    return corrected


def _decision(e: LoggedEvent, kind: str, count: int, **extra: Any) -> Draft:
    s = e.state
    data = {
        "decision_id": str(e.originator_id),
        "kind": kind,
        "number": s["number"],
        "signed_on": s["signed_on"],
        "issuer": _issuer(s["issuer"]),
        "signer": _signer(s["signer"]),
        "recipient_count": count,
        **extra,
    }
    return Draft(DECISION_RECORDED, f"decisions/{e.originator_id}", data)


def recognition_decision(e: LoggedEvent) -> Draft:
    s = e.state
    return _decision(
        e,
        "recognition",
        len(s["recipients"]),
        title=s["title"],
        tier=s["tier"],
        level=s.get("level"),
        year=s["year"],
    )


def revocation_decision(e: LoggedEvent) -> Draft:
    s = e.state
    return _decision(e, "revocation", len(s["recognition_ids"]), reason=s["reason"])


def award_decision(e: LoggedEvent) -> Draft:
    s = e.state
    return _decision(
        e,
        "award",
        len(s["recipients"]),
        form=s["form"],
        achievement=_achievement(s["achievement"]),
        total_bonus_vnd=s.get("total_bonus_vnd"),
    )


def annulment_decision(e: LoggedEvent) -> Draft:
    s = e.state
    return _decision(e, "annulment", len(s["award_ids"]), reason=s["reason"])


def award_granted(e: LoggedEvent) -> Draft:
    s = e.state
    subject_id = _uuid(s["subject_id"])
    return Draft(
        AWARD_GRANTED,
        f"awards/{e.originator_id}",
        {
            "award_id": str(e.originator_id),
            "recipient": {"id": str(subject_id)},
            "recipient_kind": s["recipient_kind"],
            "form": s["form"],
            "achievement": _achievement(s["achievement"]),
            "citation": s["citation"],
            "bonus_vnd": s["bonus_vnd"],
            "decision": _decision_ref(s["decision_number"], s["signed_on"], s["decision_id"]),
        },
        (_recipient_lookup(SUBJECTS, subject_id),),
    )


def award_annulled(e: LoggedEvent) -> Draft:
    s = e.state
    return Draft(
        AWARD_ANNULLED,
        f"awards/{e.originator_id}",
        {
            "award_id": str(e.originator_id),
            "recipient": {},
            "annulment": {
                **_decision_ref(s["number"], s["signed_on"], s["annulment_id"]),
                "reason": s["reason"],
            },
        },
        (_recipient_lookup(HOLDINGS, e.originator_id, "form"),),
    )


def award_recovered(e: LoggedEvent) -> Draft:
    s = e.state
    return Draft(
        AWARD_RECOVERED,
        f"awards/{e.originator_id}",
        {
            "award_id": str(e.originator_id),
            "certificate": bool(s.get("certificate")),
            "bonus_vnd": int(s.get("bonus_vnd") or 0),
            "on": s["on"],
        },
    )


def nomination_approved(e: LoggedEvent) -> Draft:
    s = e.state
    total = s.get("total")
    return Draft(
        NOMINATION_APPROVED,
        f"nominations/{e.originator_id}",
        {
            "nomination_id": str(e.originator_id),
            "recipient": {},
            "level_reached": s.get("level_reached"),
            "total": None if total is None else str(total),
        },
        (_recipient_lookup(NOMINATIONS, e.originator_id, "title", "tier", "level", "year"),),
    )


_PROPOSAL = {
    "p_number": "number",
    "p_form": "form",
    "p_movement": "movement",
    "p_period": "period",
    "p_occasion": "occasion",
    "p_proposer_name": "proposer_name",
    "p_proposer_authority": "proposer_authority",
    "p_line_count": "line_count",
}


_UPPER = {
    "t_number": "number",
    "t_proposer_name": "proposer_name",
    "t_proposer_authority": "proposer_authority",
}


def proposal_forwarded(e: LoggedEvent) -> Draft:
    to = _uuid(e.state["to"])
    return Draft(
        AWARD_PROPOSAL_FORWARDED,
        f"award-proposals/{e.originator_id}",
        {"proposal_id": str(e.originator_id), "to": {"proposal_id": str(to)}},
        (
            Lookup(PROPOSALS, e.originator_id, _PROPOSAL),
            Lookup(PROPOSALS, to, _UPPER),
        ),
    )


R = "kh_saas.domain.recognitions:"
A = "kh_saas.domain.awards:"

#: Internal topic → the public event it becomes (topics not listed stay internal).
HANDLERS: dict[str, Callable[[LoggedEvent], Draft]] = {
    R + "Recognition.Granted": recognition_granted,
    R + "Recognition.Revoked": recognition_revoked,
    R + "RecognitionDecision.Recorded": recognition_decision,
    R + "RecognitionDecision.Corrected": decision_corrected(RECOGNITION_CORRECTED),
    R + "RevocationDecision.Recorded": revocation_decision,
    A + "AwardDecision.Signed": award_decision,
    A + "AwardDecision.Corrected": decision_corrected(AWARD_CORRECTED),
    A + "AwardAnnulment.Signed": annulment_decision,
    A + "Award.Granted": award_granted,
    A + "Award.Annulled": award_annulled,
    A + "Award.Recovered": award_recovered,
    "kh_saas.domain.nominations:Nomination.Approved": nomination_approved,
    A + "AwardProposal.Forwarded": proposal_forwarded,
}


def draft_row(e: LoggedEvent, draft: Draft) -> dict[str, Any]:
    """The row a draft is written as (looked-up columns are added beside it)."""
    return {
        "sequence": e.position,
        "type": draft.type,
        "recorded_at": e.recorded_at,
        "subject": draft.subject,
        "data": draft.data,
        "originator_id": e.originator_id,
        "originator_version": e.originator_version,
    }


def _place_lookups(row: Mapping[str, Any], data: dict[str, Any]) -> None:
    recipient = data.get("recipient")
    if recipient is not None:
        found = row.get("r_id")
        recipient["id"] = str(found) if found is not None else recipient.get("id")
        recipient.update(
            kind=row.get("r_kind"),
            name=row.get("r_name"),
            commune_code=row.get("r_commune"),
            village_code=row.get("r_village"),
        )
    for column in ("title", "tier", "level", "year", "form"):
        if f"h_{column}" in row:
            data[column] = row[f"h_{column}"]
    if "proposal_id" in data and "to" in data:
        data.update(
            number=row.get("p_number"),
            form=row.get("p_form"),
            achievement=None
            if row.get("p_period") is None
            else {
                "movement": row.get("p_movement"),
                "period": row.get("p_period"),
                "occasion": row.get("p_occasion"),
            },
            proposer={
                "name": row.get("p_proposer_name"),
                "authority": row.get("p_proposer_authority"),
            },
            line_count=row.get("p_line_count"),
        )
        data["to"].update(
            number=row.get("t_number"),
            proposer={
                "name": row.get("t_proposer_name"),
                "authority": row.get("t_proposer_authority"),
            },
        )


def envelope(schema: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The CloudEvent of a drafted row, for the tenant of ``schema``."""
    slug = slug_of(schema)
    data = dict(row["data"])
    _place_lookups(row, data)
    recorded_at: datetime = row["recorded_at"]
    type_: str = row["type"]
    return {
        "specversion": SPECVERSION,
        "id": event_id(slug, row["originator_id"], row["originator_version"]),
        "source": f"/tenants/{slug}",
        "type": type_,
        "time": recorded_at.isoformat().replace("+00:00", "Z"),
        "subject": row["subject"],
        "datacontenttype": DATACONTENTTYPE,
        "dataschema": schema_id(type_),
        "sequence": row["sequence"],
        "data": data,
    }
