"""A demo province an official would recognise, loaded over the public HTTP API.

Real communes of the province and, before 1 July 2025, the legacy communes and districts
merged into them: households and clans recorded under a legacy commune were recognised by
its UBND for 2023 and 2024, and by today's commune for 2025, so the register rolled up to
today's communes (``by=current_units``) differs from the one as recorded. Wards have tổ dân
phố, communes thôn and a bản; citizens' CCCDs carry their old province of birth; each office
signs with its own head and numbers its acts upward through the year. Learning communities,
units and citizens are nominated and recognised, then awards follow (Giấy khen before and
after the reform, the 2025 interim review through a proposal chain, annulments). Seeded
randomness: the same command gives the same province.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from kh_saas.demo_reports import report_schedule
from kh_saas.demo_story import (
    Legacy,
    Offices,
    citizen_id,
    predecessors,
    sentence_case,
    villages_of,
)
from kh_saas.reference import provinces

Log = Callable[[str], None]
CHAIRMAN = "Chủ tịch"


class DemoError(Exception):
    pass


def _commune_issuer(name: str, code: str) -> dict[str, str]:
    return {"office": "commune_chairman", "name": f"UBND {sentence_case(name)}", "unit_code": code}


@dataclass
class Demo:
    client: httpx.Client
    slug: str
    log: Log
    province_code: str = ""
    province_name: str = ""  # "tỉnh Quảng Trị" / "thành phố Huế"
    # Seeded on purpose (S311): a demo, not a secret; the same command gives the same province.
    rng: random.Random = field(default_factory=lambda: random.Random(20231))  # noqa: S311
    keys: dict[str, dict[str, str]] = field(default_factory=dict)
    communes: list[dict[str, Any]] = field(default_factory=list)
    legacy: dict[str, Legacy] = field(default_factory=dict)
    offices: Offices = field(init=False)
    decisions: int = 0
    recognised: dict[int, set[str]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    _mark: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        self.offices = Offices(self.rng)

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
        result = r.json() if r.content else None
        if isinstance(result, dict) and result.get("warnings"):
            raise DemoError(f"{method} {path} recorded with warnings: {result['warnings']}")
        return result

    # --- who signs ----------------------------------------------------------------------

    def legacy_issuer(self, c: dict[str, Any]) -> dict[str, str]:
        old = self.legacy[c["code"]]
        return _commune_issuer(old.name, old.code)

    def current_issuer(self, c: dict[str, Any]) -> dict[str, str]:
        return _commune_issuer(c["name"], c["code"])

    def province_issuer(self, office: str) -> dict[str, str]:
        name = (
            f"Sở GD&ĐT {self.province_name}"
            if office == "province_education_director"
            else (f"UBND {self.province_name}")
        )
        return {"office": office, "name": name, "unit_code": self.province_code}

    def signed(
        self, issuer: dict[str, str], on: str, position: str = CHAIRMAN, symbol: str = "QĐ-UBND"
    ) -> dict[str, Any]:
        day = date.fromisoformat(on)
        return {
            "number": self.offices.number(issuer, day, symbol),
            "signed_on": on,
            "issuer": issuer,
            "signer": self.offices.signer(issuer, position),
        }

    def decide(self, body: dict[str, Any]) -> dict[str, Any]:
        self.decisions += 1
        result: dict[str, Any] = self.call("POST", "/decisions", "signer", body)
        return result

    # --- places and subjects --------------------------------------------------------------

    def villages(self) -> dict[str, list[str]]:
        items, by_commune = [], {}
        for c in self.communes:
            found = villages_of(c, self.rng)
            by_commune[c["code"]] = [code for code, _, _ in found]
            items += [
                {"commune_code": c["code"], "code": code, "name": name, "unit_type": kind}
                for code, name, kind in found
            ]
        self.call("POST", "/units/villages/bulk", "officer", {"items": items})
        kept = sum(1 for c in self.communes if c["code"] in self.legacy)
        self.stage(
            f"{len(self.communes)} communes ({kept} with a legacy commune's records), "
            f"{len(items)} villages (tổ dân phố in wards, thôn and bản in communes)"
        )
        return by_commune

    def register(self, items: list[dict[str, Any]]) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(items), 10_000):
            ids += self.call(
                "POST", "/subjects/bulk", "officer", {"items": items[start : start + 10_000]}
            )["ids"]
        return ids

    def subjects(self, villages: dict[str, list[str]], households: int) -> dict[str, Any]:
        """Half of each commune's households were recorded before the reform under its legacy
        commune (no village), half since under today's commune and village."""
        per_commune = max(2, households // len(self.communes))
        hh: list[dict[str, Any]] = []
        clans, units, citizens, communities = [], [], [], []
        self.old_households: dict[str, list[int]] = {}
        for c in self.communes:
            code, old = c["code"], self.legacy.get(c["code"])
            for i in range(per_commune):
                head = self.offices.person()[0]
                legacy = old is not None and i % 2 == 0
                item = {
                    "kind": "household",
                    "name": f"Hộ {head}",
                    "head_name": head,
                    "commune_code": old.code if legacy and old else code,
                    "ref": f"HK-{code}-{i:05d}",
                    "members": self.rng.randint(2, 7),
                }
                if not legacy:
                    item["village_code"] = self.rng.choice(villages[code])
                if legacy:
                    self.old_households.setdefault(code, []).append(len(hh))
                hh.append(item)
            home = old.code if old else code
            for i in range(4):
                surname = self.offices.rng.choice(["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng"])
                place = old.name if old else c["name"]
                clans.append(
                    {
                        "kind": "clan",
                        "name": f"Dòng họ {surname} ({sentence_case(place)})",
                        "surname": surname,
                        "commune_code": home,
                        "ref": f"DH-{code}-{i}",
                    }
                )
            units.append(
                {
                    "kind": "unit",
                    "name": f"Hợp tác xã nông nghiệp {c['name'].split(' ', 1)[1]}",
                    "unit_kind": "other",
                    "managing_tier": "commune",
                    "commune_code": code,
                    "ref": f"DV-{code}-HTX",
                }
            )
            if old:
                communities.append(
                    {
                        "kind": "community",
                        "name": old.name,
                        "community_kind": "commune",
                        "area_code": old.code,
                        "commune_code": old.code,
                        "ref": f"CD-{old.code}-legacy",
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
            birthplace = old.province_code if old else self.province_code
            for i in range(25):
                name, female = self.offices.person()
                year = self.rng.randint(1960, 2006)
                citizens.append(
                    {
                        "kind": "citizen",
                        "name": name,
                        "birth_year": year,
                        "citizen_id": citizen_id(birthplace, year, female, self.rng),
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
        self.per_commune = per_commune
        self.stage(", ".join(f"{len(v):,} {kind}" for kind, v in ids.items()))
        return ids

    # --- nominations ----------------------------------------------------------------------

    def nominate(
        self,
        subject: str,
        *,
        title: str,
        tier: str,
        level: int | None,
        year: int,
        criteria: dict[str, Any],
        filed_on: str,
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
        evidence = {
            "file_name": "bien-ban-binh-xet.pdf",
            "sha256": f"{self.rng.getrandbits(256):064x}",
            "url": f"https://files.{self.slug}.example/{n['id']}.pdf",
        }
        self.call("POST", f"{path}/evidence", "officer", {"items": [evidence]})
        self.call("POST", f"{path}/submit", "officer", {"filed_on": filed_on})
        self.call("POST", f"{path}/review", "reviewer", {"scores": scores})
        self.call("POST", f"{path}/approve", "reviewer")
        return str(n["id"])

    # --- the years ------------------------------------------------------------------------

    def years(self, ids: dict[str, Any]) -> list[str]:
        self.sets = {
            (c["title"], c["tier"], c["scheme"]): c
            for c in self.call("GET", "/criteria-sets", "officer")["items"]
        }
        households = ids["households"]
        per = self.per_commune
        revocable: list[str] = []
        for year in (2023, 2024, 2025):
            decided_before, clans_recognised = self.decisions, 0
            share = {2023: 0.55, 2024: 0.62, 2025: 0.68}[year]
            before_reform = year < 2025  # decided early the next year
            for n, c in enumerate(self.communes):
                mine = households[n * per : (n + 1) * per]
                old_idx = set(self.old_households.get(c["code"], []))
                if before_reform:
                    # Before the reform: the legacy commune for its own records, today's
                    # commune did not exist yet (its newer households had no title then).
                    groups = (
                        [
                            (
                                self.legacy_issuer(c),
                                [h for i, h in enumerate(mine) if n * per + i in old_idx],
                            )
                        ]
                        if c["code"] in self.legacy
                        else []
                    )
                else:
                    groups = [(self.current_issuer(c), mine)]
                # one clan a year in every third commune: a dossier is six requests
                clans = ids["clans"][n * 4 : n * 4 + 1] if n % 3 == 0 else []
                for issuer, pool in groups:
                    chosen = [h for h in pool if self.rng.random() < share]
                    if not chosen:
                        continue
                    self.recognised.setdefault(year, set()).update(chosen)
                    self.decide(
                        {
                            **self.signed(issuer, f"{year + 1}-01-15"),
                            "title": "learning_household",
                            "tier": "commune",
                            "year": year,
                            "recipients": [{"subject_id": h} for h in chosen],
                        }
                    )
                    if year == 2024 and len(revocable) < 5:
                        revocable += chosen[:2]
                    nominated = [
                        {
                            "subject_id": cl,
                            "nomination_id": self.nominate(
                                cl,
                                title="learning_clan",
                                tier="commune",
                                level=None,
                                year=year,
                                criteria=self.sets[("learning_clan", "commune", "points")],
                                filed_on=f"{year}-12-20",
                            ),
                        }
                        for cl in clans
                    ]
                    clans_recognised += len(nominated)
                    if not nominated:
                        continue
                    self.decide(
                        {
                            **self.signed(issuer, f"{year + 1}-02-10"),
                            "title": "learning_clan",
                            "tier": "commune",
                            "year": year,
                            "recipients": nominated,
                        }
                    )
            who = "legacy communes' UBND" if before_reform else "today's communes"
            self.stage(
                f"assessment year {year}: {len(self.recognised.get(year, ())):,} households and "
                f"{clans_recognised} clans (nominated, reviewed, approved) recognised by "
                f"{who} in {self.decisions - decided_before} decisions"
            )
        self.communities(ids["communities"])
        self.units(ids["units"])
        self.citizens(ids["citizens"])
        return revocable

    def communities(self, communities: list[str]) -> None:
        """Level 1 for 2023: legacy communes, by the head of their district's Phòng GD&ĐT
        before the reform; level 1 for 2025: today's communes, by the Sở GD&ĐT after it."""
        criteria = self.sets[("learning_community", "commune", "levels")]
        legacy_ids = communities[0 : 2 * min(6, len(self.legacy)) : 2] if self.legacy else []
        old_communes = [c for c in self.communes if c["code"] in self.legacy][: len(legacy_ids)]
        by_district: dict[str, list[dict[str, Any]]] = {}
        for sid, c in zip(legacy_ids, old_communes, strict=True):
            old = self.legacy[c["code"]]
            recipient = {
                "subject_id": sid,
                "nomination_id": self.nominate(
                    sid, title="learning_community", tier="commune", level=1, year=2023,
                    criteria=criteria, filed_on="2024-02-26",
                ),
            }  # fmt: skip
            by_district.setdefault(old.district_code, []).append(recipient)
        for district, recipients in by_district.items():
            name = next(
                o.district_name for o in self.legacy.values() if o.district_code == district
            )
            issuer = {
                "office": "district_education_head",
                "name": f"Phòng GD&ĐT {sentence_case(name)}",
                "unit_code": district,
            }
            self.decide(
                {
                    **self.signed(issuer, "2024-03-20", "Trưởng phòng", "QĐ-PGDĐT"),
                    "title": "learning_community",
                    "tier": "commune",
                    "level": 1,
                    "year": 2023,
                    "recipients": recipients,
                }
            )
        current = [sid for i, sid in enumerate(communities) if i % 2 == 1][:4]
        if not self.legacy:
            current = communities[:4]
        level1 = [
            {
                "subject_id": s,
                "nomination_id": self.nominate(
                    s, title="learning_community", tier="commune", level=1, year=2025,
                    criteria=criteria, filed_on="2026-02-25",
                ),
            }
            for s in current
        ]  # fmt: skip
        issuer = self.province_issuer("province_education_director")
        self.decide(
            {
                **self.signed(issuer, "2026-03-25", "Giám đốc", "QĐ-SGDĐT"),
                "title": "learning_community",
                "tier": "commune",
                "level": 1,
                "year": 2025,
                "recipients": level1,
            }
        )
        self.stage(
            f"learning communities: {len(legacy_ids)} legacy communes at level 1 for 2023 "
            f"(by {len(by_district)} district Phòng GD&ĐT, before the reform), {len(level1)} of "
            "today's communes at level 1 for 2025 (by the Sở GD&ĐT, after it)"
        )

    def units(self, units: list[str]) -> None:
        """Commune-managed cooperatives: the association's points for 2024, TT 24 level 1 for
        2025, both decided by the commune chairman of the time."""
        points = self.sets[("learning_unit", "commune", "points")]
        levels = self.sets[("learning_unit", "commune", "levels")]
        counts = [0, 0]
        for n, (c, unit) in enumerate(zip(self.communes, units, strict=True)):
            if n >= 12:
                break
            for k, (year, crit, level, on) in enumerate(
                [(2024, points, None, "2025-02-12"), (2025, levels, 1, "2026-02-12")]
            ):
                if year == 2024 and c["code"] not in self.legacy:
                    continue
                issuer = self.legacy_issuer(c) if year == 2024 else self.current_issuer(c)
                nid = self.nominate(
                    unit, title="learning_unit", tier="commune", level=level, year=year,
                    criteria=crit, filed_on=f"{year + 1}-01-10",
                )  # fmt: skip
                self.decide(
                    {
                        **self.signed(issuer, on),
                        "title": "learning_unit",
                        "tier": "commune",
                        "level": level,
                        "year": year,
                        "recipients": [{"subject_id": unit, "nomination_id": nid}],
                    }
                )
                counts[k] += 1
        self.stage(
            f"learning units: {counts[0]} for 2024 (association points, legacy communes), "
            f"{counts[1]} at level 1 for 2025 (TT 24, today's communes)"
        )

    def citizens(self, citizens: list[str]) -> None:
        c = self.communes[0]
        counts = []
        for year in (2024, 2025):
            chosen = [s for s in citizens[:25] if self.rng.random() < 0.5]
            counts.append(f"{len(chosen)} for {year}")
            before = year < 2025 and c["code"] in self.legacy
            issuer = self.legacy_issuer(c) if before else self.current_issuer(c)
            self.decide(
                {
                    **self.signed(issuer, f"{year + 1}-01-20"),
                    "title": "learning_citizen",
                    "tier": "commune",
                    "year": year,
                    "recipients": [{"subject_id": s} for s in chosen],
                }
            )
        self.stage(f"learning citizens recognised: {', '.join(counts)}")

    def targets(self, villages: dict[str, list[str]]) -> None:
        """The province adopts seed 003's plan (Tủa Chùa's targets) as its own and records
        each commune's 2025 statistics: every household, clan and village it has (a few
        households never registered), so attainment shows real shares out of the box."""
        deputy = self.offices.signer(self.province_issuer("province_chairman"), "Phó Chủ tịch")
        issuer = {
            "name": f"UBND {self.province_name}",
            "signer_name": deputy["name"],
            "signer_position": "KT. Chủ tịch, Phó Chủ tịch",
        }
        plan = self.call(
            "POST",
            "/plans",
            "tenant_admin",
            {
                "template": "tua-chua-2022",
                "number": "125/KH-UBND",
                "issuer": issuer,
                "signed_on": "2022-07-15",
            },
        )
        figures = [
            {
                "commune_code": c["code"],
                "households": self.per_commune + self.rng.randint(0, self.per_commune // 10),
                "clans": 4 + self.rng.randint(0, 2),
                "villages": len(villages[c["code"]]),
                "organisations": 1 + self.rng.randint(0, 3),
                "workers": 25 + self.rng.randint(20, 80),
                "cadres": self.rng.randint(8, 30),
            }
            for c in self.communes
        ]
        for year in (2024, 2025):
            self.call("PUT", f"/statistics/{year}", "tenant_admin", {"communes": figures})
        self.stage(
            f"plan {plan['number']} adopted (seed 003's targets: 60% of households by 2025, "
            f"70% by 2030); statistics of {len(figures)} communes for 2024 and 2025"
        )

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
                **self.signed(self.current_issuer(c), "2025-09-10"),
                "reason": "fraud",
                "explanation": "Kê khai thành tích học tập không trung thực.",
                "recognition_ids": ids,
            },
        )
        self.stage(
            f"revocations: {len(ids)} recognitions of 2024 taken back by the successor commune"
        )


class DemoAwards:
    """Three years of awards: Giấy khen for 2024 (legacy commune and district, before the
    reform), Giấy khen for 2025 for households with three learning years, the 2025 interim
    review (sơ kết) with province certificates through a proposal chain, and annulments."""

    def __init__(self, demo: Demo, ids: dict[str, Any]) -> None:
        self.demo = demo
        self.ids = ids
        self.ratings: dict[tuple[str, int], str] = {}

    def award(  # noqa: PLR0917 - mirrors the decision's fields in their printed order
        self,
        issuer: dict[str, str],
        on: str,
        form: str,
        achievement: dict[str, Any],
        lines: list[dict[str, Any]],
        proposal_id: str | None = None,
    ) -> dict[str, Any]:
        d = self.demo
        body = {
            **d.signed(issuer, on),
            "form": form,
            "achievement": achievement,
            "recipients": lines,
            "proposal_id": proposal_id,
        }
        body["issuer"] = {"signer": issuer["office"], "name": issuer["name"],
                          "unit_code": issuer["unit_code"]}  # fmt: skip
        result: dict[str, Any] = d.call("POST", "/award-decisions", "signer", body)
        return result

    def run(self) -> None:
        d = self.demo
        citizens = self.ids["citizens"][:50]
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
        old = d.legacy.get(c["code"])
        before = d.legacy_issuer(c) if old else d.current_issuer(c)
        good_2024 = [s for s in citizens if self.ratings[(s, 2024)] in ("excellent", "good")]
        self.award(before, "2025-03-01", "commune_certificate",
                   {"period": "2024", "occasion": "annual"},
                   [self._line(s, "individual") for s in good_2024[:20]])  # fmt: skip
        district_code = old.district_code if old else None
        district_name = old.district_name if old else "Huyện"
        district = {"office": "district_chairman", "name": f"UBND {sentence_case(district_name)}",
                    "unit_code": district_code or ""}  # fmt: skip
        if not district_code:
            district.pop("unit_code")
        self.award(district, "2025-05-20", "district_certificate",
                   {"period": "2024", "occasion": "thematic"},
                   [self._line(s, "individual") for s in good_2024[20:30]])  # fmt: skip
        streak = sorted(
            (
                d.recognised.get(2023, set())
                & d.recognised.get(2024, set())
                & d.recognised.get(2025, set())
            )
            - d.revoked
        )
        self.award(d.current_issuer(c), "2026-02-05", "commune_certificate",
                   {"period": "2025", "occasion": "annual"},
                   [self._line(s, "household") for s in streak[:150]])  # fmt: skip
        interim = self._interim(d.current_issuer(c), streak[150:170])
        province = d.province_issuer("province_chairman")
        annulled = d.call(
            "POST",
            "/award-annulments",
            "signer",
            {
                **d.signed(province, "2026-06-15"),
                "issuer": {"signer": "province_chairman", "name": province["name"],
                           "unit_code": province["unit_code"]},
                "reason": "fraud",
                "explanation": "Thành tích kê khai không đúng thực tế.",
                "award_ids": [r["award_id"] for r in interim["recipients"][:2]],
            },
        )  # fmt: skip
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
            f"Giấy khen for 2024 ({len(good_2024[:20])} citizens from the legacy commune, "
            f"{len(good_2024[20:30])} more from the district, before the reform) and for 2025 "
            f"({len(streak[:150])} households); interim review 2025: "
            f"{len(interim['recipients'])} province certificates through a proposal chain, "
            "2 annulled, 1 recovered"
        )

    def _line(self, sid: str, kind: str) -> dict[str, Any]:
        return {
            "subject_id": sid,
            "recipient_kind": kind,
            "citation": "Đã có thành tích trong phong trào xây dựng xã hội học tập",
        }

    def _interim(self, commune: dict[str, str], households: list[str]) -> dict[str, Any]:
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
        proposer = {"signer": "commune_chairman", "name": commune["name"],
                    "unit_code": commune["unit_code"]}  # fmt: skip
        p = d.call(
            "POST",
            "/award-proposals",
            "officer",
            {
                "number": d.offices.number(commune, date(2026, 1, 10), "TTr-UBND"),
                "proposer": proposer,
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
        province = d.province_issuer("province_chairman")
        return self.award(
            province, "2026-03-15", "province_certificate", achievement, lines, p["id"]
        )


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
    kind = "thành phố" if ref.type == "thanh_pho" else "tỉnh"
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
        demo = Demo(
            client,
            slug,
            log,
            province_code=ref.code,
            province_name=f"{kind} {ref.short_name}",
            _mark=started,
        )
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
        demo.legacy = predecessors(ref.code)
        villages = demo.villages()
        ids = demo.subjects(villages, households)
        revocable = demo.years(ids)
        demo.revocations(revocable)
        DemoAwards(demo, ids).run()
        demo.targets(villages)  # last: its randomness must not shift the acts before it
        report_schedule(demo)
    log(
        f"{slug} loaded in {time.perf_counter() - started:.1f} s: {demo.decisions} decisions, "
        f"{sent:,} requests"
    )
    return True
