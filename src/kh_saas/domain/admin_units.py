"""Administrative units (đơn vị hành chính) of a tenant, with their history.

One ``AdminUnit`` aggregate per unit: the province (tỉnh / thành phố), its current communes
(xã / phường / đặc khu), the pre-reform districts (huyện / quận / thị xã / thành phố) and
communes (xã / phường / thị trấn) that ended on 30 June 2025, and the villages and
residential groups (thôn, bản, tổ dân phố, …) a tenant records under its communes.

**Ids.** ``admin_unit_id(level, code, era)`` = ``stable_id("admin-unit", level, code, era)``
for official units (NSO codes: province 2 digits, district 3, commune 5). The era is part of
the id because the 1 July 2025 reform reused codes for different units: legacy commune 00004
(Phường Trúc Bạch) and current commune 00004 (Phường Ba Đình) are two units, as are legacy
province 44 (Quảng Bình) and current province 44 (Quảng Trị). Villages have no official code:
``village_id(commune_code, code)`` = ``stable_id("admin-unit", "village", commune_code, code,
"current")``, the code being chosen by the tenant and unique within its commune. A rename or a
type change (xã → phường, same code) keeps the unit and its id: it is an event, not a new unit.

**Dates.** ``valid_from`` and ``valid_to`` are inclusive (``None``: unknown / open). Every
versioning event carries ``effective``, the first day the change applies (ngày có hiệu lực);
an ending event (merged, split, dissolved) sets ``valid_to`` to the day before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Generic, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.errors import DomainError
from kh_saas.domain.ids import stable_id
from kh_saas.domain.vocabulary import Tier

#: First day of the two-tier system (province → commune); districts ended the day before.
REFORM_DATE = date(2025, 7, 1)


class Era(StrEnum):
    """Which system a unit belongs to; part of its id because codes were reused across eras."""

    LEGACY = "legacy"  # ba cấp (tỉnh → huyện → xã), until 30 June 2025
    CURRENT = "current"  # hai cấp (tỉnh → xã), from 1 July 2025


def era_on(day: date) -> Era:
    """The system a unit named on ``day`` belongs to (a unit code means another unit after
    1 July 2025 if it was reused)."""
    return Era.LEGACY if day < REFORM_DATE else Era.CURRENT


class UnitType(StrEnum):
    """Loại đơn vị hành chính. Stored in events: never rename a member, add new ones."""

    TINH = "tinh"  # tỉnh
    THANH_PHO = "thanh_pho"  # thành phố (trực thuộc trung ương, or a pre-reform provincial city)
    HUYEN = "huyen"  # huyện
    QUAN = "quan"  # quận
    THI_XA = "thi_xa"  # thị xã
    XA = "xa"  # xã
    PHUONG = "phuong"  # phường
    THI_TRAN = "thi_tran"  # thị trấn
    DAC_KHU = "dac_khu"  # đặc khu
    THON = "thon"  # thôn
    XOM = "xom"  # xóm
    AP = "ap"  # ấp
    BAN = "ban"  # bản
    BUON = "buon"  # buôn
    LANG = "lang"  # làng
    PLEI = "plei"  # plei (Tây Nguyên)
    PHUM = "phum"  # phum
    SOC = "soc"  # sóc
    TO_DAN_PHO = "to_dan_pho"  # tổ dân phố
    KHU_PHO = "khu_pho"  # khu phố
    KHOM = "khom"  # khóm


#: The types each level may have (thành phố is both a province and a pre-reform district).
LEVEL_TYPES: dict[Tier, frozenset[UnitType]] = {
    Tier.PROVINCE: frozenset({UnitType.TINH, UnitType.THANH_PHO}),
    Tier.DISTRICT: frozenset({UnitType.HUYEN, UnitType.QUAN, UnitType.THI_XA, UnitType.THANH_PHO}),
    Tier.COMMUNE: frozenset({UnitType.XA, UnitType.PHUONG, UnitType.THI_TRAN, UnitType.DAC_KHU}),
    Tier.VILLAGE: frozenset(
        {
            UnitType.THON,
            UnitType.XOM,
            UnitType.AP,
            UnitType.BAN,
            UnitType.BUON,
            UnitType.LANG,
            UnitType.PLEI,
            UnitType.PHUM,
            UnitType.SOC,
            UnitType.TO_DAN_PHO,
            UnitType.KHU_PHO,
            UnitType.KHOM,
        }
    ),
}

#: Digits of an official NSO code per level.
CODE_DIGITS: dict[Tier, int] = {Tier.PROVINCE: 2, Tier.DISTRICT: 3, Tier.COMMUNE: 5}

#: A tenant's village code: upper-case letters, digits, '-' or '_'; never '/' (id separator).
VILLAGE_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,15}")


class AdminUnitError(DomainError):
    """Đơn vị hành chính không hợp lệ: ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("admin_unit", message, field=field)


