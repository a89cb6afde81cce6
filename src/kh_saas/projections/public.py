"""The ``public_events`` projection (sự kiện công khai): public events in log order.

``{schema}.public_events (sequence bigint PRIMARY KEY, type, event jsonb, recorded_at)``
holds one CloudEvent per internal event the contract maps, keyed by its log position. The
engine applies the log in order and never skips (see :mod:`kh_saas.projections.runner`), and
batches commit one after another, so ``WHERE sequence > $after ORDER BY sequence`` on this
table is gap-free by construction: a row with a lower sequence can never appear after one
with a higher sequence was visible. Each batch that wrote rows notifies
:func:`~kh_saas.integrators.public_events_channel` as it commits.

Beside it, small versioned tables keep what the events themselves lack (a recognition names
its subject by id): subjects' current names and units, and whose each recognition, award,
nomination and proposal is. They are internal (``rm_public_*``), never served.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import msgspec

from kh_saas.integrators import PUBLIC_EVENTS_TABLE, public_events_channel
from kh_saas.integrators.contract import (
    HANDLERS,
    HOLDINGS,
    NOMINATIONS,
    PROPOSALS,
    SUBJECTS,
    Draft,
    draft_row,
    envelope,
)
from kh_saas.projections.model import (
    Append,
    Change,
    Column,
    Insert,
    LoggedEvent,
    Lookup,
    Projection,
    Table,
    Update,
    UpdateWhere,
)
from kh_saas.projections.values import uid

_encode = msgspec.json.Encoder()


def _finish(schema: str, row: dict[str, Any]) -> dict[str, Any]:
    event = envelope(schema, row)
    return {
        "sequence": row["sequence"],
        "type": row["type"],
        "event": _encode.encode(event).decode(),
        "recorded_at": row["recorded_at"],
    }


EVENTS = Table(
    PUBLIC_EVENTS_TABLE,
    [
        Column("sequence", "bigint PRIMARY KEY"),
        Column("type", "text NOT NULL"),
        Column("event", "jsonb NOT NULL"),
        Column("recorded_at", "timestamptz NOT NULL"),
    ],
    indexes=("type, sequence",),
    versioned=False,
    prefix="",
    finish=_finish,
)

_WHO = [
    Column("subject_id", "uuid"),
    Column("name", "text"),
    Column("kind", "text"),
    Column("commune_code", "text"),
    Column("village_code", "text"),
]

PUBLIC_SUBJECTS = Table(
    SUBJECTS,
    [
        Column("id", "uuid NOT NULL"),
        Column("name", "text NOT NULL"),
        Column("kind", "text NOT NULL"),
        Column("commune_code", "text"),
        Column("village_code", "text"),
    ],
)
PUBLIC_HOLDINGS = Table(
    HOLDINGS,
    [
        Column("id", "uuid NOT NULL"),
        *_WHO,
        Column("title", "text"),
        Column("year", "integer"),
        Column("form", "text"),
    ],
    indexes=("subject_id|pos_to IS NULL",),
)
PUBLIC_NOMINATIONS = Table(
    NOMINATIONS,
    [
        Column("id", "uuid NOT NULL"),
        *_WHO,
        Column("title", "text"),
        Column("tier", "text"),
        Column("level", "integer"),
        Column("year", "integer"),
    ],
    indexes=("subject_id|pos_to IS NULL",),
)
PUBLIC_PROPOSALS = Table(
    PROPOSALS,
    [
        Column("id", "uuid NOT NULL"),
        Column("number", "text"),
        Column("form", "text"),
        Column("movement", "text"),
        Column("period", "text"),
        Column("occasion", "text"),
        Column("proposer_name", "text"),
        Column("proposer_authority", "text"),
        Column("line_count", "integer"),
    ],
)

Mapped = Callable[[LoggedEvent], Draft]

_COPY = {"name": "name", "kind": "kind", "commune_code": "commune_code",
         "village_code": "village_code"}  # fmt: skip


def publish(handler: Mapped, e: LoggedEvent) -> Iterable[Change]:
    draft = handler(e)
    lookups = tuple(Lookup(*need) for need in draft.lookups)
    yield Append(PUBLIC_EVENTS_TABLE, draft_row(e, draft), lookups)


def subject_registered(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    yield Insert(
        SUBJECTS,
        {
            "id": e.originator_id,
            "name": s["name"],
            "kind": s["kind"],
            "commune_code": s.get("commune_code"),
            "village_code": s.get("village_code"),
        },
    )


def subject_corrected(e: LoggedEvent) -> Iterable[Change]:
    name = e.state.get("name")
    if name is None:
        return
    yield Update(SUBJECTS, e.originator_id, {"name": name})
    for table in (HOLDINGS, NOMINATIONS):
        yield UpdateWhere(table, "subject_id", e.originator_id, {"name": name})


def _held(e: LoggedEvent, **values: Any) -> Insert:
    subject_id = uid(e.state["subject_id"])
    assert subject_id is not None
    row = {"id": e.originator_id, "subject_id": subject_id, **values}
    return Insert(HOLDINGS, row, (Lookup(SUBJECTS, subject_id, _COPY),))


def recognition_granted(handler: Mapped, e: LoggedEvent) -> Iterable[Change]:
    yield _held(e, title=e.state["title"], year=e.state["year"])
    yield from publish(handler, e)


def award_granted(handler: Mapped, e: LoggedEvent) -> Iterable[Change]:
    yield _held(e, form=e.state["form"])
    yield from publish(handler, e)


def nomination_created(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    subject_id = uid(s["subject_id"])
    assert subject_id is not None
    yield Insert(
        NOMINATIONS,
        {
            "id": e.originator_id,
            "subject_id": subject_id,
            "title": s["title"],
            "tier": s["tier"],
            "level": s.get("level"),
            "year": s["year"],
        },
        (Lookup(SUBJECTS, subject_id, _COPY),),
    )


def proposal_filed(e: LoggedEvent) -> Iterable[Change]:
    s = e.state
    a, proposer = s["achievement"], s["proposer"]
    yield Insert(
        PROPOSALS,
        {
            "id": e.originator_id,
            "number": s["number"],
            "form": s["form"],
            "movement": a["movement"],
            "period": a["period"],
            "occasion": a["occasion"],
            "proposer_name": proposer["name"],
            "proposer_authority": proposer["signer"],
            "line_count": len(s["lines"]),
        },
    )


def _handlers() -> dict[str, Callable[[LoggedEvent], Iterable[Change]]]:
    found: dict[str, Callable[[LoggedEvent], Iterable[Change]]] = {
        topic: partial(publish, handler) for topic, handler in HANDLERS.items()
    }
    granted = {
        "kh_saas.domain.recognitions:Recognition.Granted": recognition_granted,
        "kh_saas.domain.awards:Award.Granted": award_granted,
    }
    for topic, wrap in granted.items():
        found[topic] = partial(wrap, HANDLERS[topic])
    found.update(
        {
            "kh_saas.domain.subjects:Subject.Registered": subject_registered,
            "kh_saas.domain.subjects:Subject.Corrected": subject_corrected,
            "kh_saas.domain.nominations:Nomination.Created": nomination_created,
            "kh_saas.domain.awards:AwardProposal.Filed": proposal_filed,
        }
    )
    return found


PUBLIC_EVENTS = Projection(
    name="public_events",
    version=1,
    tables=(EVENTS, PUBLIC_SUBJECTS, PUBLIC_HOLDINGS, PUBLIC_NOMINATIONS, PUBLIC_PROPOSALS),
    handlers=_handlers(),
    notify=public_events_channel,
)
