"""Projections are pure: events in, row versions out, no database (issue 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from kh_saas.projections.batch import Batch
from kh_saas.projections.model import LoggedEvent
from kh_saas.projections.registers import REGISTERS
from kh_saas.projections.search import prefix_query, search_words
from kh_saas.projections.trail import TRAIL_PROJECTION

T0 = datetime(2025, 1, 15, 8, 0, tzinfo=UTC)
SUBJECT, RECOGNITION, DECISION = uuid4(), uuid4(), uuid4()


def event(position: int, topic: str, originator: UUID, **state: Any) -> LoggedEvent:
    stamp = (T0 + timedelta(minutes=position)).isoformat()
    return LoggedEvent(position, originator, 1, topic, {"timestamp": stamp, **state})


def history() -> list[LoggedEvent]:
    return [
        event(
            1,
            "kh_saas.domain.subjects:Subject.Registered",
            SUBJECT,
            kind="household",
            name="Hộ ông Nguyễn Văn An",
            commune_code="19483",
            village_code=None,
            ref="SHK-1",
            details={"type": "household", "head_name": "Nguyễn Văn An"},
            actor="officer:k1",
        ),
        event(
            2,
            "kh_saas.domain.recognitions:Recognition.Granted",
            RECOGNITION,
            subject_id=str(SUBJECT),
            title="learning_household",
            tier="commune",
            level=None,
            year=2024,
            decision_id=str(DECISION),
            decision_number="101/QĐ-UBND",
            signed_on="2025-01-15",
            nomination_id=None,
            valid_until="2025-12-31",
            actor="signer:k2",
        ),
        event(
            3,
            "kh_saas.domain.subjects:Subject.Corrected",
            SUBJECT,
            name="Hộ ông Nguyễn Văn Ân",
            details=None,
            reason="viết sai tên",
            actor="officer:k1",
        ),
        event(
            4,
            "kh_saas.domain.recognitions:Recognition.Revoked",
            RECOGNITION,
            revocation_id=str(uuid4()),
            number="12/QĐ-UBND",
            signed_on="2025-06-01",
            reason="fraud",
            actor="signer:k2",
        ),
    ]


def test_a_recognition_copies_its_subject_and_follows_corrections_and_revocation() -> None:
    batch = Batch(REGISTERS)
    wanted = batch.plan(history())
    assert not wanted.ids  # everything it reads was created in the batch itself
    writes = batch.settle({})
    versions = writes.rows["recognitions"]
    assert [v["subject_name"] for v in versions] == [
        "Hộ ông Nguyễn Văn An",
        "Hộ ông Nguyễn Văn Ân",
        "Hộ ông Nguyễn Văn Ân",
    ]
    assert [v["revoked"] for v in versions] == [False, False, True]
    # Each version is closed where the next one opens: by position and by recording time.
    assert [(v["pos_from"], v["pos_to"]) for v in versions] == [(2, 3), (3, 4), (4, None)]
    assert versions[0]["sys_to"] == versions[1]["sys_from"]
    assert versions[2]["revocation_reason"] == "fraud"
    assert writes.orphans == 0 and not writes.closes


def test_a_later_batch_closes_the_stored_version() -> None:
    first, later = history()[:2], history()[2:]
    stored = Batch(REGISTERS)
    stored.plan(first)
    current = {t: {r["id"]: r for r in rows} for t, rows in stored.settle({}).rows.items()}
    batch = Batch(REGISTERS)
    wanted = batch.plan(later)
    assert wanted.ids["recognitions"] == {RECOGNITION}
    assert wanted.where[("recognitions", "subject_id")] == {SUBJECT}
    writes = batch.settle(current)
    closed = {
        (table, ident, pos) for table, rows in writes.closes.items() for ident, _, pos in rows
    }
    assert ("recognitions", RECOGNITION, 3) in closed and ("subjects", SUBJECT, 3) in closed


def test_the_trail_names_the_subject_of_a_revocation_and_the_role() -> None:
    batch = Batch(TRAIL_PROJECTION)
    batch.plan(history())
    rows = batch.settle({}).rows["trail"]
    assert [r["event"] for r in rows] == [
        "subject.registered",
        "recognition.granted",
        "subject.corrected",
        "recognition.revoked",
    ]
    revoked = rows[-1]
    assert revoked["subject_id"] == SUBJECT  # looked up through trail_links
    assert revoked["role"] == "signer" and revoked["reason"] == "fraud"
    assert revoked["decision_number"] == "12/QĐ-UBND"


def test_search_words_fold_vietnamese() -> None:
    assert search_words("Nguyễn Văn An") == "nguyen van an"
    assert search_words("Dòng họ Lê") == "dong ho le"
    assert search_words("Đặng Thị Đào") == "dang thi dao"
    assert prefix_query("nguyen VAN") == "nguyen:* & van:*"
    assert prefix_query("đ") == prefix_query("d") == "d:*"
    assert prefix_query("'; DROP TABLE x; --") == "drop:* & table:* & x:*"
    assert prefix_query("!!!") is None
