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
    recognised: dict[int, set[str]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    _mark: float = field(default_factory=time.perf_counter)

    def stage(self, line: str) -> None:
        """One line per stage, with the time it took: the operator's progress report."""
        now = time.perf_counter()
        self.log(f"{line} ({now - self._mark:.1f} s)")
        self._mark = now

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
        self.stage(f"{len(self.communes)} communes, {len(items)} villages")
        return by_commune

    def register(self, items: list[dict[str, Any]]) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(items), 10_000):
            ids += self.call(
                "POST", "/subjects/bulk", "officer", {"items": items[start : start + 10_000]}
            )["ids"]
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
        ids = {
            "households": self.register(hh),
            "clans": self.register(clans),
            "units": self.register(units),
            "communities": self.register(communities),
            "citizens": self.register(citizens),
        }
        self.stage(", ".join(f"{len(v):,} {kind}" for kind, v in ids.items()))
        return ids

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
            decided_before, clans_recognised = self.decisions, 0
            share = {2023: 0.55, 2024: 0.62, 2025: 0.68}[year]
            for n, c in enumerate(self.communes):
                mine = households[n * per_commune : (n + 1) * per_commune]
                chosen = [h for h in mine if self.rng.random() < share]
                self.recognised.setdefault(year, set()).update(chosen)
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
                clans_recognised += len(nominated)
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
            self.stage(
                f"assessment year {year}: {len(self.recognised[year]):,} households and "
                f"{clans_recognised} clans (nominated, reviewed, approved) recognised in "
                f"{self.decisions - decided_before} decisions"
            )
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
        self.stage(
            f"learning communities: {len(level1)} at level 1 for 2023 (district, before the "
            f"reform), {len(level2)} upgraded to level 2 for 2025 (province, after it)"
        )

    def citizens(self, citizens: list[str]) -> None:
        c = self.communes[0]
        counts = []
        for year in (2024, 2025):
            chosen = [s for s in citizens if self.rng.random() < 0.5]
            counts.append(f"{len(chosen)} for {year}")
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
        self.stage(f"learning citizens recognised: {', '.join(counts)}")

    def revocations(self, recognised: list[str]) -> None:
        c = self.communes[0]
        ids = [
            self.call(
                "GET", f"/recognitions?subject_id={s}&title=learning_household&year=2024", "officer"
            )["id"]
            for s in recognised[:5]
        ]
        self.revoked.update(recognised[:5])
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
        self.stage(f"revocations: {len(ids)} recognitions taken back")