class Successor(msgspec.Struct, frozen=True):
    """Đơn vị kế thừa: a unit that took over (part of) an ended unit.

    ``note`` is the conversion table's remark (ghi chú), verbatim: "Nhập toàn bộ" (merged
    whole), "Nhập một phần" (merged in part), "Giữ nguyên" (unchanged), ….
    """

    code: str
    name: str
    note: str = ""
    level: Tier = Tier.COMMUNE
    era: Era = Era.CURRENT

    @property
    def unit_id(self) -> UUID:
        return admin_unit_id(self.level, self.code, self.era)


class NameVersion(msgspec.Struct, frozen=True):
    """Tên và loại in force from ``since`` (``None``: since before records begin)."""

    since: date | None
    name: str
    unit_type: UnitType


def admin_unit_id(level: Tier, code: str, era: Era = Era.CURRENT) -> UUID:
    """Id of an official unit (tỉnh, huyện, xã) from its NSO code and era."""
    return stable_id("admin-unit", level, code, era)


def village_id(commune_code: str, code: str) -> UUID:
    """Id of a village (thôn / tổ dân phố) from its commune's code and the tenant's code."""
    return stable_id("admin-unit", Tier.VILLAGE, commune_code, code, Era.CURRENT)


def clean_name(name: str) -> str:
    """NFC with runs of whitespace collapsed, so equal names compare and hash equal."""
    return unicodedata.normalize("NFC", " ".join(name.split()))


