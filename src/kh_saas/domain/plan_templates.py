"""Plan templates (kế hoạch mẫu) a province adopts and edits: the figures of the source plans.

* ``tua-chua-2022`` — UBND huyện Tủa Chùa (Điện Biên), Kế hoạch …/KH-UBND, June 2022 (seed
  003), implementing Kế hoạch 1238/KH-UBND of 28/4/2022 of UBND tỉnh Điện Biên: §II.2.1 (by
  2025) and §II.2.2 (by 2030), read from the plan itself.
* ``qd-387-2022`` — Quyết định 387/QĐ-TTg of 25/3/2022, the national programme "Đẩy mạnh phong
  trào học tập suốt đời trong gia đình, dòng họ, cộng đồng, đơn vị giai đoạn 2021–2030". Its
  2025 figures are verified (lsu.vn, see the team's domain notes); its 2030 figures are
  **unverified**: they are those of Hà Nội's KH 291/KH-UBND, a provincial plan that repeats
  387's 2025 figures; check them against the decision's text before relying on them.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from kh_saas.domain.plans import Denominator, Phase, Target

Confidence = Literal["verified", "unverified"]

D = Denominator


class TemplateTarget(msgspec.Struct, frozen=True, kw_only=True):
    denominator: Denominator
    year: int
    percent: float
    confidence: Confidence
    source: str


class PlanTemplate(msgspec.Struct, frozen=True, kw_only=True):
    """A source plan's phases and targets; adopting it needs the province's own number,
    issuer and signing date (a plan is the province's act, not the template's)."""

    id: str
    name: str
    source: str
    legal_basis: str
    phases: tuple[Phase, ...]
    targets: tuple[TemplateTarget, ...]
    notes: str

    def plan_targets(self) -> tuple[Target, ...]:
        return tuple(
            Target(denominator=t.denominator, year=t.year, percent=t.percent) for t in self.targets
        )


def _targets(
    figures: dict[int, dict[Denominator, float]], confidence: dict[int, Confidence], source: str
) -> tuple[TemplateTarget, ...]:
    return tuple(
        TemplateTarget(
            denominator=d, year=year, percent=p, confidence=confidence[year], source=source
        )
        for year, row in figures.items()
        for d, p in row.items()
    )


_PHASES_2021 = (Phase(start_year=2021, end_year=2025), Phase(start_year=2026, end_year=2030))

TUA_CHUA_2022 = PlanTemplate(
    id="tua-chua-2022",
    name="Thực hiện chương trình “Đẩy mạnh phong trào học tập suốt đời trong gia đình, dòng "
    "họ, cộng đồng, đơn vị giai đoạn 2021-2030”",
    source="UBND huyện Tủa Chùa (Điện Biên), Kế hoạch …/KH-UBND, tháng 6/2022",
    legal_basis="Quyết định 387/QĐ-TTg ngày 25/3/2022; Kế hoạch 1238/KH-UBND ngày 28/4/2022 "
    "của UBND tỉnh Điện Biên",
    phases=_PHASES_2021,
    targets=_targets(
        {
            2025: {
                D.HOUSEHOLDS: 60,
                D.CLANS: 50,
                D.VILLAGES: 65,
                D.ORGANISATIONS: 80,
                D.WORKERS: 30,
                D.CADRES: 60,
            },
            2030: {
                D.HOUSEHOLDS: 70,
                D.CLANS: 55,
                D.VILLAGES: 75,
                D.ORGANISATIONS: 90,
                D.WORKERS: 40,
                D.CADRES: 80,
            },
        },
        {2025: "verified", 2030: "verified"},
        "Kế hoạch huyện Tủa Chùa 6/2022, mục II.2.1 và II.2.2",
    ),
    notes="Workers: người lao động trong Gia đình học tập, Dòng họ học tập, Cộng đồng học tập; "
    "cadres: cán bộ, công chức, viên chức, nhân viên trong Đơn vị học tập; organisations: tổ "
    "chức, cơ quan, trường học, doanh nghiệp, cơ sở sản xuất trên địa bàn cấp xã.",
)

QD_387_2022 = PlanTemplate(
    id="qd-387-2022",
    name="Chương trình “Đẩy mạnh phong trào học tập suốt đời trong gia đình, dòng họ, cộng "
    "đồng, đơn vị giai đoạn 2021-2030”",
    source="Quyết định 387/QĐ-TTg ngày 25/3/2022 của Thủ tướng Chính phủ",
    legal_basis="Quyết định 387/QĐ-TTg ngày 25/3/2022",
    phases=_PHASES_2021,
    targets=_targets(
        {
            2025: {
                D.HOUSEHOLDS: 70,
                D.CLANS: 65,
                D.VILLAGES: 65,
                D.ORGANISATIONS: 80,
                D.WORKERS: 40,
                D.CADRES: 60,
            },
            2030: {
                D.HOUSEHOLDS: 80,
                D.CLANS: 75,
                D.VILLAGES: 75,
                D.ORGANISATIONS: 90,
                D.WORKERS: 60,
                D.CADRES: 80,
            },
        },
        {2025: "verified", 2030: "unverified"},
        "QĐ 387/QĐ-TTg (2025: lsu.vn; 2030: as repeated by Hà Nội KH 291/KH-UBND, unverified)",
    ),
    notes="The 2030 figures are unverified: taken from Hà Nội's KH 291/KH-UBND, which repeats "
    "387's 2025 figures; check them against the decision before relying on them.",
)

TEMPLATES: dict[str, PlanTemplate] = {t.id: t for t in (TUA_CHUA_2022, QD_387_2022)}
