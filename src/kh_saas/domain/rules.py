"""The rules table: every rule the domain enforces, with its source and how sure we are.

``docs/rules.md`` is generated from this table (``python -m kh_saas.domain.rules``) and a test
keeps the two in step. Confidence: ``verified`` (read in the legal text or an official portal),
``probable`` (consistent secondary sources), ``configurable`` (varies by province: a default a
tenant may change).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    statement: str
    source: str
    confidence: str


_RULES = [
    Rule(
        "title_subject_kind",
        "Each title goes to one kind of subject: Gia đình học tập → household, Dòng họ học tập → "
        "clan, Cộng đồng học tập → community, Đơn vị học tập → unit, Công dân học tập → citizen.",
        "QĐ 677/QĐ-TTg (2021); TT 24/2023/TT-BGDĐT; TT 25/2023/TT-BGDĐT; QĐ 448/QĐ-KHVN (2015)",
        "verified",
    ),
    Rule(
        "community_tier",
        "A learning community is recognised at its own tier: a village/residential group at "
        "village tier, a commune at commune tier, a (historical) district at district tier, a "
        "province at province tier.",
        "TT 25/2023/TT-BGDĐT Art. 1 (commune, district, province); QĐ 448/QĐ-KHVN (village)",
        "verified",
    ),
    Rule(
        "unit_tier",
        "A learning unit is recognised at commune tier (commune-managed: association criteria "
        "for assessment years before 2025, TT 24/2023 levels from 2025), district tier "
        "(historical) or province tier (TT 24/2023).",
        "TT 24/2023/TT-BGDĐT Art. 1; QĐ 448/QĐ-KHVN (ĐVHT ở cơ sở); NĐ 142/2025/NĐ-CP and "
        "TT 10/2025/TT-BGDĐT (district-managed units pass to the communes; MOET's amendment of "
        "TT 24 itself was not found, so the commune-tier levels are probable)",
        "probable",
    ),
    Rule(
        "district_tier_ended",
        "No district-tier recognition may be decided on or after 1 July 2025: the district tier "
        "of local government ended then and commune chairmen took over most of its powers.",
        "Law on Organisation of Local Government 2025 (two-tier government from 1/7/2025); "
        "NĐ 142/2025/NĐ-CP",
        "verified",
    ),
    Rule(
        "levels_scheme",
        "Communities (commune/district/province tier) and units (district/province tier, and "
        "commune tier from assessment year 2025) are recognised at level 1 (mức độ 1) or "
        "level 2 (mức độ 2); other titles have no level. A nomination's criteria set must use "
        "the scheme of its title, tier and year.",
        "TT 25/2023/TT-BGDĐT; TT 24/2023/TT-BGDĐT",
        "verified",
    ),
    Rule(
        "level_reached",
        "A level is reached when every indicator of every criterion applicable at that level "
        "passes (pass/fail indicators, no points).",
        "TT 25/2023/TT-BGDĐT; TT 24/2023/TT-BGDĐT",
        "probable",
    ),
    Rule(
        "points_pass_mark",
        "Under the association's criteria a subject qualifies when its total score reaches the "
        "pass mark of the criteria set (100-point scale historically; scale, mark and validity "
        "set by each province).",
        "QĐ 448/QĐ-KHVN (2015), localised by provincial decisions (e.g. BR-VT QĐ 1014/QĐ-UBND)",
        "configurable",
    ),
    Rule(
        "level2_after_12_months",
        "Level 2 may be requested (đề nghị) only 12 months or more after the level-1 decision. "
        "The request dates from the dossier deadline of its assessment year (28/02 of the next "
        "year for a commune-tier community), not from the day level 2 is signed: a level-1 "
        "decision of 20/3/2024 cannot carry a level-2 request for 2024. Checked when the "
        "level-2 nomination is opened and again when it is decided.",
        "TT 25/2023/TT-BGDĐT; TT 24/2023/TT-BGDĐT",
        "verified",
    ),
    Rule(
        "preserved_three_years",
        "A level recognition is preserved for 3 years after the year of recognition (to 31/12 of "
        "that year + 3), then lapses unless renewed. Point-scheme titles are annual by default "
        "(validity set per tenant).",
        "TT 25/2023/TT-BGDĐT (bảo lưu 3 năm); TT 24/2023/TT-BGDĐT; QĐ 448/QĐ-KHVN",
        "probable",
    ),
    Rule(
        "assessment_period",
        "Data cover 1/1–31/12 of the assessment year; level dossiers are filed and decided the "
        "following year, so a level decision cannot be signed before 1/1 of year + 1.",
        "TT 25/2023/TT-BGDĐT; TT 24/2023/TT-BGDĐT; dichvucong.gov.vn TTHC 1.005097",
        "verified",
    ),
    Rule(
        "one_title_per_year",
        "A subject holds a given title at most once per assessment year (enforced by a "
        "deterministic recognition id, so racing decisions cannot both succeed).",
        "QĐ 448/QĐ-KHVN (annual bình xét); TT 24/25/2023 (one recognition per cycle)",
        "verified",
    ),
    Rule(
        "deciding_authority",
        "The deciding office must be the one the tenant's authority matrix names for the title, "
        "tier and level on the signing date. From 1 July 2025 the defaults have commune-tier "
        "communities decided by the provincial education director and commune-tier units by "
        "the commune chairman.",
        "TT 25/2023 (Trưởng phòng GDĐT huyện / Giám đốc Sở / Bộ trưởng); TT 24/2023 (Chủ tịch "
        "UBND huyện / tỉnh); NĐ 142/2025/NĐ-CP, TT 10/2025/TT-BGDĐT (powers moved with the "
        "reform; MOET's 2025 amendments to TT 24/25 were not found: the post-reform rows are "
        "probable)",
        "configurable",
    ),
    Rule(
        "dossier_deadline",
        "A nomination shows its dossier and decision deadlines (from the matrix row in force "
        "for its filing year) and whether it was filed late; nothing is refused on that "
        "ground: no text makes a late dossier void.",
        "TT 25/2023 (hồ sơ trước 28/02, quyết định trước 31/3; huyện 30/4, 31/5); TT 24/2023 "
        "(trước 15/01, 15/02)",
        "verified",
    ),
    Rule(
        "nomination_approved",
        "Each recipient must carry an approved nomination for the same subject, title, year, "
        "tier and level, unless the authority matrix allows direct recognition.",
        "TT 25/2023 and TT 24/2023 (dossier, review, then decision)",
        "verified",
    ),
    Rule(
        "approval_pass_rule",
        "A nomination can be approved only when the reviewer's scores meet the criteria set's "
        "pass rule for the requested level.",
        "TT 25/2023; TT 24/2023; QĐ 448/QĐ-KHVN",
        "verified",
    ),
    Rule(
        "decision_number",
        "A signed act's number has the shape <number>/<type>-<issuer>, e.g. 123/QĐ-UBND "
        "(123//QĐ-UBND or abc are refused); a year between them is the legal-normative form "
        "and must be the signing year (07/2024/QĐ-UBND signed in 2025 is refused). Each "
        "issuer keeps one running sequence per year (its number book): a number that runs "
        "backwards, is reused, or carries a year in an individual act is recorded with a "
        "warning, not refused — the paper is what was signed. Decision keys include the "
        "issuing unit's era, since codes were reused on 1 July 2025.",
        "NĐ 30/2020/NĐ-CP Art. 15 and Appendix I (số, ký hiệu; numbering restarts on 1 "
        "January); Law 80/2015/QH13 on legal documents (year in the number)",
        "verified",
    ),
    Rule(
        "revocation_reason",
        "A revocation names one reason: fraud in declared achievements, false or forged "
        "documents, review or proposal contrary to law, or a later finding that the standard "
        "was not met.",
        "Law 06/2022/QH15 Art. 93.2 (a)–(d), applied to learning titles by analogy",
        "probable",
    ),
    Rule(
        "citizen_id",
        "A citizen id (CCCD) has 12 digits; the first three are the province of birth "
        "registration (001–096).",
        "Luật Căn cước 2023; TT 59/2021/TT-BCA Art. 7",
        "verified",
    ),
]

_AWARD_RULES = [
    Rule(
        "award_signer",
        "Each form has one signing authority: Bằng khen TTg — the Prime Minister (proposed by "
        "the province through the Ministry of Home Affairs); Bằng khen tỉnh — the provincial "
        "chairman; Bằng khen bộ — the minister; Giấy khen xã — the commune chairman; Giấy khen "
        "cơ quan — the head of the agency or unit; the association signs its own certificates.",
        "Law 06/2022/QH15 Art. 71–75, 78–80; NĐ 152/2025/NĐ-CP",
        "verified",
    ),
    Rule(
        "district_form_ended",
        "No Giấy khen of a district chairman may be issued on or after 1 July 2025.",
        "Law on Organisation of Local Government 2025; NĐ 129/2025/NĐ-CP (powers to communes)",
        "verified",
    ),
    Rule(
        "award_recipient_kind",
        "Citizens are awarded as individuals, households as households, clans, communities and "
        "units as collectives.",
        "Law 06/2022/QH15 Art. 71–75 (cá nhân, tập thể, hộ gia đình)",
        "verified",
    ),
    Rule(
        "one_award_per_achievement",
        "One achievement (same movement, period and occasion) is rewarded once, whatever the "
        "form (enforced by a deterministic award id).",
        "Law 06/2022/QH15 Art. 5.2 (không tặng nhiều hình thức khen thưởng cho một thành "
        "tích; Art. 6 was the 2003 law's)",
        "verified",
    ),
    Rule(
        "no_lower_prerequisite",
        "A lower award is not a prerequisite for a higher one, except where a form's own "
        "criteria say so.",
        "NĐ 98/2023/NĐ-CP Art. 4.1; NĐ 152/2025/NĐ-CP Art. 4",
        "verified",
    ),
    Rule(
        "award_route",
        "A Bằng khen needs one of its article's alternative routes (một trong các tiêu chuẩn): "
        "the PM certificate one of Art. 73's, the province or ministry certificate one of "
        "Art. 74's. Eligibility shows every route and which are met; a refusal lists what "
        "each route lacks. Routes that rest on the council's judgement alone (73.1.c–d: many "
        "achievements of wide influence, extraordinary ones) are not modelled.",
        "Law 06/2022/QH15 Art. 73, 74",
        "verified",
    ),
    Rule(
        "award_route_movement",
        "Route a: an outstanding achievement assessed (bình xét) at the review of an emulation "
        "movement — for the PM certificate one launched by the President, Government or Prime "
        "Minister (this movement: QĐ 1315/QĐ-TTg), for a province or ministry certificate one "
        "the province or ministry runs.",
        "Law 06/2022/QH15 Art. 73.1.a, 73.3.a; Art. 74.1.a, 74.2.a; QĐ 1315/QĐ-TTg (2023)",
        "probable",
    ),
    Rule(
        "pm_prior_certificate",
        "Route 73.1.b (and 73.3.b for collectives): an earlier province or ministry "
        "certificate, merit-based (not thematic, sudden or a movement review), before the five "
        "years that follow.",
        "Law 06/2022/QH15 Art. 73.1.b (đã được tặng Bằng khen cấp bộ, ban, ngành, tỉnh); "
        "NĐ 98/2023/NĐ-CP Art. 4.3",
        "verified",
    ),
    Rule(
        "pm_five_good_years",
        "… then ('sau đó') five consecutive years rated 'completed tasks well' or better up "
        "to the proposal, none of them within the earlier certificate's period or before its "
        "signing year. Collectives (73.3.b): the same years; the clause's further terms are "
        "not modelled.",
        "Law 06/2022/QH15 Art. 73.1.b; Art. 73.3.b (collective clause: probable)",
        "verified",
    ),
    Rule(
        "pm_three_cstdcs",
        "… with three 'Chiến sĩ thi đua cơ sở' titles within those five years (individuals).",
        "Law 06/2022/QH15 Art. 73.1.b",
        "verified",
    ),
    Rule(
        "pm_household_contribution",
        "A household's PM certificate rests on large contributions in effort, land or assets, "
        "which the dossier attests: the route is shown, not checked from records, so a "
        "household qualifies by route a (a movement review) or not at all here.",
        "Law 06/2022/QH15 Art. 73 (household clause; exact thresholds not found)",
        "probable",
    ),
    Rule(
        "award_route_attested",
        "Routes 74.1.b–c (an outstanding or sudden achievement in the field, a large "
        "contribution): met by a sudden (đột xuất) achievement, or by a decision that follows "
        "a proposal the council approved (its minutes attest the achievement).",
        "Law 06/2022/QH15 Art. 74.1.b, c; Art. 84 (biên bản xét)",
        "probable",
    ),
    Rule(
        "province_excellent_years",
        "Route 74.1.d: two consecutive years rated 'completed tasks excellently', with a "
        "'Chiến sĩ thi đua cơ sở' title in each, up to the proposal (individuals).",
        "Law 06/2022/QH15 Art. 74.1.d (wording not found: the clause on earlier CSTĐCS titles "
        "is summarised)",
        "probable",
    ),
    Rule(
        "thematic_not_merit",
        "Thematic (chuyên đề), sudden (đột xuất) and movement-review awards — the 2025 "
        "interim and 2030 final reviews of QĐ 1315/QĐ-TTg's movement — do not count toward "
        "merit-based awards.",
        "Law 06/2022/QH15 Art. 8 (khen thưởng phong trào thi đua theo đợt, chuyên đề); "
        "NĐ 98/2023/NĐ-CP Art. 4.3; NĐ 152/2025/NĐ-CP Art. 4; QĐ 1315/QĐ-TTg",
        "verified",
    ),
    Rule(
        "suspended_subject",
        "Proposals for a subject under discipline, investigation, inspection or complaint are "
        "suspended until it ends.",
        "NĐ 152/2025/NĐ-CP Art. 4",
        "verified",
    ),
    Rule(
        "giay_khen_criteria",
        "Giấy khen criteria are set by each province (configured per tenant; default: a "
        "household holds Gia đình học tập 3 years running, an individual is rated good or "
        "better).",
        "Law 06/2022/QH15 Art. 75.2; defaults are ours, not the law's",
        "configurable",
    ),
    Rule(
        "council_review",
        "A proposal is approved only after the emulation and commendation council has met and "
        "a majority voted for it.",
        "Law 06/2022/QH15 Art. 84 (biên bản xét); NĐ 152/2025/NĐ-CP",
        "probable",
    ),
    Rule(
        "forward_upward",
        "An approved proposal is forwarded (trình cấp trên) only upward: to an office above "
        "the one that proposed it (association or agency head → commune → district → province "
        "→ ministry → Prime Minister), for a form decided by that office or one above it.",
        "Law 06/2022/QH15 Art. 83 (the managing level awards or submits to the competent "
        "higher level); NĐ 152/2025/NĐ-CP; the ranks of agency heads and the association are "
        "ours",
        "probable",
    ),
    Rule(
        "award_bonus",
        "Bonus = multiplier × base salary in force on the decision date. From 1 July 2025: "
        "PM certificate 3.5, province/ministry certificate 1.5, Giấy khen 0.3. From 1 January "
        "2024 to 30 June 2025: PM 3.5, province/ministry 1.0, Giấy khen 0.3, the commune "
        "chairman's Giấy khen 0.15. Households get 1.5×, collectives 2× the individual bonus. "
        "Base salary 2,340,000 VND from 1 July 2024, 2,530,000 from 1 July 2026. Served, with "
        "each figure's source, at GET /bonus-tables.",
        "NĐ 152/2025/NĐ-CP Art. 54.1 a, b (3.5 per Vietnamese sources; an earlier 3.0 came "
        "from a machine translation); NĐ 98/2023/NĐ-CP Art. 58 (its text not found: the "
        "figures are NĐ 91/2017 Art. 73's, which the press reports unchanged); NĐ 73/2024/NĐ-CP; "
        "NĐ 161/2026/NĐ-CP (reported, text not found)",
        "probable",
    ),
    Rule(
        "bonus_rounding",
        "An amount, once multiplied, is rounded to the nearest ten thousand đồng, halves up "
        "(223,500 → 220,000; 1,053,000 → 1,050,000; 225,000 → 230,000).",
        "NĐ 91/2017/NĐ-CP Art. 68.2 and NĐ 98/2023/NĐ-CP (làm tròn số lên hàng chục nghìn "
        "đồng), read with the Ministry's worked examples; NĐ 152/2025's wording not found",
        "probable",
    ),
    Rule(
        "award_annulment",
        "An annulment names a reason (a) fraud, (b) false or forged documents, (c) appraisal "
        "contrary to law, (d) standard later found unmet; the certificate and bonus are then "
        "recovered, recorded as their own events.",
        "Law 06/2022/QH15 Art. 93.2",
        "verified",
    ),
]
_RULES += _AWARD_RULES

RULES: dict[str, Rule] = {r.code: r for r in _RULES}


def markdown() -> str:
    """The rules table as Markdown (``docs/rules.md``)."""
    lines = [
        "# Rules table",
        "",
        "Generated from `src/kh_saas/domain/rules.py` (`python -m kh_saas.domain.rules`);"
        " every rejection names its rule `code`.",
        "",
        "| code | rule | source | confidence |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| `{r.code}` | {r.statement} | {r.source} | {r.confidence} |" for r in _RULES]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