class AdminUnit(Aggregate):
    """Đơn vị hành chính: tỉnh, huyện (historical), xã / phường / đặc khu, thôn / tổ dân phố.

    Create through ``AdminUnit.register`` (it validates and normalises); the history of names
    and types is kept so reports can show the name in force at the time.
    """

    @event("Registered")
    def __init__(
        self,
        *,
        level: Tier,
        code: str,
        era: Era,
        name: str,
        unit_type: UnitType,
        parent_code: str | None,
        valid_from: date | None,
        valid_to: date | None,
        successors: tuple[Successor, ...],
        actor: str,
    ) -> None:
        self.level = level
        self.code = code
        self.era = era
        self.name = name
        self.unit_type = unit_type
        self.parent_code = parent_code
        self.valid_from = valid_from
        self.valid_to = valid_to
        self.successors = successors
        self.history: tuple[NameVersion, ...] = (
            NameVersion(since=valid_from, name=name, unit_type=unit_type),
        )
        self.registered_by = actor

    @staticmethod
    def create_id(level: Tier, code: str, era: Era, parent_code: str | None) -> UUID:
        if level is Tier.VILLAGE:
            return village_id(parent_code or "", code)
        return admin_unit_id(level, code, era)

    @classmethod
    def register(
        cls,
        *,
        level: Tier,
        code: str,
        name: str,
        unit_type: UnitType,
        actor: str,
        era: Era = Era.CURRENT,
        parent_code: str | None = None,
        valid_from: date | None = None,
        valid_to: date | None = None,
        successors: Iterable[Successor] = (),
    ) -> AdminUnit:
        """A new unit, validated: code shape per level, type allowed for the level, dates."""
        _check_code(level, code, era, parent_code)
        _check_type(level, unit_type)
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            raise AdminUnitError("valid_to", "valid_to is before valid_from")
        return cls(
            level=level,
            code=code,
            era=era,
            name=_required_name(name),
            unit_type=unit_type,
            parent_code=parent_code,
            valid_from=valid_from,
            valid_to=valid_to,
            successors=tuple(successors),
            actor=actor,
        )

    # Queries -----------------------------------------------------------------------------

    def in_force_on(self, day: date) -> bool:
        """Còn hiệu lực: the unit existed on ``day`` (open bounds count as in force)."""
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_to is None or day <= self.valid_to)

    def version_on(self, day: date) -> NameVersion | None:
        """The name and type in force on ``day``; ``None`` when the unit did not exist."""
        if not self.in_force_on(day):
            return None
        current = self.history[0]
        for version in self.history[1:]:
            if version.since is not None and version.since <= day:
                current = version
        return current

    def name_on(self, day: date) -> str | None:
        version = self.version_on(day)
        return None if version is None else version.name

    def type_on(self, day: date) -> UnitType | None:
        version = self.version_on(day)
        return None if version is None else version.unit_type

    # Commands ----------------------------------------------------------------------------

    def rename(self, name: str, *, effective: date, actor: str) -> None:
        """Đổi tên from ``effective``; earlier dates keep the old name."""
        name = _required_name(name)
        self._check_change(effective)
        if name == self.name:
            raise AdminUnitError("name", f"the unit is already named {name!r}")
        self._renamed(name=name, effective=effective, actor=actor)

    def reclassify(
        self, unit_type: UnitType, *, effective: date, actor: str, name: str | None = None
    ) -> None:
        """Đổi loại hình (e.g. xã → phường, same code); the name usually changes with it."""
        _check_type(self.level, unit_type)
        self._check_change(effective)
        new_name = self.name if name is None else _required_name(name)
        if unit_type is self.unit_type:
            raise AdminUnitError("unit_type", f"the unit is already a {unit_type}")
        self._reclassified(unit_type=unit_type, name=new_name, effective=effective, actor=actor)

    def merge_into(self, successor: Successor, *, effective: date, actor: str) -> None:
        """Sáp nhập toàn bộ: the unit ends the day before ``effective``."""
        self._check_end(effective)
        self._merged_into(successor=successor, effective=effective, actor=actor)

    def split(self, successors: Sequence[Successor], *, effective: date, actor: str) -> None:
        """Chia tách: the unit ends and its area goes to two or more units."""
        if len({s.unit_id for s in successors}) < 2:
            raise AdminUnitError("successors", "a split needs at least two distinct successors")
        self._check_end(effective)
        self._split(successors=tuple(successors), effective=effective, actor=actor)

    def dissolve(self, *, effective: date, actor: str) -> None:
        """Giải thể: the unit ends with no successor recorded."""
        self._check_end(effective)
        self._dissolved(effective=effective, actor=actor)

    # Events ------------------------------------------------------------------------------

    @event("Renamed")
    def _renamed(self, *, name: str, effective: date, actor: str) -> None:
        self._new_version(effective, name, self.unit_type)

    @event("Reclassified")
    def _reclassified(self, *, unit_type: UnitType, name: str, effective: date, actor: str) -> None:
        self._new_version(effective, name, unit_type)

    @event("MergedInto")
    def _merged_into(self, *, successor: Successor, effective: date, actor: str) -> None:
        self.successors = (successor,)
        self.valid_to = effective - timedelta(days=1)

    @event("Split")
    def _split(self, *, successors: tuple[Successor, ...], effective: date, actor: str) -> None:
        self.successors = successors
        self.valid_to = effective - timedelta(days=1)

    @event("Dissolved")
    def _dissolved(self, *, effective: date, actor: str) -> None:
        self.valid_to = effective - timedelta(days=1)

    # Helpers -----------------------------------------------------------------------------

    def _new_version(self, since: date, name: str, unit_type: UnitType) -> None:
        self.name = name
        self.unit_type = unit_type
        self.history = (*self.history, NameVersion(since=since, name=name, unit_type=unit_type))

    def _check_change(self, effective: date) -> None:
        """Changes go forward in time, on a day the unit exists: history is never rewritten."""
        if not self.in_force_on(effective):
            raise AdminUnitError("effective", f"the unit is not in force on {effective}")
        last = self.history[-1].since
        if last is not None and effective <= last:
            raise AdminUnitError("effective", f"effective must be after {last}")

    def _check_end(self, effective: date) -> None:
        self._check_change(effective)
        if self.valid_from is not None and effective <= self.valid_from:
            raise AdminUnitError("effective", "a unit must exist for at least one day")


def _required_name(name: str) -> str:
    cleaned = clean_name(name)
    if not cleaned:
        raise AdminUnitError("name", "a unit needs a name")
    return cleaned


def _check_type(level: Tier, unit_type: UnitType) -> None:
    if unit_type not in LEVEL_TYPES[level]:
        raise AdminUnitError("unit_type", f"a {level} cannot be a {unit_type}")


