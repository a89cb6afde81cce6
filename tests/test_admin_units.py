"""Administrative units: reference build, history by date, successors, roll-ups, villages."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date
from functools import cache
from typing import Any

import pytest

from kh_saas.domain.admin_units import (
    REFORM_DATE,
    AdminUnit,
    AdminUnitError,
    Era,
    SplitPolicy,
    Successor,
    UnitType,
    admin_unit_id,
    current_successors,
    roll_up_counts,
    roll_up_keys,
    successor_map,
    village_id,
)
from kh_saas.domain.errors import DomainError
from kh_saas.domain.vocabulary import Tier
from kh_saas.reference import provinces, read_rows
from kh_saas.storage.mapper import JSONMapper
from kh_saas.tenants import admin_units as tenant_units
from kh_saas.tenants.admin_units import (
    LEGACY_END,
    build_province_units,
    conversion_successors,
    current_communes,
    new_village,
)

ACTOR = "test-admin"

#: The CSVs as the tests read them, independently of the module under test.
rows_of = cache(read_rows)


@pytest.fixture(scope="module")
def quang_tri() -> list[AdminUnit]:
    return build_province_units("44", actor=ACTOR)


def by_key(units: list[AdminUnit]) -> dict[tuple[Era, Tier, str], AdminUnit]:
    return {(u.era, u.level, u.code): u for u in units}


def expected_counts(province_code: str) -> Counter[tuple[Era, Tier]]:
    """What a build must hold, computed straight from the CSVs."""
    conversion = rows_of("conversion.csv")
    olds = {r["old_province_code"] for r in conversion if r["new_province_code"] == province_code}
    legacy_communes = {
        r["code"] for r in rows_of("legacy_communes.csv") if r["province_code"] in olds
    } | {r["old_commune_code"] for r in conversion if r["old_province_code"] in olds}
    legacy_communes.discard("")
    current = [r for r in rows_of("communes.csv") if r["province_code"] == province_code]
    districts = [r for r in rows_of("legacy_districts.csv") if r["province_code"] in olds]
    return Counter(
        {
            (Era.CURRENT, Tier.PROVINCE): 1,
            (Era.CURRENT, Tier.COMMUNE): len(current),
            (Era.LEGACY, Tier.PROVINCE): len(olds),
            (Era.LEGACY, Tier.DISTRICT): len(districts),
            (Era.LEGACY, Tier.COMMUNE): len(legacy_communes),
        }
    )


def commune(code: str = "26485", name: str = "Xã Nhơn Trạch") -> AdminUnit:
    return AdminUnit.register(
        level=Tier.COMMUNE,
        code=code,
        name=name,
        unit_type=UnitType.XA,
        actor=ACTOR,
        parent_code="75",
        valid_from=REFORM_DATE,
    )


# Building a province from the reference data ----------------------------------------------


@pytest.mark.parametrize("code", ["44", "79", "01"])
def test_build_counts_match_the_csvs(code: str) -> None:
    units = build_province_units(code, actor=ACTOR)
    assert Counter((u.era, u.level) for u in units) == expected_counts(code)


def test_quang_tri_merges_old_quang_binh_and_quang_tri(quang_tri: list[AdminUnit]) -> None:
    units = by_key(quang_tri)
    assert units[Era.CURRENT, Tier.PROVINCE, "44"].name == "Tỉnh Quảng Trị"
    # Code 44 names two provinces: old Quảng Bình (legacy) and new Quảng Trị (current).
    assert units[Era.LEGACY, Tier.PROVINCE, "44"].name == "Tỉnh Quảng Bình"
    assert units[Era.LEGACY, Tier.PROVINCE, "45"].name == "Tỉnh Quảng Trị"
    old_parents = {u.parent_code for u in quang_tri if u.level is Tier.DISTRICT}
    assert old_parents == {"44", "45"}
    for old in ("44", "45"):
        (link,) = units[Era.LEGACY, Tier.PROVINCE, old].successors
        assert (link.code, link.level, link.unit_id) == (
            "44",
            Tier.PROVINCE,
            units[Era.CURRENT, Tier.PROVINCE, "44"].id,
        )


def test_validity_of_current_and_legacy_units(quang_tri: list[AdminUnit]) -> None:
    for unit in quang_tri:
        if unit.era is Era.CURRENT:
            assert (unit.valid_from, unit.valid_to) == (REFORM_DATE, None)
            assert unit.in_force_on(REFORM_DATE) and not unit.in_force_on(LEGACY_END)
        else:
            assert (unit.valid_from, unit.valid_to) == (None, date(2025, 6, 30))
            assert unit.in_force_on(LEGACY_END) and not unit.in_force_on(REFORM_DATE)
            assert unit.name_on(date(2024, 5, 1)) == unit.name
            assert unit.name_on(REFORM_DATE) is None


def test_legacy_communes_carry_the_conversion_rows(quang_tri: list[AdminUnit]) -> None:
    rows: dict[str, list[tuple[str, str]]] = {}
    for r in rows_of("conversion.csv"):
        if r["old_province_code"] in ("44", "45") and r["old_commune_code"]:
            rows.setdefault(r["old_commune_code"], []).append((r["new_commune_code"], r["note"]))
    legacy = {u.code: u for u in quang_tri if u.era is Era.LEGACY and u.level is Tier.COMMUNE}
    assert set(rows) <= set(legacy)
    for code, expected in rows.items():
        assert [(s.code, s.note) for s in legacy[code].successors] == expected
    # Every current commune took over at least one old commune (or island district).
    taken_over = {s.code for u in quang_tri for s in u.successors if s.level is Tier.COMMUNE}
    assert taken_over == {u.code for u in current_communes(quang_tri).values()}


def test_island_district_became_a_special_zone(quang_tri: list[AdminUnit]) -> None:
    con_co = by_key(quang_tri)[Era.LEGACY, Tier.DISTRICT, "471"]
    assert con_co.parent_code == "45"  # old Quảng Trị, as corrected in the reference README
    (zone,) = con_co.successors
    assert (zone.code, zone.name) == ("19742", "Đặc khu Cồn Cỏ")
    assert by_key(quang_tri)[Era.CURRENT, Tier.COMMUNE, "19742"].unit_type is UnitType.DAC_KHU


def test_communes_known_only_from_the_conversion_table_are_included() -> None:
    units = by_key(build_province_units("79", actor=ACTOR))
    ward = units[Era.LEGACY, Tier.COMMUNE, "26929"]  # re-coded after the 2025-01-04 snapshot
    assert (ward.name, ward.unit_type, ward.parent_code) == ("Phường 14", UnitType.PHUONG, "765")
    assert [s.code for s in ward.successors] == ["26929"]


def test_corrected_old_codes_come_from_the_data() -> None:
    """conversion.csv carries Mỹ Hưng's and Phú Thịnh's own codes (01651, 02482), so their
    neighbours 01615 and 02485 keep only their own successors: no code is patched in Python."""
    units = by_key(build_province_units("04", actor=ACTOR))
    assert [s.code for s in units[Era.LEGACY, Tier.COMMUNE, "01615"].successors] == ["01636"]
    my_hung = units[Era.LEGACY, Tier.COMMUNE, "01651"]
    assert my_hung.name == "Xã Mỹ Hưng"
    assert [s.code for s in my_hung.successors] == ["01648"]
    units = by_key(build_province_units("08", actor=ACTOR))  # Tuyên Quang: old Tuyên Quang 08
    assert [s.code for s in units[Era.LEGACY, Tier.COMMUNE, "02485"].successors] == ["02458"]
    assert [s.code for s in units[Era.LEGACY, Tier.COMMUNE, "02482"].successors] == ["02494"]


def test_every_province_builds_with_unique_ids() -> None:
    seen: set[Any] = set()
    total = 0
    for code in provinces():
        units = build_province_units(code, actor=ACTOR)
        assert Counter((u.era, u.level) for u in units) == expected_counts(code)
        seen |= {u.id for u in units}
        total += len(units)
    assert len(seen) == total  # no unit belongs to two provinces, no id collides


def test_build_is_fast_even_with_a_cold_cache() -> None:
    tenant_units._reference.cache_clear()
    started = time.perf_counter()
    build_province_units("79", actor=ACTOR)
    build_province_units("44", actor=ACTOR)
    assert time.perf_counter() - started < 1.0


def test_unknown_province_is_refused() -> None:
    with pytest.raises(AdminUnitError) as err:
        build_province_units("45", actor=ACTOR)  # an old code only
    assert err.value.field == "province_code"


# Ids --------------------------------------------------------------------------------------


def test_ids_are_deterministic_and_era_aware(quang_tri: list[AdminUnit]) -> None:
    again = build_province_units("44", actor="someone-else")
    assert [u.id for u in again] == [u.id for u in quang_tri]
    units = by_key(quang_tri)
    for (era, level, code), unit in units.items():
        assert unit.id == admin_unit_id(level, code, era)
    assert admin_unit_id(Tier.COMMUNE, "00004", Era.LEGACY) != admin_unit_id(Tier.COMMUNE, "00004")
    assert admin_unit_id(Tier.PROVINCE, "44") == units[Era.CURRENT, Tier.PROVINCE, "44"].id


# History ----------------------------------------------------------------------------------


def test_name_as_of_a_date_before_and_after_a_rename() -> None:
    unit = commune()
    unit.rename("Xã  Nhơn Trạch Mới", effective=date(2026, 3, 1), actor=ACTOR)
    assert unit.name == "Xã Nhơn Trạch Mới"  # whitespace collapsed
    assert unit.name_on(date(2026, 2, 28)) == "Xã Nhơn Trạch"
    assert unit.name_on(date(2026, 3, 1)) == "Xã Nhơn Trạch Mới"
    assert unit.name_on(date(2025, 6, 30)) is None  # before it existed
    assert len(unit.history) == 2


def test_reclassification_keeps_code_and_id() -> None:
    unit = commune()
    before = unit.id
    unit.reclassify(
        UnitType.PHUONG, name="Phường Nhơn Trạch", effective=date(2026, 9, 1), actor=ACTOR
    )
    assert unit.id == before and unit.code == "26485"
    assert unit.type_on(date(2026, 8, 31)) is UnitType.XA
    assert unit.type_on(date(2026, 9, 1)) is UnitType.PHUONG
    assert unit.name_on(date(2026, 9, 1)) == "Phường Nhơn Trạch"


def test_names_are_nfc() -> None:
    decomposed = "Xa\u0303 Nho\u031bn Tra\u0323ch"  # "Xã Nhơn Trạch" in NFD
    assert commune(name=decomposed).name == "Xã Nhơn Trạch"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda u: u.rename("Xã Khác", effective=date(2025, 6, 1), actor=ACTOR), "effective"),
        (lambda u: u.rename(" ", effective=date(2026, 1, 1), actor=ACTOR), "name"),
        (lambda u: u.rename("Xã Nhơn Trạch", effective=date(2026, 1, 1), actor=ACTOR), "name"),
        (
            lambda u: u.reclassify(UnitType.THON, effective=date(2026, 1, 1), actor=ACTOR),
            "unit_type",
        ),
        (lambda u: u.reclassify(UnitType.XA, effective=date(2026, 1, 1), actor=ACTOR), "unit_type"),
        (lambda u: u.dissolve(effective=REFORM_DATE, actor=ACTOR), "effective"),
        (
            lambda u: u.split(
                [Successor("00001", "Xã A")], effective=date(2026, 1, 1), actor=ACTOR
            ),
            "successors",
        ),
    ],
)
def test_bad_changes_are_refused(change: Any, field: str) -> None:
    with pytest.raises(AdminUnitError) as err:
        change(commune())
    assert err.value.field == field
    assert isinstance(err.value, DomainError)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "2648"}, "code"),
        ({"code": "2648a"}, "code"),
        ({"level": Tier.DISTRICT, "code": "750", "unit_type": UnitType.HUYEN}, "era"),
        ({"unit_type": UnitType.HUYEN}, "unit_type"),
        ({"name": "\n"}, "name"),
        ({"valid_to": date(2025, 6, 30)}, "valid_to"),
    ],
)
def test_bad_registration_is_refused(changes: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {
        "level": Tier.COMMUNE,
        "code": "26485",
        "name": "Xã Nhơn Trạch",
        "unit_type": UnitType.XA,
        "valid_from": REFORM_DATE,
    } | changes
    with pytest.raises(AdminUnitError) as err:
        AdminUnit.register(actor=ACTOR, **args)
    assert err.value.field == field


def test_ended_units_take_no_more_changes() -> None:
    unit = commune()
    unit.merge_into(
        Successor("26486", "Phường Long Thành"), effective=date(2027, 1, 1), actor=ACTOR
    )
    assert unit.valid_to == date(2026, 12, 31)
    assert [s.code for s in unit.successors] == ["26486"]
    with pytest.raises(AdminUnitError) as err:
        unit.rename("Xã Khác", effective=date(2027, 2, 1), actor=ACTOR)
    assert err.value.field == "effective"


def test_split_records_every_successor() -> None:
    unit = commune()
    parts = [
        Successor("26480", "Xã A", "Nhập một phần"),
        Successor("26490", "Xã B", "Nhập một phần"),
    ]
    unit.split(parts, effective=date(2027, 1, 1), actor=ACTOR)
    assert unit.successors == tuple(parts)
    assert unit.in_force_on(date(2026, 12, 31)) and not unit.in_force_on(date(2027, 1, 1))


# Roll-up by current units -----------------------------------------------------------------


def split_in(province_code: str) -> tuple[str, list[tuple[str, str]]]:
    """An old commune merged into the province that the CSV sends to several new communes."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for r in rows_of("conversion.csv"):
        if r["new_province_code"] == province_code and r["old_commune_code"]:
            rows.setdefault(r["old_commune_code"], []).append((r["new_commune_code"], r["note"]))
    return next((old, new) for old, new in rows.items() if len(new) > 1)


