"""A realistic demo province, loaded over the public HTTP API (``kh-saas demo``).

Real communes of the province; a few hundred villages; ~20,000 households; clans, units,
communities and citizens; three assessment years (2023–2025) of nominations and decisions,
including a level-1 → level-2 community upgrade across the 1 July 2025 reform; a few
revocations. Seeded randomness: the same command gives the same province.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from kh_saas.reference import provinces

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Phan",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Trương",
    "Đinh",
]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quang", "Ngọc", "Xuân", "Công"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hoa",
    "Hùng",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Phong",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thắng",
    "Trang",
    "Tuấn",
    "Việt",
    "Yến",
    "Hương",
    "Khánh",
    "Lộc",
]
VILLAGE_NAMES = [
    "An Xuân",
    "Hà Thanh",
    "Phú Hậu",
    "Tân Định",
    "Đông Hà",
    "Cam Lộ",
    "Bến Hải",
    "Vĩnh Tú",
    "Trung Lập",
    "Mỹ Thủy",
    "Hải Lăng",
    "Triệu Phong",
]
SIGNER = {"name": "Nguyễn Văn Bình", "position": "Chủ tịch"}

Log = Callable[[str], None]


class DemoError(Exception):
    pass


@dataclass
class Demo:
    client: httpx.Client
    slug: str
    log: Log
    # Seeded on purpose (S311): a demo, not a secret; the same command gives the same province.
    rng: random.Random = field(default_factory=lambda: random.Random(20231))  # noqa: S311
    keys: dict[str, dict[str, str]] = field(default_factory=dict)
    communes: list[dict[str, Any]] = field(default_factory=list)
    decisions: int = 0

    # --- HTTP ---------------------------------------------------------------------------

    def call(self, method: str, path: str, role: str, body: Any = None) -> Any:
        r = self.client.request(
            method, f"/v1/t/{self.slug}{path}", json=body, headers=self.keys[role]
        )
        if r.is_error:
            raise DemoError(f"{method} {path} → {r.status_code}: {r.text[:600]}")
        return r.json() if r.content else None

    def person(self) -> str:
        return f"{self.rng.choice(SURNAMES)} {self.rng.choice(MIDDLE)} {self.rng.choice(GIVEN)}"

    # --- steps --------------------------------------------------------------------------

    def villages(self) -> dict[str, list[str]]:
        items, by_commune = [], {}
        for c in self.communes:
            codes = [f"THON-{i + 1}" for i in range(4)]
            by_commune[c["code"]] = codes
            for i, code in enumerate(codes):
                name = f"Thôn {self.rng.choice(VILLAGE_NAMES)} {i + 1}"
                items.append({"commune_code": c["code"], "code": code, "name": name})
        self.call("POST", "/units/villages/bulk", "officer", {"items": items})
        self.log(f"villages: {len(items)}")
        return by_commune

    def register(self, items: list[dict[str, Any]], what: str) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(items), 10_000):
            ids += self.call(
                "POST", "/subjects/bulk", "officer", {"items": items[start : start + 10_000]}
            )["ids"]
        self.log(f"{what}: {len(ids)}")
        return ids

    def subjects(self, villages: dict[str, list[str]], households: int) -> dict[str, Any]:
        per_commune = max(1, households // len(self.communes))
        hh, clans, units, citizens, communities = [], [], [], [], []
        for c in self.communes:
            code = c["code"]
            for i in range(per_commune):
                head = self.person()
                hh.append(
                    {
                        "kind": "household",
                        "name": f"Hộ {head}",
                        "head_name": head,
                        "commune_code": code,
                        "village_code": self.rng.choice(villages[code]),
                        "ref": f"HK-{code}-{i:05d}",
                        "members": self.rng.randint(2, 7),
                    }
                )
            for i in range(4):
                surname = self.rng.choice(SURNAMES)
                clans.append(
                    {
                        "kind": "clan",
                        "name": f"Dòng họ {surname} ({c['name']})",
                        "surname": surname,
                        "commune_code": code,
                        "ref": f"DH-{code}-{i}",
                    }
                )
            units.append(
                {
                    "kind": "unit",
                    "name": f"Trường Tiểu học {c['name'].split(' ', 1)[1]}",
                    "unit_kind": "school",
                    "managing_tier": "commune",
                    "commune_code": code,
                    "ref": f"DV-{code}-TH",
                }
            )
            communities.append(
                {
                    "kind": "community",
                    "name": c["name"],
                    "community_kind": "commune",
                    "area_code": code,
                    "commune_code": code,
                    "ref": f"CD-{code}",
                }
            )
            for i in range(25):
                year = self.rng.randint(1960, 2004)
                citizens.append(
                    {
                        "kind": "citizen",
                        "name": self.person(),
                        "birth_year": year,
                        "citizen_id": f"044{1 if year < 2000 else 3}{year % 100:02d}"
                        f"{self.rng.randint(0, 999999):06d}",
                        "commune_code": code,
                        "ref": f"CD-{code}-{i}",
                    }
                )
        return {
            "households": self.register(hh, "households"),
            "clans": self.register(clans, "clans"),
            "units": self.register(units, "units"),
            "communities": self.register(communities, "communities"),
            "citizens": self.register(citizens, "citizens"),
        }

    def decide(self, body: dict[str, Any]) -> dict[str, Any]:
        self.decisions += 1
        result: dict[str, Any] = self.call("POST", "/decisions", "signer", body)
        return result

    def nominate(
        self,
        subject: str,
        *,
        title: str,
        tier: str,
        level: int | None,
        year: int,
        criteria: dict[str, Any],
    ) -> str:
        body = {
            "subject_id": subject,
            "title": title,
            "tier": tier,
            "level": level,
            "year": year,
            "criteria_set_id": criteria["id"],
        }
        n = self.call("POST", "/nominations", "officer", body)
        scores = [
            {"indicator": i["code"], "points": i["max_points"]}
            if i.get("max_points")
            else {"indicator": i["code"], "passed": (level or 1) >= min(i["levels"])}
            for crit in criteria["criteria"]
            for i in crit["indicators"]
        ]
        path = f"/nominations/{n['id']}"
        self.call("POST", f"{path}/self-assessment", "officer", {"scores": scores})
        self.call(
            "POST",
            f"{path}/evidence",
            "officer",
            {
                "items": [
                    {
                        "file_name": "bien-ban-binh-xet.pdf",
                        "sha256": f"{self.rng.getrandbits(256):064x}",
                        "url": f"https://files.{self.slug}.example/{n['id']}.pdf",
                    }
                ]
            },
        )
        self.call("POST", f"{path}/submit", "officer")
        self.call("POST", f"{path}/review", "reviewer", {"scores": scores})
        self.call("POST", f"{path}/approve", "reviewer")
        return str(n["id"])

    def years(self, ids: dict[str, Any]) -> list[str]:
        sets = {
            (c["title"], c["tier"]): c
            for c in self.call("GET", "/criteria-sets", "officer")["items"]
        }
        households = ids["households"]
        per_commune = len(households) // len(self.communes)
        revocable: list[str] = []
        for year in (2023, 2024, 2025):
            share = {2023: 0.55, 2024: 0.62, 2025: 0.68}[year]
            for n, c in enumerate(self.communes):
                mine = households[n * per_commune : (n + 1) * per_commune]
                chosen = [h for h in mine if self.rng.random() < share]
                issuer = {
                    "office": "commune_chairman",
                    "name": f"UBND {c['name']}",
                    "unit_code": c["code"],
                }
                self.decide(
                    {
                        "number": f"{100 + n}/QĐ-UBND",
                        "signed_on": f"{year + 1}-01-15",
                        "issuer": issuer,
                        "signer": SIGNER,
                        "title": "learning_household",
                        "tier": "commune",
                        "year": year,
                        "recipients": [{"subject_id": h} for h in chosen],
                    }
                )
                if year == 2024 and n < 3:
                    revocable += chosen[:2]
                clans = ids["clans"][n * 4 : (n + 1) * 4]
                nominated = [
                    {
                        "subject_id": cl,
                        "nomination_id": self.nominate(
                            cl,
                            title="learning_clan",
                            tier="commune",
                            level=None,
                            year=year,
                            criteria=sets[("learning_clan", "commune")],
                        ),
                    }
                    for cl in clans[: 1 + (year - 2023)]
                ]
                self.decide(
                    {
                        "number": f"{300 + n}/QĐ-UBND",
                        "signed_on": f"{year + 1}-02-10",
                        "issuer": issuer,
                        "signer": SIGNER,
                        "title": "learning_clan",
                        "tier": "commune",
                        "year": year,
                        "recipients": nominated,
                    }
                )
            self.log(f"assessment year {year}: decisions so far {self.decisions}")
        self.communities(ids["communities"], sets)
        self.citizens(ids["citizens"])
        return revocable

    def communities(self, communities: list[str], sets: dict[tuple[str, str], Any]) -> None:
        """Level 1 for 2023 (decided before the reform by the district education head), then
        level 2 for 2025 (after the reform, by the provincial education director)."""
        criteria = sets[("learning_community", "commune")]
        chosen = communities[:6]
        level1 = [
            {
                "subject_id": s,
                "nomination_id": self.nominate(
                    s,
                    title="learning_community",
                    tier="commune",
                    level=1,
                    year=2023,
                    criteria=criteria,
                ),
            }
            for s in chosen
        ]
        self.decide(
            {
                "number": "45/QĐ-PGDĐT",
                "signed_on": "2024-03-20",
                "issuer": {
                    "office": "district_education_head",
                    "name": "Phòng GD&ĐT huyện Vĩnh Linh",
                    "unit_code": "464",
                },
                "signer": {"name": "Trần Thị Lan", "position": "Trưởng phòng"},
                "title": "learning_community",
                "tier": "commune",
                "level": 1,
                "year": 2023,
                "recipients": level1,
            }
        )
        level2 = [
            {
                "subject_id": s,
                "nomination_id": self.nominate(
                    s,
                    title="learning_community",
                    tier="commune",
                    level=2,
                    year=2025,
                    criteria=criteria,
                ),
            }
            for s in chosen[:3]
        ]
        self.decide(
            {
                "number": "12/QĐ-SGDĐT",
                "signed_on": "2026-03-25",
                "issuer": {
                    "office": "province_education_director",
                    "name": "Sở GD&ĐT tỉnh Quảng Trị",
                },
                "signer": {"name": "Lê Văn Hải", "position": "Giám đốc"},
                "title": "learning_community",
                "tier": "commune",
                "level": 2,
                "year": 2025,
                "recipients": level2,
            }
        )

    def citizens(self, citizens: list[str]) -> None:
        c = self.communes[0]
        for year in (2024, 2025):
            chosen = [s for s in citizens if self.rng.random() < 0.5]
            self.decide(
                {
                    "number": f"{500 + year % 100}/QĐ-UBND",
                    "signed_on": f"{year + 1}-01-20",
                    "issuer": {
                        "office": "commune_chairman",
                        "name": f"UBND {c['name']}",
                        "unit_code": c["code"],
                    },
                    "signer": SIGNER,
                    "title": "learning_citizen",
                    "tier": "commune",
                    "year": year,
                    "recipients": [{"subject_id": s} for s in chosen],
                }
            )

    def revocations(self, recognised: list[str]) -> None:
        c = self.communes[0]
        ids = [
            self.call(
                "GET", f"/recognitions?subject_id={s}&title=learning_household&year=2024", "officer"
            )["id"]
            for s in recognised[:5]
        ]
        self.call(
            "POST",
            "/revocations",
            "signer",
            {
                "number": "88/QĐ-UBND",
                "signed_on": "2025-09-10",
                "issuer": {
                    "office": "commune_chairman",
                    "name": f"UBND {c['name']}",
                    "unit_code": c["code"],
                },
                "signer": SIGNER,
                "reason": "fraud",
                "explanation": "Kê khai thành tích học tập không trung thực.",
                "recognition_ids": ids,
            },
        )
        self.log(f"revocations: {len(ids)} recognitions taken back")


def load_demo(
    url: str, admin_key: str, slug: str, *, households: int = 20_000, log: Log = print
) -> bool:
    """Create and fill the demo province; ``False`` when it already exists."""
    refs = {p.slug: p for p in provinces().values()}
    if slug not in refs:
        raise DemoError(f"{slug!r} is not a province slug (e.g. quang-tri, ha-noi, hue)")
    ref = refs[slug]
    admin = {"Authorization": f"Bearer {admin_key}"}
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600) as client:
        r = client.post(
            "/v1/tenants",
            headers=admin,
            json={"slug": slug, "name": ref.short_name, "province_code": ref.code},
        )
        if r.status_code == 409:
            log(f"tenant {slug!r} already exists; nothing loaded")
            return False
        if r.is_error:
            raise DemoError(f"cannot create tenant: {r.status_code} {r.text[:300]}")
        demo = Demo(client, slug, log)
        for role in ("tenant_admin", "officer", "reviewer", "signer", "auditor"):
            key = client.post(
                f"/v1/tenants/{slug}/api-keys",
                headers=admin,
                json={"name": f"demo {role}", "role": role},
            ).json()
            demo.keys[role] = {"Authorization": f"Bearer {key['secret']}"}
        demo.communes = demo.call("GET", "/units?level=commune&era=current", "officer")["items"]
        villages = demo.villages()
        ids = demo.subjects(villages, households)
        revocable = demo.years(ids)
        demo.revocations(revocable)
    log(f"{slug} loaded in {time.perf_counter() - started:.0f} s ({demo.decisions} decisions)")
    return True
