"""Registers as they stood at a moment, rebuilt from raw events (pure; no projections).

Events are fed in notification order; an event counts when its own recorded ``timestamp``
is at or before ``until`` (what the province had recorded by then). The title registry holds
every recognition granted and not revoked by then, with the subject's commune as registered;
the award register every award granted and not annulled, with its bonus. The counts follow
the read side's definitions (``GET /registers/recognitions`` and ``/registers/awards``).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import msgspec

SUBJECT_REGISTERED = "kh_saas.domain.subjects:Subject.Registered"
RECOGNITION_GRANTED = "kh_saas.domain.recognitions:Recognition.Granted"
RECOGNITION_REVOKED = "kh_saas.domain.recognitions:Recognition.Revoked"
AWARD_GRANTED = "kh_saas.domain.awards:Award.Granted"
AWARD_ANNULLED = "kh_saas.domain.awards:Award.Annulled"
ASSOCIATION_FORM = "association_certificate"  # the association's own, not a state form
_TOPICS = {
    SUBJECT_REGISTERED,
    RECOGNITION_GRANTED,
    RECOGNITION_REVOKED,
    AWARD_GRANTED,
    AWARD_ANNULLED,
}
_decode = msgspec.json.Decoder(dict[str, Any])


class RecognitionRow(msgspec.Struct, kw_only=True):
    recognition_id: str
    subject_id: str
    subject_kind: str | None
    commune_code: str | None
    title: str
    tier: str | None
    level: int | None
    year: int
    decision_number: str | None
    signed_on: date | None
    valid_until: date | None
    granted_position: int
    granted_at: datetime


class AwardRow(msgspec.Struct, kw_only=True):
    award_id: str
    subject_id: str
    recipient_kind: str
    form: str
    period: str | None
    occasion: str | None
    bonus_vnd: int
    decision_number: str | None
    signed_on: date | None
    granted_position: int
    granted_at: datetime


class RecognitionCount(msgspec.Struct, kw_only=True):
    title: str
    year: int
    commune_code: str | None
    count: int


class AwardCount(msgspec.Struct, kw_only=True):
    period: str | None
    occasion: str | None
    form: str
    recipient_kind: str
    state_form: bool
    count: int
    bonus_vnd: int


class Registers(msgspec.Struct, kw_only=True):
    until: datetime
    events_replayed: int
    last_position: int
    recognitions: list[RecognitionRow]
    recognition_counts: list[RecognitionCount]
    awards: list[AwardRow]
    award_counts: list[AwardCount]


def _date(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


class Replay:
    def __init__(self, until: datetime) -> None:
        if until.tzinfo is None:
            raise ValueError("until needs a UTC offset (e.g. 2025-12-31T23:59:59+07:00)")
        self.until = until
        self.replayed = 0
        self.last_position = 0
        self._subjects: dict[str, tuple[str | None, str | None]] = {}
        self._recognitions: dict[str, RecognitionRow] = {}
        self._awards: dict[str, AwardRow] = {}

    def feed(
        self,
        position: int,
        originator_id: object,
        version: int,
        topic: str | None,
        state: bytes | None,
    ) -> None:
        if topic not in _TOPICS or state is None:
            return
        try:
            s = _decode.decode(state)
            at = datetime.fromisoformat(s["timestamp"])
        except (msgspec.DecodeError, KeyError, TypeError, ValueError):
            return  # unreadable (verify reports altered events)
        if at > self.until:
            return
        self.replayed += 1
        self.last_position = max(self.last_position, position)
        oid = str(originator_id)
        if topic == SUBJECT_REGISTERED and version == 1:
            self._subjects[oid] = (s.get("kind"), s.get("commune_code"))
        elif topic == RECOGNITION_GRANTED:
            self._recognitions[oid] = RecognitionRow(
                recognition_id=oid,
                subject_id=str(s.get("subject_id")),
                subject_kind=None,
                commune_code=None,
                title=str(s.get("title")),
                tier=s.get("tier"),
                level=s.get("level"),
                year=int(s.get("year") or 0),
                decision_number=s.get("decision_number"),
                signed_on=_date(s.get("signed_on")),
                valid_until=_date(s.get("valid_until")),
                granted_position=position,
                granted_at=at,
            )
        elif topic == RECOGNITION_REVOKED:
            self._recognitions.pop(oid, None)
        elif topic == AWARD_GRANTED:
            achievement = s.get("achievement") or {}
            self._awards[oid] = AwardRow(
                award_id=oid,
                subject_id=str(s.get("subject_id")),
                recipient_kind=str(s.get("recipient_kind")),
                form=str(s.get("form")),
                period=achievement.get("period"),
                occasion=achievement.get("occasion"),
                bonus_vnd=int(s.get("bonus_vnd") or 0),
                decision_number=s.get("decision_number"),
                signed_on=_date(s.get("signed_on")),
                granted_position=position,
                granted_at=at,
            )
        elif topic == AWARD_ANNULLED:
            self._awards.pop(oid, None)

    def result(self) -> Registers:
        recognitions = []
        counts: dict[tuple[str, int, str | None], int] = {}
        for row in sorted(self._recognitions.values(), key=lambda r: r.granted_position):
            kind, commune = self._subjects.get(row.subject_id, (None, None))
            row.subject_kind, row.commune_code = kind, commune
            recognitions.append(row)
            key = (row.title, row.year, commune)
            counts[key] = counts.get(key, 0) + 1
        awards = sorted(self._awards.values(), key=lambda a: a.granted_position)
        by_form: dict[tuple[str | None, str | None, str, str], list[int]] = {}
        for a in awards:
            tally = by_form.setdefault((a.period, a.occasion, a.form, a.recipient_kind), [0, 0])
            tally[0] += 1
            tally[1] += a.bonus_vnd
        return Registers(
            until=self.until,
            events_replayed=self.replayed,
            last_position=self.last_position,
            recognitions=recognitions,
            recognition_counts=[
                RecognitionCount(title=t, year=y, commune_code=c, count=n)
                for (t, y, c), n in sorted(
                    counts.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
                )
            ],
            awards=awards,
            award_counts=[
                AwardCount(
                    period=p,
                    occasion=o,
                    form=f,
                    recipient_kind=k,
                    state_form=f != ASSOCIATION_FORM,
                    count=n,
                    bonus_vnd=b,
                )
                for (p, o, f, k), (n, b) in sorted(
                    by_form.items(), key=lambda kv: tuple(x or "" for x in kv[0])
                )
            ],
        )


def to_csv(registers: Registers) -> str:
    """The title registry, a blank line, then the award register (each with its header)."""
    out = io.StringIO()
    tables: list[tuple[tuple[str, ...], list[Any]]] = [
        (RecognitionRow.__struct_fields__, list(registers.recognitions)),
        (AwardRow.__struct_fields__, list(registers.awards)),
    ]
    for i, (fields, rows) in enumerate(tables):
        if i:
            out.write("\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow(["" if (v := getattr(row, f)) is None else str(v) for f in fields])
    return out.getvalue()
