"""Stored events are plain JSON and come back typed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

import httpx
import msgspec
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from kh_saas.service import Service
from kh_saas.storage.mapper import JSONMapper
from tests.conftest import make_tenant


class Colour(StrEnum):
    RED = "red"


class Line(msgspec.Struct, frozen=True):
    subject_id: UUID
    points: Decimal


class Sample(Aggregate):
    @event("Made")
    def __init__(
        self, *, on: date, lines: tuple[Line, ...], colour: Colour, extra: dict[str, Any]
    ) -> None:
        self.on = on
        self.lines = lines
        self.colour = colour
        self.extra = extra


class Renamed(Aggregate):
    class Named(Aggregate.Created):
        class_version = 2
        full_name: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["full_name"] = state.pop("name")


def test_round_trip_is_typed_and_plain_json() -> None:
    mapper = JSONMapper()
    line = Line(subject_id=uuid4(), points=Decimal("87.5"))
    agg = Sample(on=date(2025, 7, 1), lines=(line,), colour=Colour.RED, extra={"a": [1, 2]})
    (created,) = agg.collect_events()
    stored = mapper.to_stored_event(created)
    plain = msgspec.json.decode(stored.state)
    assert plain["on"] == "2025-07-01"
    assert plain["lines"] == [{"subject_id": str(line.subject_id), "points": "87.5"}]
    assert plain["timestamp"].startswith(str(created.timestamp.year))
    back = mapper.to_domain_event(stored)
    assert back.on == date(2025, 7, 1)  # type: ignore[attr-defined]
    assert back.lines == (line,)  # type: ignore[attr-defined]
    assert back.colour is Colour.RED  # type: ignore[attr-defined]
    assert isinstance(back.timestamp, datetime) and back.timestamp.tzinfo is not None
    rebuilt = back.mutate(None)  # type: ignore[attr-defined]
    assert rebuilt.lines == (line,)
    assert rebuilt.id == agg.id


def test_upcasting_older_versions() -> None:
    mapper = JSONMapper()
    old = StoredEvent(
        originator_id=uuid4(),
        originator_version=1,
        topic="tests.test_mapper:Renamed.Named",
        state=msgspec.json.encode(
            {
                "timestamp": datetime(2025, 1, 1, tzinfo=UTC),
                "originator_topic": "tests.test_mapper:Renamed",
                "name": "Dòng họ Nguyễn",
            }
        ),
    )
    assert mapper.to_domain_event(old).full_name == "Dòng họ Nguyễn"  # type: ignore[attr-defined]


def test_unreadable_state_is_a_clear_error() -> None:
    broken = StoredEvent(uuid4(), 1, "tests.test_mapper:Sample.Made", b'{"on": "not a date"}')
    with pytest.raises(MapperDeserialisationError, match=r"Sample\.Made"):
        JSONMapper().to_domain_event(broken)


async def test_sql_reads_stored_events_as_jsonb(
    client: httpx.AsyncClient, service: Service
) -> None:
    await make_tenant(client, "quang-tri", "44", "Quảng Trị")
    async with service.clusters.default.read.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT convert_from(state, 'UTF8')::jsonb AS s FROM t_quang_tri.khuyenhoc_events"
        )
    state = msgspec.json.decode(row["s"].encode())
    assert state["province_code"] == "44"
    assert state["name"] == "Quảng Trị"