def test_split_old_commune_from_the_data() -> None:
    units = build_province_units("79", actor=ACTOR)
    old_code, expected = split_in("79")
    old = by_key(units)[Era.LEGACY, Tier.COMMUNE, old_code]
    assert [(s.code, s.note) for s in old.successors] == expected
    codes = tuple(code for code, _ in expected)
    mapping = successor_map(units)
    assert mapping == conversion_successors("79")
    assert current_successors(old_code, mapping) == codes
    (primary,) = current_successors(old_code, mapping, SplitPolicy.PRIMARY)
    assert primary in codes


def test_primary_successor_prefers_whole_population_then_same_code() -> None:
    mapping = {
        "00100": [
            Successor("00090", "Xã A", "Nhập một phần diện tích"),
            Successor("00100", "Xã B", "Nhập một phần diện tích"),
            Successor("00110", "Xã C", "Nhập một phần diện tích, toàn bộ dân số"),
        ],
        "00200": [Successor("00190", "Xã D", "Nhập một phần"), Successor("00200", "Xã E")],
        "00300": [Successor("00310", "Xã F"), Successor("00290", "Xã G")],
    }
    assert current_successors("00100", mapping, SplitPolicy.PRIMARY) == ("00110",)
    assert current_successors("00200", mapping, SplitPolicy.PRIMARY) == ("00200",)
    assert current_successors("00300", mapping, SplitPolicy.PRIMARY) == ("00310",)
    assert current_successors("99999", mapping) == ()


