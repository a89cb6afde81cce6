"""Subjects (đối tượng) as registered and corrected: the listing, and what titles copy."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from kh_saas.projections.model import (
    Add,
    Change,
    Column,
    Insert,
    LoggedEvent,
    Table,
    Update,
    UpdateWhere,
)
from kh_saas.projections.search import search_words

REGISTERED = "kh_saas.domain.subjects:Subject.Registered"
CORRECTED = "kh_saas.domain.subjects:Subject.Corrected"

SUBJECTS = Table(
    "subjects",
    [
        Column("id", "uuid NOT NULL"),
        Column("seq", "bigint NOT NULL"),  # creation position: the listing's stable order
        Column("kind", "text NOT NULL"),
        Column("name", "text NOT NULL"),
        Column("search", "text NOT NULL"),
        Column("commune_code", "text"),
        Column("village_code", "text"),
        Column("ref", "text"),
        Column("citizen_id", "text"),
        Column("details", "jsonb NOT NULL"),
        Column("corrections", "integer NOT NULL"),
        Column("registered_at", "timestamptz NOT NULL"),
    ],
    indexes=(
        "seq|pos_to IS NULL",
        "kind, seq|pos_to IS NULL",
        "commune_code, seq|pos_to IS NULL",
        "village_code|pos_to IS NULL",
        "seq, sys_from",
    ),
    gin=("to_tsvector('simple', search)",),
)

#: Columns a subject gives the rows about it (target ← subjects column).
SUBJECT_COLUMNS = {
    "subject_name": "name",
    "subject_kind": "kind",
    "commune_code": "commune_code",
    "village_code": "village_code",
    "search": "search",
}

_details = msgspec.json.Encoder()


def _detail_fields(details: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in details.items() if k != "type"}


def registered(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    details = dict(s.get("details") or {})
    yield Insert(
        "subjects",
        {
            "id": e.originator_id,
            "seq": e.position,
            "kind": s["kind"],
            "name": s["name"],
            "search": search_words(s["name"]),
            "commune_code": s.get("commune_code"),
            "village_code": s.get("village_code"),
            "ref": s.get("ref"),
            "citizen_id": details.get("citizen_id"),
            "details": _details.encode(_detail_fields(details)).decode(),
            "corrections": 0,
            "registered_at": e.recorded_at,
        },
    )


def corrected(e: LoggedEvent, copied_by: tuple[str, ...]) -> Iterable[Change]:
    """Đính chính: the subject's row, and every row that carries its name."""
    s = e.state
    values: dict[str, object] = {"corrections": Add(1)}
    if s.get("name") is not None:
        values.update(name=s["name"], search=search_words(s["name"]))
    details = s.get("details")
    if details is not None:
        values["details"] = _details.encode(_detail_fields(dict(details))).decode()
        values["citizen_id"] = details.get("citizen_id")
    yield Update("subjects", e.originator_id, values)
    if s.get("name") is not None:
        copy = {"subject_name": s["name"], "search": search_words(s["name"])}
        for table in copied_by:
            yield UpdateWhere(table, "subject_id", e.originator_id, copy)
