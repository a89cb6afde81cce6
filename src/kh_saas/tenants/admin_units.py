"""A province's administrative units from the shipped reference data, and its villages.

``build_province_units`` gives the new (unsaved) ``AdminUnit`` aggregates a tenant starts
with: the province, its current communes (from 1 July 2025) and, for history, the legacy
provinces, districts and communes that were merged into it (until 30 June 2025, each legacy
commune with its successors from the conversion table). Legacy units are found through the
old province: each of the 63 old provinces went whole into exactly one new province, so the
old units of e.g. Quảng Trị (44) are those of old Quảng Bình (44) and old Quảng Trị (45).

The CSVs are parsed and indexed once per process (``_reference``); a build then only
creates aggregates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from kh_saas.domain.admin_units import (
    REFORM_DATE,
    AdminUnit,
    AdminUnitError,
    Era,
    Successor,
    UnitType,
)
from kh_saas.domain.vocabulary import Tier
from kh_saas.reference import read_rows

#: Last day of the legacy (three-tier) units.
LEGACY_END = REFORM_DATE - timedelta(days=1)

Row = dict[str, str]

#: Name prefixes of the legacy communes known only from the conversion table.
_COMMUNE_PREFIXES = {"Xã ": UnitType.XA, "Phường ": UnitType.PHUONG, "Thị trấn ": UnitType.THI_TRAN}


@dataclass(frozen=True)
class _Reference:
    """The reference CSVs indexed for per-province builds."""

    provinces: dict[str, Row]
    communes: dict[str, list[Row]]  # current, by province
    legacy_provinces: dict[str, Row]
    legacy_districts: dict[str, list[Row]]  # by old province
    legacy_communes: dict[str, list[Row]]  # by old province, incl. conversion-only ones
    conversion: dict[str, list[Row]]  # by old commune code
    island_districts: dict[str, Row]  # district without communes → its special-zone row
    old_provinces: dict[str, list[str]]  # new province → old province codes


@cache
def _reference() -> _Reference:
    conversion = read_rows("conversion.csv")
    by_old_commune: dict[str, list[Row]] = defaultdict(list)
    for row in conversion:
        if row["old_commune_code"]:
            by_old_commune[row["old_commune_code"]].append(row)
    return _Reference(
        provinces={r["code"]: r for r in read_rows("provinces.csv")},
        communes=_group(read_rows("communes.csv"), "province_code"),
        legacy_provinces={r["code"]: r for r in read_rows("legacy_provinces.csv")},
        legacy_districts=_group(read_rows("legacy_districts.csv"), "province_code"),
        legacy_communes=_group(_legacy_commune_rows(by_old_commune), "province_code"),
        conversion=dict(by_old_commune),
        # Island districts had no communes: the district itself became a đặc khu.
        island_districts={
            r["old_district_code"]: r
            for r in conversion
            if not r["old_commune_code"] and not r["old_commune_name"]
        },
        old_provinces=_group_codes(conversion),
    )


def _group(rows: Iterable[Row], key: str) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return dict(grouped)


def _group_codes(conversion: Iterable[Row]) -> dict[str, list[str]]:
    pairs = {(r["new_province_code"], r["old_province_code"]) for r in conversion}
    grouped: dict[str, list[str]] = defaultdict(list)
    for new, old in sorted(pairs):
        grouped[new].append(old)
    return dict(grouped)


def _legacy_commune_rows(conversion: Mapping[str, list[Row]]) -> list[Row]:
    """legacy_communes.csv plus the communes created after its 2025-01-04 snapshot, which
    only the conversion table knows (named as it names them, typed from the name)."""
    rows = read_rows("legacy_communes.csv")
    known = {r["code"] for r in rows}
    for code, (first, *_) in conversion.items():
        if code not in known:
            rows.append(
                {
                    "code": code,
                    "name": first["old_commune_name"],
                    "type": _type_from_name(first["old_commune_name"]),
                    "district_code": first["old_district_code"],
                    "province_code": first["old_province_code"],
                }
            )
    return sorted(rows, key=lambda r: r["code"])


def _type_from_name(name: str) -> UnitType:
    for prefix, unit_type in _COMMUNE_PREFIXES.items():
        if name.startswith(prefix):
            return unit_type
    raise ValueError(f"cannot tell the type of legacy commune {name!r} from its name")


# Building a province ---------------------------------------------------------------------


def build_province_units(province_code: str, *, actor: str) -> list[AdminUnit]:
    """New ``AdminUnit`` aggregates for a current province: itself, its communes and the
    legacy units merged into it. Not saved; each has one ``Registered`` event."""
    ref = _reference()
    province = ref.provinces.get(province_code)
    if province is None:
        raise AdminUnitError("province_code", f"no current province has code {province_code!r}")
    units = [_current_province(province, actor)]
    units += [_current_commune(r, actor) for r in ref.communes[province_code]]
    for old in ref.old_provinces[province_code]:
        units.append(_legacy_province(ref.legacy_provinces[old], province, actor))
        units += [_legacy_district(r, ref, actor) for r in ref.legacy_districts.get(old, [])]
        units += [_legacy_commune(r, ref, actor) for r in ref.legacy_communes.get(old, [])]
    return units


def conversion_successors(province_code: str) -> dict[str, tuple[Successor, ...]]:
    """Legacy commune code → successors for the communes merged into this province (the map
    ``roll_up_counts`` / ``roll_up_keys`` take), without building aggregates."""
    ref = _reference()
    olds = set(ref.old_provinces.get(province_code, []))
    return {
        code: tuple(_successor(r) for r in rows)
        for code, rows in ref.conversion.items()
        if rows[0]["old_province_code"] in olds
    }


def _current_province(row: Row, actor: str) -> AdminUnit:
    return AdminUnit.register(
        level=Tier.PROVINCE,
        code=row["code"],
        name=row["name"],
        unit_type=UnitType(row["type"]),
        actor=actor,
        valid_from=REFORM_DATE,
    )


def _current_commune(row: Row, actor: str) -> AdminUnit:
    return AdminUnit.register(
        level=Tier.COMMUNE,
        code=row["code"],
        name=row["name"],
        unit_type=UnitType(row["type"]),
        actor=actor,
        parent_code=row["province_code"],
        valid_from=REFORM_DATE,
    )


def _legacy_province(row: Row, successor: Row, actor: str) -> AdminUnit:
    return _legacy(
        Tier.PROVINCE,
        row,
        None,
        (Successor(successor["code"], successor["name"], level=Tier.PROVINCE),),
        actor,
    )


def _legacy_district(row: Row, ref: _Reference, actor: str) -> AdminUnit:
    island = ref.island_districts.get(row["code"])
    successors = () if island is None else (_successor(island),)
    return _legacy(Tier.DISTRICT, row, row["province_code"], successors, actor)


def _legacy_commune(row: Row, ref: _Reference, actor: str) -> AdminUnit:
    # 26 communes of the 2025-01-04 snapshot have no conversion row (merged or re-coded
    # before the reform): they get no successors, and valid_to is only an upper bound.
    successors = tuple(_successor(r) for r in ref.conversion.get(row["code"], []))
    return _legacy(Tier.COMMUNE, row, row["district_code"], successors, actor)


def _legacy(
    level: Tier,
    row: Row,
    parent_code: str | None,
    successors: tuple[Successor, ...],
    actor: str,
) -> AdminUnit:
    return AdminUnit.register(
        level=level,
        code=row["code"],
        name=row["name"],
        unit_type=UnitType(row["type"]),
        actor=actor,
        era=Era.LEGACY,
        parent_code=parent_code,
        valid_to=LEGACY_END,
        successors=successors,
    )


def _successor(row: Row) -> Successor:
    return Successor(row["new_commune_code"], row["new_commune_name"], row["note"])


# Villages ----------------------------------------------------------------------------------


def current_communes(units: Iterable[AdminUnit]) -> dict[str, AdminUnit]:
    """The current communes among ``units``, by code (what ``new_village`` checks against)."""
    return {u.code: u for u in units if u.level is Tier.COMMUNE and u.era is Era.CURRENT}


def new_village(
    communes: Mapping[str, AdminUnit],
    *,
    commune_code: str,
    code: str,
    name: str,
    unit_type: UnitType,
    actor: str,
    valid_from: date | None = None,
) -> AdminUnit:
    """A new thôn / bản / tổ dân phố … under a current commune of the tenant (not saved).

    ``code`` is the tenant's own, trimmed and upper-cased, unique within the commune: a
    second village with the same code has the same id and its save fails at the event store.
    """
    commune = communes.get(commune_code)
    if commune is None or commune.level is not Tier.COMMUNE or commune.era is not Era.CURRENT:
        raise AdminUnitError("commune_code", f"no current commune has code {commune_code!r}")
    if commune.valid_to is not None:
        raise AdminUnitError("commune_code", f"commune {commune_code} ended on {commune.valid_to}")
    return AdminUnit.register(
        level=Tier.VILLAGE,
        code=code.strip().upper(),
        name=name,
        unit_type=unit_type,
        actor=actor,
        parent_code=commune_code,
        valid_from=valid_from,
    )