def _check_code(level: Tier, code: str, era: Era, parent_code: str | None) -> None:
    if level is Tier.VILLAGE:
        if era is not Era.CURRENT:
            raise AdminUnitError("era", "villages are recorded in the current era only")
        if not parent_code or not _is_official(Tier.COMMUNE, parent_code):
            raise AdminUnitError("parent_code", "a village needs its commune's 5-digit code")
        if VILLAGE_CODE.fullmatch(code) is None:
            raise AdminUnitError(
                "code", "a village code is 1–16 of A–Z, 0–9, '-', '_' (starting A–Z or 0–9)"
            )
    elif not _is_official(level, code):
        raise AdminUnitError("code", f"a {level} code is {CODE_DIGITS[level]} digits")
    if level is Tier.DISTRICT and era is Era.CURRENT:
        raise AdminUnitError("era", "districts ended on 30 June 2025: legacy era only")


def _is_official(level: Tier, code: str) -> bool:
    return len(code) == CODE_DIGITS[level] and code.isascii() and code.isdigit()


# Roll-up by current units -----------------------------------------------------------------


class SplitPolicy(StrEnum):
    """How a split old commune (one old code, several successors) is attributed."""

    #: To every successor. Right for "what history does this current commune carry": each
    #: successor took part of the old commune's people, and without addresses we cannot tell
    #: which. Sums over current communes then double-count split communes.
    EVERY = "every"
    #: To one successor only, so totals stay exact: the one that received the whole
    #: population ("… toàn bộ dân số"), else the one that kept the old code (the continuing
    #: core), else the first listed (the conversion table lists by new code).
    PRIMARY = "primary"


#: Legacy commune code → its successors, as in ``AdminUnit.successors`` / conversion.csv.
SuccessorMap = Mapping[str, Sequence[Successor]]

V = TypeVar("V")


@dataclass
class RollUp(Generic[V]):
    """Values re-keyed by current commune; old codes with no known successor stay apart."""

    by_current: dict[str, V] = field(default_factory=dict)
    unmapped: dict[str, V] = field(default_factory=dict)


def current_successors(
    old_code: str, successors: SuccessorMap, policy: SplitPolicy = SplitPolicy.EVERY
) -> tuple[str, ...]:
    """Current commune codes an old commune's records count towards (``()``: unknown code)."""
    found = tuple(successors.get(old_code, ()))
    if len(found) <= 1 or policy is SplitPolicy.EVERY:
        return tuple(dict.fromkeys(s.code for s in found))
    return (_primary(old_code, found).code,)


def _primary(old_code: str, found: Sequence[Successor]) -> Successor:
    whole_population = [s for s in found if "toàn bộ dân số" in s.note]
    same_code = [s for s in found if s.code == old_code]
    return (whole_population or same_code or list(found))[0]


def successor_map(units: Iterable[AdminUnit]) -> dict[str, tuple[Successor, ...]]:
    """The legacy communes' successors by old code (the map the roll-ups take)."""
    return {
        u.code: u.successors
        for u in units
        if u.level is Tier.COMMUNE and u.era is Era.LEGACY and u.successors
    }


def roll_up_counts(
    counts: Mapping[str, int], successors: SuccessorMap, policy: SplitPolicy = SplitPolicy.EVERY
) -> RollUp[int]:
    """Counts per old commune code → counts per current commune code."""
    result: RollUp[int] = RollUp()
    for old_code, count in counts.items():
        targets = current_successors(old_code, successors, policy)
        if not targets:
            result.unmapped[old_code] = result.unmapped.get(old_code, 0) + count
        for code in targets:
            result.by_current[code] = result.by_current.get(code, 0) + count
    return result


def roll_up_keys(
    keys: Mapping[str, Iterable[str]],
    successors: SuccessorMap,
    policy: SplitPolicy = SplitPolicy.EVERY,
) -> RollUp[frozenset[str]]:
    """Keys (e.g. subject ids) per old commune code → per current commune code, de-duplicated."""
    by_current: dict[str, set[str]] = {}
    unmapped: dict[str, set[str]] = {}
    for old_code, values in keys.items():
        targets = current_successors(old_code, successors, policy)
        if not targets:
            unmapped.setdefault(old_code, set()).update(values)
        for code in targets:
            by_current.setdefault(code, set()).update(values)
    return RollUp(
        by_current={k: frozenset(v) for k, v in by_current.items()},
        unmapped={k: frozenset(v) for k, v in unmapped.items()},
    )
