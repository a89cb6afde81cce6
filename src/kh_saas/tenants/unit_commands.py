"""Commands on a province's administrative units: villages, and versioned unit changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from kh_saas.domain.admin_units import (
    AdminUnit,
    AdminUnitError,
    Era,
    Successor,
    UnitType,
    admin_unit_id,
)
from kh_saas.domain.errors import Conflict
from kh_saas.domain.vocabulary import Tier
from kh_saas.tenants.admin_units import new_village
from kh_saas.tenants.application import TenantApplication
from kh_saas.tenants.commands import BulkRejected, ItemError


@dataclass(frozen=True)
class VillageInput:
    commune_code: str
    code: str
    name: str
    unit_type: UnitType
    valid_from: date | None = None


Change = Literal["rename", "reclassify", "merge_into", "split", "dissolve"]


class UnitCommands:
    def __init__(self, app: TenantApplication, communes: frozenset[str]) -> None:
        self.app = app
        self.communes = communes

    def unit(self, unit_id: UUID) -> AdminUnit:
        return self.app.load(AdminUnit, unit_id, "administrative unit")

    def create_villages(self, items: Sequence[VillageInput], actor: str) -> list[AdminUnit]:
        """All or nothing: every bad village is listed."""
        codes = {i.commune_code for i in items if i.commune_code in self.communes}
        loaded = self.app.get_many(admin_unit_id(Tier.COMMUNE, c, Era.CURRENT) for c in codes)
        communes = {u.code: u for u in loaded.values() if isinstance(u, AdminUnit)}
        errors: list[ItemError] = []
        villages: list[tuple[int, AdminUnit]] = []
        for index, item in enumerate(items):
            try:
                villages.append(
                    (
                        index,
                        new_village(
                            communes,
                            commune_code=item.commune_code,
                            code=item.code,
                            name=item.name,
                            unit_type=item.unit_type,
                            actor=actor,
                            valid_from=item.valid_from,
                        ),
                    )
                )
            except AdminUnitError as exc:
                errors.append(ItemError(index, exc.field or "", exc.code, exc.message))
        seen: dict[UUID, int] = {}
        for index, village in villages:
            if village.id in seen:
                errors.append(
                    ItemError(
                        index,
                        "code",
                        "duplicate_village",
                        f"same village as item {seen[village.id]}",
                    )
                )
            seen.setdefault(village.id, index)
        errors += [
            ItemError(seen[i], "code", "duplicate_village", "this commune already has the code")
            for i in self.app.existing(seen)
        ]
        if errors:
            raise BulkRejected(sorted(errors, key=lambda e: e.index), "villages")
        try:
            self.app.save(*(v for _, v in villages))
        except IntegrityError as exc:
            raise Conflict("duplicate_village", "a village was created meanwhile; retry") from exc
        return [v for _, v in villages]

    def change(
        self,
        unit_id: UUID,
        change: Change,
        *,
        effective: date,
        actor: str,
        name: str | None = None,
        unit_type: UnitType | None = None,
        successors: Sequence[Successor] = (),
    ) -> AdminUnit:
        unit = self.unit(unit_id)
        match change:
            case "rename":
                if not name:
                    raise AdminUnitError("name", "a rename needs the new name")
                unit.rename(name, effective=effective, actor=actor)
            case "reclassify":
                if unit_type is None:
                    raise AdminUnitError("unit_type", "a reclassification needs the new type")
                unit.reclassify(unit_type, effective=effective, actor=actor, name=name)
            case "merge_into":
                if len(successors) != 1:
                    raise AdminUnitError("successors", "a merger names exactly one successor")
                unit.merge_into(successors[0], effective=effective, actor=actor)
            case "split":
                unit.split(successors, effective=effective, actor=actor)
            case "dissolve":
                unit.dissolve(effective=effective, actor=actor)
        try:
            self.app.save(unit)
        except IntegrityError as exc:
            raise Conflict("concurrent_update", "the unit changed meanwhile; retry") from exc
        return unit