def test_roll_up_counts_and_keys() -> None:
    mapping = {
        "00001": [Successor("00097", "Phường Hồng Hà", "Nhập toàn bộ")],
        "00002": [Successor("00097", "Phường Hồng Hà", "Nhập toàn bộ")],
        "00003": [
            Successor("00003", "Phường X", "Nhập một phần"),
            Successor("00008", "Phường Y", "Nhập một phần"),
        ],
    }
    counts = {"00001": 2, "00002": 3, "00003": 5, "77777": 1}
    every = roll_up_counts(counts, mapping)
    assert every.by_current == {"00097": 5, "00003": 5, "00008": 5}
    assert every.unmapped == {"77777": 1}
    primary = roll_up_counts(counts, mapping, SplitPolicy.PRIMARY)
    assert primary.by_current == {"00097": 5, "00003": 5}
    assert sum(primary.by_current.values()) + sum(primary.unmapped.values()) == sum(counts.values())

    keys = roll_up_keys({"00001": ["h1", "h2"], "00002": ["h2"], "00003": ["h3"]}, mapping)
    assert keys.by_current == {
        "00097": frozenset({"h1", "h2"}),
        "00003": frozenset({"h3"}),
        "00008": frozenset({"h3"}),
    }
    assert keys.unmapped == {}


