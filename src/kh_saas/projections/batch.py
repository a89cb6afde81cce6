"""Turn a batch of events into row versions (pure: the engine does the reading and writing).

Two passes: :meth:`Batch.plan` maps every event to its changes and says which current rows
must be read (targets of updates and sources of lookups not written by the batch itself);
:meth:`Batch.settle` then merges updates into those rows, closing each superseded version at
the event that superseded it, and returns what to write: versions to close in the database
and rows to insert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from kh_saas.projections.model import (
    Add,
    Append,
    Change,
    Insert,
    LoggedEvent,
    Projection,
    Update,
    UpdateWhere,
)

Row = dict[str, Any]


@dataclass
class Wanted:
    """Current rows a batch must read: by id, and by a column's value."""

    ids: dict[str, set[UUID]] = field(default_factory=lambda: defaultdict(set))
    where: dict[tuple[str, str], set[Any]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class Writes:
    """What one batch writes: closes of database rows, then new rows, per table."""

    closes: dict[str, list[tuple[UUID, datetime, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    #: Updates whose entity was never created (a gap in the model, not in the log).
    orphans: int = 0

    @property
    def row_count(self) -> int:
        return sum(len(r) for r in self.rows.values())


def _merge(row: Row, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        row[name] = (row.get(name) or 0) + value.amount if isinstance(value, Add) else value


class Batch:
    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self._planned: list[tuple[LoggedEvent, datetime, Change]] = []

    def plan(self, events: Sequence[LoggedEvent]) -> Wanted:
        """Map the events; return the current rows to read."""
        created: set[tuple[str, UUID]] = set()
        wanted = Wanted()
        for event in events:
            changes = list(self.projection.apply(event))
            if not changes:
                continue
            at = event.recorded_at
            for change in changes:
                self._planned.append((event, at, change))
                if isinstance(change, (Insert, Append)):
                    if isinstance(change, Insert):
                        created.add((change.table, change.row["id"]))
                    for lookup in change.lookups:
                        if (lookup.table, lookup.id) not in created:
                            wanted.ids[lookup.table].add(lookup.id)
                elif isinstance(change, Update) and (change.table, change.id) not in created:
                    wanted.ids[change.table].add(change.id)
                elif isinstance(change, UpdateWhere):
                    wanted.where[(change.table, change.column)].add(change.value)
        return wanted

    def settle(self, current: Mapping[str, Mapping[UUID, Row]]) -> Writes:
        """Row versions from the planned changes and the current rows read for them."""
        writes = Writes()
        latest: dict[tuple[str, UUID], Row] = {}

        def now(table: str, ident: UUID) -> tuple[Row | None, bool]:
            row = latest.get((table, ident))
            if row is not None:
                return row, True
            return current.get(table, {}).get(ident), False

        def supersede(
            table: str, ident: UUID, event: LoggedEvent, at: datetime, values: Any
        ) -> None:
            before, in_batch = now(table, ident)
            if before is None:
                writes.orphans += 1
                return
            if in_batch:  # a version this batch wrote: close it in place
                before["sys_to"], before["pos_to"] = at, event.position
            else:
                writes.closes[table].append((ident, at, event.position))
            row = dict(before)
            _merge(row, values)
            row.update(sys_from=at, sys_to=None, pos_from=event.position, pos_to=None)
            latest[(table, ident)] = row
            writes.rows[table].append(row)

        for event, at, change in self._planned:
            if isinstance(change, (Insert, Append)):
                row = dict(change.row)
                for lookup in change.lookups:
                    source, _ = now(lookup.table, lookup.id)
                    if source is not None:
                        sources = map(source.get, lookup.columns.values())
                        row.update(zip(lookup.columns, sources, strict=True))
                if isinstance(change, Append):
                    writes.rows[change.table].append(row)
                    continue
                row.update(sys_from=at, sys_to=None, pos_from=event.position, pos_to=None)
                latest[(change.table, row["id"])] = row
                writes.rows[change.table].append(row)
            elif isinstance(change, Update):
                supersede(change.table, change.id, event, at, change.values)
            else:
                table, column, value = change.table, change.column, change.value
                ids = {i for i, r in current.get(table, {}).items() if r.get(column) == value}
                ids |= {i for (t, i), r in latest.items() if t == table and r.get(column) == value}
                for ident in sorted(ids):
                    found, _ = now(table, ident)
                    if found is not None and found.get(column) == value:
                        supersede(table, ident, event, at, change.values)
        return writes
