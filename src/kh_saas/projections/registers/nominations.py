"""Nominations (hồ sơ đề nghị) and where each stands."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kh_saas.projections.model import Change, Column, Insert, LoggedEvent, Lookup, Table, Update
from kh_saas.projections.registers.subjects import SUBJECT_COLUMNS
from kh_saas.projections.values import uid

PREFIX = "kh_saas.domain.nominations:Nomination."
CREATED = PREFIX + "Created"

NOMINATIONS = Table(
    "nominations",
    [
        Column("id", "uuid NOT NULL"),
        Column("seq", "bigint NOT NULL"),
        Column("subject_id", "uuid NOT NULL"),
        Column("subject_name", "text"),
        Column("subject_kind", "text"),
        Column("commune_code", "text"),
        Column("village_code", "text"),
        Column("search", "text"),
        Column("title", "text NOT NULL"),
        Column("tier", "text NOT NULL"),
        Column("level", "integer"),
        Column("year", "integer NOT NULL"),
        Column("criteria_set_id", "uuid"),
        Column("status", "text NOT NULL"),
        Column("level_reached", "integer"),
        Column("total", "numeric"),
        Column("created_at", "timestamptz NOT NULL"),
    ],
    indexes=(
        "seq|pos_to IS NULL",
        "status, seq|pos_to IS NULL",
        "title, year, seq|pos_to IS NULL",
        "commune_code, seq|pos_to IS NULL",
        "subject_id",
        "seq, sys_from",
    ),
)

#: Event → status it leaves the nomination in (others leave it as it was).
STATUS_AFTER = {
    "Submitted": "submitted",
    "Resubmitted": "submitted",
    "Returned": "returned",
    "Approved": "approved",
    "Rejected": "rejected",
    "Withdrawn": "withdrawn",
}


def created(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    subject_id = uid(s["subject_id"])
    assert subject_id is not None
    yield Insert(
        "nominations",
        {
            "id": e.originator_id,
            "seq": e.position,
            "subject_id": subject_id,
            "subject_kind": s.get("subject_kind"),
            "title": s["title"],
            "tier": s["tier"],
            "level": s.get("level"),
            "year": s["year"],
            "criteria_set_id": uid(s.get("criteria_set_id")),
            "status": "draft",
            "created_at": e.recorded_at,
        },
        (Lookup("subjects", subject_id, SUBJECT_COLUMNS),),
    )


def moved(e: LoggedEvent) -> Iterable[Change]:
    values: dict[str, object] = {"status": STATUS_AFTER[e.name.rpartition(".")[2]]}
    if e.name == "Nomination.Approved":
        total = e.state.get("total")
        values.update(
            level_reached=e.state.get("level_reached"),
            total=None if total is None else Decimal(str(total)),
        )
    yield Update("nominations", e.originator_id, values)


HANDLERS = {
    CREATED: created,
    **{PREFIX + name: moved for name in STATUS_AFTER},
}