# Villages ---------------------------------------------------------------------------------


def test_village_under_a_commune(quang_tri: list[AdminUnit]) -> None:
    communes = current_communes(quang_tri)
    code = next(iter(communes))
    village = new_village(
        communes,
        commune_code=code,
        code=" thon-01 ",
        name="Thôn  Đông",
        unit_type=UnitType.THON,
        actor=ACTOR,
        valid_from=date(2025, 9, 1),
    )
    assert (village.level, village.code, village.name) == (Tier.VILLAGE, "THON-01", "Thôn Đông")
    assert village.parent_code == code and village.era is Era.CURRENT
    assert village.id == village_id(code, "THON-01")
    assert village.id != admin_unit_id(Tier.COMMUNE, code)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"commune_code": "99999"}, "commune_code"),
        ({"commune_code": "legacy"}, "commune_code"),
        ({"commune_code": "ended"}, "commune_code"),
        ({"name": "  "}, "name"),
        ({"code": ""}, "code"),
        ({"code": "T/01"}, "code"),
        ({"code": "Tổ 1"}, "code"),
        ({"code": "X" * 17}, "code"),
        ({"unit_type": UnitType.XA}, "unit_type"),
    ],
)
def test_bad_village_input(quang_tri: list[AdminUnit], changes: dict[str, Any], field: str) -> None:
    communes: dict[str, AdminUnit] = dict(current_communes(quang_tri))
    communes["legacy"] = next(u for u in quang_tri if u.era is Era.LEGACY)
    ended = commune()
    ended.dissolve(effective=date(2026, 1, 1), actor=ACTOR)
    communes["ended"] = ended
    args: dict[str, Any] = {
        "commune_code": next(iter(current_communes(quang_tri))),
        "code": "T01",
        "name": "Tổ dân phố 1",
        "unit_type": UnitType.TO_DAN_PHO,
    } | changes
    with pytest.raises(AdminUnitError) as err:
        new_village(communes, actor=ACTOR, **args)
    assert err.value.field == field