class DemoAwards:
    """Three years of awards: Giấy khen in 2024 (before the reform, commune and district),
    Giấy khen in 2025 for households with three learning years, the 2025 interim review
    (sơ kết) with province certificates through a proposal chain, and a few annulments."""

    def __init__(self, demo: Demo, ids: dict[str, Any]) -> None:
        self.demo = demo
        self.ids = ids
        self.ratings: dict[tuple[str, int], str] = {}

    def run(self) -> None:
        d = self.demo
        citizens = self.ids["citizens"][:120]
        for sid in citizens:
            for year in range(2021, 2026):
                titles = ["chien_si_thi_dua_co_so"] if d.rng.random() < 0.5 else []
                rating = d.rng.choice(["excellent", "good", "good", "completed"])
                self.ratings[(sid, year)] = rating
                d.call(
                    "PUT",
                    f"/subjects/{sid}/merits/{year}",
                    "officer",
                    {"rating": rating, "emulation_titles": titles},
                )
        c = d.communes[0]
        commune = {
            "signer": "commune_chairman",
            "name": f"UBND {c['name']}",
            "unit_code": c["code"],
        }
        good_2024 = [s for s in citizens if self.ratings[(s, 2024)] in ("excellent", "good")]
        d.call(
            "POST",
            "/award-decisions",
            "signer",
            self._decision(
                "201/QĐ-UBND",
                "2025-03-01",
                commune,
                "commune_certificate",
                {"period": "2024", "occasion": "annual"},
                [self._line(s, "individual") for s in good_2024[:30]],
            ),
        )
        district = {
            "signer": "district_chairman",
            "name": "UBND huyện Vĩnh Linh",
            "unit_code": "464",
        }
        d.call(
            "POST",
            "/award-decisions",
            "signer",
            self._decision(
                "77/QĐ-UBND",
                "2025-05-20",
                district,
                "district_certificate",
                {"period": "2024", "occasion": "thematic"},
                [self._line(s, "individual") for s in good_2024[30:40]],
            ),
        )
        # Households holding the title 2023–2025 with nothing revoked: Giấy khen 2025.
        streak = sorted(
            (
                d.recognised.get(2023, set())
                & d.recognised.get(2024, set())
                & d.recognised.get(2025, set())
            )
            - d.revoked
        )
        d.call(
            "POST",
            "/award-decisions",
            "signer",
            self._decision(
                "15/QĐ-UBND",
                "2026-02-05",
                commune,
                "commune_certificate",
                {"period": "2025", "occasion": "annual"},
                [self._line(s, "household") for s in streak[:150]],
            ),
        )
        interim = self._interim(commune, streak[150:170])
        annulled = d.call(
            "POST",
            "/award-annulments",
            "signer",
            {
                "number": "60/QĐ-UBND",
                "signed_on": "2026-06-15",
                "issuer": {"signer": "province_chairman", "name": "UBND tỉnh", "unit_code": "44"},
                "signer": SIGNER,
                "reason": "fraud",
                "explanation": "Thành tích kê khai không đúng thực tế.",
                "award_ids": [r["award_id"] for r in interim["recipients"][:2]],
            },
        )
        d.call(
            "POST",
            f"/awards/{annulled['award_ids'][0]}/recoveries",
            "officer",
            {
                "on": "2026-07-01",
                "certificate": True,
                "bonus_vnd": interim["recipients"][0]["bonus_vnd"],
            },
        )
        d.stage(
            f"awards: {len(self.ratings)} yearly ratings of {len(citizens)} citizens; "
            f"Giấy khen for 2024 ({len(good_2024[:30])} citizens, {len(good_2024[30:40])} "
            f"more from the district before the reform) and for 2025 ({len(streak[:150])} "
            f"households); interim review 2025: {len(interim['recipients'])} province "
            "certificates through a proposal chain, 2 annulled, 1 recovered"
        )

    def _line(self, sid: str, kind: str) -> dict[str, Any]:
        return {
            "subject_id": sid,
            "recipient_kind": kind,
            "citation": "Đã có thành tích trong phong trào xây dựng xã hội học tập",
        }

    def _decision(  # noqa: PLR0917 - mirrors the decision's fields in their printed order
        self,
        number: str,
        signed_on: str,
        issuer: dict[str, Any],
        form: str,
        achievement: dict[str, Any],
        lines: list[dict[str, Any]],
        proposal_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "number": number,
            "signed_on": signed_on,
            "issuer": issuer,
            "signer": SIGNER,
            "form": form,
            "achievement": achievement,
            "recipients": lines,
            "proposal_id": proposal_id,
        }

    def _interim(self, commune: dict[str, Any], households: list[str]) -> dict[str, Any]:
        """Sơ kết 2025: commune proposes, its council approves, the province decides."""
        d = self.demo
        achievement = {"period": "2023-2025", "occasion": "interim_review"}
        lines = [self._line(s, "household") for s in households]
        lines += [self._line(s, "collective") for s in self.ids["clans"][:5]]
        report = {
            "file_name": "bao-cao-so-ket.pdf",
            "sha256": "e" * 64,
            "url": "https://files.example/so-ket-2025.pdf",
        }
        minutes = {
            "file_name": "bien-ban-hoi-dong.pdf",
            "sha256": "f" * 64,
            "url": "https://files.example/bien-ban.pdf",
        }
        p = d.call(
            "POST",
            "/award-proposals",
            "officer",
            {
                "number": "20/TTr-UBND",
                "proposer": commune,
                "form": "province_certificate",
                "achievement": achievement,
                "lines": lines,
                "report": report,
            },
        )
        path = f"/award-proposals/{p['id']}"
        d.call("POST", f"{path}/submit", "officer")
        d.call(
            "POST",
            f"{path}/review",
            "reviewer",
            {"met_on": "2026-01-20", "votes_for": 7, "votes_total": 9, "minutes": minutes},
        )
        d.call("POST", f"{path}/approve", "reviewer")
        province = {"signer": "province_chairman", "name": "UBND tỉnh Quảng Trị", "unit_code": "44"}
        result: dict[str, Any] = d.call(
            "POST",
            "/award-decisions",
            "signer",
            self._decision(
                "310/QĐ-UBND",
                "2026-03-15",
                province,
                "province_certificate",
                achievement,
                lines,
                proposal_id=p["id"],
            ),
        )
        return result


def load_demo(
    url: str,
    admin_key: str,
    slug: str,
    *,
    households: int = 20_000,
    log: Log = print,
    on_key: Callable[[str], None] | None = None,
) -> bool:
    """Create and fill the demo province; ``False`` when it already exists.

    ``log`` gets one line per stage; ``on_key`` the id of each key the demo issues itself
    (so a server can tell the demo's requests apart in its access log)."""
    refs = {p.slug: p for p in provinces().values()}
    if slug not in refs:
        raise DemoError(f"{slug!r} is not a province slug (e.g. quang-tri, ha-noi, hue)")
    ref = refs[slug]
    admin = {"Authorization": f"Bearer {admin_key}"}
    started = time.perf_counter()
    sent = 0

    def count(_: httpx.Request) -> None:
        nonlocal sent
        sent += 1

    with httpx.Client(base_url=url, timeout=600, event_hooks={"request": [count]}) as client:
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
        demo = Demo(client, slug, log, _mark=started)
        for role in ("tenant_admin", "officer", "reviewer", "signer", "auditor"):
            key = client.post(
                f"/v1/tenants/{slug}/api-keys",
                headers=admin,
                json={"name": f"demo {role}", "role": role},
            ).json()
            demo.keys[role] = {"Authorization": f"Bearer {key['secret']}"}
            if on_key:
                on_key(str(key["id"]))
        demo.stage(f"tenant {slug} ({ref.short_name}) created, with a key for each of 5 roles")
        demo.communes = demo.call("GET", "/units?level=commune&era=current", "officer")["items"]
        villages = demo.villages()
        ids = demo.subjects(villages, households)
        revocable = demo.years(ids)
        demo.revocations(revocable)
        DemoAwards(demo, ids).run()
    log(
        f"{slug} loaded in {time.perf_counter() - started:.1f} s: {demo.decisions} decisions, "
        f"{sent:,} requests"
    )
    return True
