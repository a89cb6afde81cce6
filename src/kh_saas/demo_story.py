"""Where and by whom the demo's records were made: true in time and place.

Before 1 July 2025 records are made against the legacy communes and districts by the offices
that had jurisdiction then (UBND of the legacy commune, Phòng GD&ĐT or UBND of the legacy
district); afterwards by today's communes and the province. Each office signs with its own
chairman or head and numbers its acts in one increasing sequence per year.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from kh_saas.reference import read_rows

SURNAMES = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý", "Trương", "Đinh",
]  # fmt: skip
MALE_MIDDLE = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Xuân", "Công", "Thanh"]
FEMALE_MIDDLE = ["Thị", "Thị", "Ngọc", "Thanh", "Minh", "Thu"]
MALE_GIVEN = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Long", "Nam", "Phong", "Phúc",
              "Quân", "Sơn", "Thắng", "Tuấn", "Việt", "Khánh", "Lộc", "Tâm"]  # fmt: skip
FEMALE_GIVEN = ["Hà", "Hạnh", "Hoa", "Lan", "Linh", "Mai", "Thảo", "Trang", "Yến", "Hương",
                "Nhung", "Oanh", "Tâm", "Vân"]  # fmt: skip
#: Thôn names of the central coast; tổ dân phố and khu phố are numbered.
THON_NAMES = ["An Xuân", "Tân Định", "Phú Hậu", "Hà Thanh", "Trung Lập", "Mỹ Thủy", "Đông Giang",
              "Tây Sơn", "Phước Thị", "Lâm Xuân", "Hòa Bình", "Thượng Nghĩa"]  # fmt: skip
BAN_NAMES = ["Ka Loi", "A Xing", "Ra Ty", "Húc Nghì", "Cu Vơ", "Pa Tầng"]


def sentence_case(name: str) -> str:
    """ "Xã Gio Linh" → "xã Gio Linh": the unit type is lower-case after UBND / Phòng GD&ĐT."""
    return name[:1].lower() + name[1:]


@dataclass(frozen=True)
class Legacy:
    """A legacy commune merged into a current one, with its legacy district."""

    code: str
    name: str
    district_code: str
    district_name: str
    province_code: str  # the old province (birth-registration code of CCCDs: 0 + this)


@cache
def _legacy_tables() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    communes = {r["code"]: r for r in read_rows("legacy_communes.csv")}
    districts = {r["code"]: r for r in read_rows("legacy_districts.csv")}
    return communes, districts


def predecessors(province_code: str) -> dict[str, Legacy]:
    """For each current commune, the legacy commune whose records the demo keeps: one merged
    into it whole, preferring one with another code (so the roll-up shows)."""
    communes, districts = _legacy_tables()
    into: dict[str, list[dict[str, str]]] = defaultdict(list)
    splits: dict[str, int] = defaultdict(int)
    rows = [r for r in read_rows("conversion.csv") if r["new_province_code"] == province_code]
    for r in rows:
        splits[r["old_commune_code"]] += 1
    for r in rows:
        if r["old_commune_code"] and splits[r["old_commune_code"]] == 1:
            into[r["new_commune_code"]].append(r)
    chosen: dict[str, Legacy] = {}
    for new, olds in into.items():
        olds.sort(key=lambda r: (r["old_commune_code"] == new, r["old_commune_code"]))
        old = olds[0]
        row = communes.get(old["old_commune_code"], {})
        district = districts.get(old["old_district_code"], {})
        chosen[new] = Legacy(
            code=old["old_commune_code"],
            name=row.get("name", old["old_commune_name"]),
            district_code=old["old_district_code"],
            district_name=district.get("name", f"Huyện {old['old_district_code']}"),
            province_code=old["old_province_code"],
        )
    return chosen


@dataclass
class Offices:
    """Issuers, their signers and their number sequences."""

    rng: random.Random
    signers: dict[str, dict[str, str]] = field(default_factory=dict)
    used: dict[tuple[str, str], int] = field(default_factory=dict)

    def person(self, female: bool | None = None) -> tuple[str, bool]:
        if female is None:
            female = self.rng.random() < 0.5
        middle = FEMALE_MIDDLE if female else MALE_MIDDLE
        given = FEMALE_GIVEN if female else MALE_GIVEN
        name = f"{self.rng.choice(SURNAMES)} {self.rng.choice(middle)} {self.rng.choice(given)}"
        return name, female

    def signer(self, issuer: dict[str, str], position: str) -> dict[str, str]:
        """Each office signs with its own head, the same all along."""
        key = f"{issuer['name']}|{position}"
        if key not in self.signers:
            self.signers[key] = {"name": self.person()[0], "position": position}
        return self.signers[key]

    def number(self, issuer: dict[str, str], on: date, symbol: str) -> str:
        """One running sequence per issuer and year that increases with the signing date,
        whatever order the demo records acts in: four numbers a day, from the day of year."""
        key = (issuer["name"], on.isoformat())
        today = self.used.get(key, 0)
        self.used[key] = today + 1
        return f"{on.timetuple().tm_yday * 4 + min(today, 3)}/{symbol}"


def citizen_id(old_province: str, birth_year: int, female: bool, rng: random.Random) -> str:
    """CCCD: birth-registration province (0 + the old province's code: 044 Quảng Bình, 045
    Quảng Trị), then the sex-and-century digit (0/1 for 1900s men/women, 2/3 for 2000s), the
    year's last two digits and six more."""
    century = 0 if birth_year < 2000 else 2
    return (
        f"0{old_province}{century + int(female)}{birth_year % 100:02d}{rng.randint(0, 999_999):06d}"
    )


def villages_of(commune: dict[str, str], rng: random.Random) -> list[tuple[str, str, str]]:
    """(code, name, type): a ward has tổ dân phố, a commune thôn and a bản in the hills."""
    if commune["unit_type"] in ("phuong", "dac_khu"):
        return [(f"TDP-{i}", f"Tổ dân phố {i}", "to_dan_pho") for i in range(1, 5)]
    names = rng.sample(THON_NAMES, 3)
    found = [(f"THON-{i + 1}", f"Thôn {n}", "thon") for i, n in enumerate(names)]
    return [*found, ("BAN-1", f"Bản {rng.choice(BAN_NAMES)}", "ban")]