# Replay and storage -----------------------------------------------------------------------


def eventful_unit() -> AdminUnit:
    """A unit that went through every event type."""
    unit = commune()
    unit.rename("Xã Nhơn Trạch Mới", effective=date(2026, 1, 1), actor=ACTOR)
    unit.reclassify(UnitType.PHUONG, effective=date(2026, 6, 1), actor=ACTOR)
    unit.split(
        [Successor("26480", "Phường A", "Nhập một phần"), Successor("26490", "Phường B")],
        effective=date(2027, 1, 1),
        actor=ACTOR,
    )
    return unit


def replay(events: list[Any]) -> AdminUnit:
    unit = None
    for e in events:
        unit = e.mutate(unit)
    assert isinstance(unit, AdminUnit)
    return unit


@pytest.mark.parametrize(
    "make",
    [
        eventful_unit,
        lambda: by_key(build_province_units("79", actor=ACTOR))[
            Era.LEGACY, Tier.COMMUNE, split_in("79")[0]
        ],
        lambda: AdminUnit.register(
            level=Tier.VILLAGE,
            code="B1",
            name="Bản Mới",
            unit_type=UnitType.BAN,
            actor=ACTOR,
            parent_code="19742",
        ),
        lambda: _merged_and_dissolved()[0],
        lambda: _merged_and_dissolved()[1],
    ],
)
def test_replay_and_json_round_trip(make: Any) -> None:
    unit = make()
    events = unit.collect_events()
    assert replay(events) == unit
    mapper = JSONMapper()
    stored = [mapper.to_stored_event(e) for e in events]
    back = [mapper.to_domain_event(s) for s in stored]
    assert [type(e) for e in back] == [type(e) for e in events]
    assert replay(back) == unit


def _merged_and_dissolved() -> tuple[AdminUnit, AdminUnit]:
    merged, dissolved = commune("26485"), commune("26486")
    merged.merge_into(Successor("26486", "Xã B"), effective=date(2026, 1, 1), actor=ACTOR)
    dissolved.dissolve(effective=date(2026, 2, 1), actor=ACTOR)
    return merged, dissolved
