"""Unit tests of every award rule (no database), with their boundaries."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import reduce
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kh_saas.domain.award_rules import (
    CSTDCS,
    HeldTitle,
    PastAward,
    SubjectHistory,
    check_award_header,
    check_award_lines,
    eligible,
    explain,
    failing,
    routes_met,
)
from kh_saas.domain.award_vocabulary import (
    AwardForm,
    AwardSigner,
    Occasion,
    Rating,
    RecipientKind,
    SuspensionReason,
)
from kh_saas.domain.awards import (
    PROPOSAL_ALLOWED,
    Achievement,
    Award,
    AwardIssuer,
    AwardLine,
    AwardProposal,
    CouncilReview,
    ProposalStatus,
    award_id,
)
from kh_saas.domain.bonus import base_salary, bonus, multiplier, rounded
from kh_saas.domain.errors import Conflict, IllegalTransition, RuleViolation
from kh_saas.domain.nominations import Evidence
from kh_saas.domain.recognitions import Recognition
from kh_saas.domain.subjects import HouseholdDetails, Subject
from kh_saas.domain.vocabulary import RevocationReason, SubjectKind, Tier, Title
from kh_saas.storage.mapper import JSONMapper
from kh_saas.tenants.award_history import SUBJECT_REGISTERED, is_revocation

ANNUAL_2025 = Achievement(period="2025", occasion=Occasion.ANNUAL)
DOC = Evidence(file_name="bao-cao.pdf", sha256="c" * 64, url="https://files.example/b")


def person(**over: object) -> SubjectHistory:
    base: dict[str, object] = {"subject_id": uuid4(), "kind": SubjectKind.CITIZEN}
    base.update(over)
    return SubjectHistory(**base)  # type: ignore[arg-type]


def verdicts(
    history: SubjectHistory,
    form: AwardForm,
    achievement: Achievement = ANNUAL_2025,
    on: date = date(2026, 3, 1),
) -> dict[str, bool]:
    return {r.rule: r.passed for r in explain(history, form, achievement, on)}


def pm_candidate(
    good_years: int,
    cstdcs: int,
    prior_occasion: Occasion = Occasion.ANNUAL,
    prior_year: int = 2019,
) -> SubjectHistory:
    years = list(range(2025 - good_years + 1, 2026))
    return person(
        ratings={y: Rating.GOOD for y in years},
        emulation_titles={y: (CSTDCS,) for y in years[:cstdcs]},
        awards=(
            PastAward(
                AwardForm.PROVINCE_CERTIFICATE,
                Achievement(period=str(prior_year), occasion=prior_occasion),
                date(prior_year + 1, 2, 1),
                annulled=False,
            ),
        ),
    )


def test_pm_certificate_five_years_boundary() -> None:
    five = verdicts(pm_candidate(5, 3), AwardForm.PM_CERTIFICATE)
    assert five["pm_five_good_years"] and five["pm_three_cstdcs"] and five["pm_prior_certificate"]
    four = verdicts(pm_candidate(4, 3), AwardForm.PM_CERTIFICATE)
    assert four["pm_five_good_years"] is False
    two_titles = verdicts(pm_candidate(5, 2), AwardForm.PM_CERTIFICATE)
    assert two_titles["pm_three_cstdcs"] is False


def test_the_five_years_come_after_the_earlier_certificate() -> None:
    """73.1.b "sau đó": for 2021–2025 a certificate for 2020 (signed 2021) counts, one for
    2021 (signed 2022) does not."""
    assert verdicts(pm_candidate(5, 3, prior_year=2020), AwardForm.PM_CERTIFICATE)[
        "pm_prior_certificate"
    ]
    late = pm_candidate(5, 3, prior_year=2021)
    assert verdicts(late, AwardForm.PM_CERTIFICATE)["pm_prior_certificate"] is False
    assert not eligible(explain(late, AwardForm.PM_CERTIFICATE, ANNUAL_2025, date(2026, 3, 1)))


def test_pm_routes_are_alternatives() -> None:
    """Route 73.1.a (a review of the PM's movement) needs no earlier certificate; 73.1.b
    needs all three of its terms; either one makes the subject eligible."""
    final = Achievement(period="2026-2030", occasion=Occasion.FINAL_REVIEW)
    bare = explain(person(), AwardForm.PM_CERTIFICATE, final, date(2031, 1, 1))
    assert eligible(bare) and routes_met(bare) == ["73.1.a"]
    annual = explain(person(), AwardForm.PM_CERTIFICATE, ANNUAL_2025, date(2026, 3, 1))
    assert not eligible(annual)
    assert {r.rule for r in failing(annual)} >= {"award_route", "award_route_movement"}
    merit = explain(pm_candidate(5, 3), AwardForm.PM_CERTIFICATE, ANNUAL_2025, date(2026, 3, 1))
    assert eligible(merit) and routes_met(merit) == ["73.1.b"]
    other = Achievement(movement="other-movement", period="2025", occasion=Occasion.FINAL_REVIEW)
    assert not eligible(explain(person(), AwardForm.PM_CERTIFICATE, other, date(2026, 3, 1)))


def test_province_certificate_routes_74() -> None:
    """74.1.a a movement review; 74.1.b–c attested by the council's proposal (or sudden);
    74.1.d two excellent years with two CSTĐCS — and the boundary at one year."""
    annual = ANNUAL_2025
    form = AwardForm.PROVINCE_CERTIFICATE
    assert not eligible(explain(person(), form, annual, date(2026, 3, 1)))
    assert eligible(explain(person(), form, annual, date(2026, 3, 1), attested=True))
    sudden = Achievement(period="2025", occasion=Occasion.SUDDEN)
    assert eligible(explain(person(), form, sudden, date(2026, 3, 1)))
    two = person(
        ratings={2024: Rating.EXCELLENT, 2025: Rating.EXCELLENT},
        emulation_titles={2024: (CSTDCS,), 2025: (CSTDCS,)},
    )
    assert routes_met(explain(two, form, annual, date(2026, 3, 1))) == ["74.1.d"]
    one = person(
        ratings={2024: Rating.GOOD, 2025: Rating.EXCELLENT},
        emulation_titles={2024: (CSTDCS,), 2025: (CSTDCS,)},
    )
    assert not eligible(explain(one, form, annual, date(2026, 3, 1)))
    interim = Achievement(period="2023-2025", occasion=Occasion.INTERIM_REVIEW)
    household = person(kind=SubjectKind.HOUSEHOLD)
    assert routes_met(explain(household, form, interim, date(2026, 3, 1))) == ["74.3.a"]


def test_a_gap_breaks_the_streak() -> None:
    h = pm_candidate(5, 3)
    h.ratings[2023] = Rating.COMPLETED
    assert verdicts(h, AwardForm.PM_CERTIFICATE)["pm_five_good_years"] is False


def test_thematic_awards_do_not_count_toward_merit() -> None:
    v = verdicts(pm_candidate(5, 3, Occasion.THEMATIC), AwardForm.PM_CERTIFICATE)
    assert v["pm_prior_certificate"] is False and v["thematic_not_merit"] is False
    v = verdicts(pm_candidate(5, 3, Occasion.SUDDEN), AwardForm.PM_CERTIFICATE)
    assert v["pm_prior_certificate"] is False
    for review in (Occasion.INTERIM_REVIEW, Occasion.FINAL_REVIEW):  # QĐ 1315's reviews
        v = verdicts(pm_candidate(5, 3, review), AwardForm.PM_CERTIFICATE)
        assert v["pm_prior_certificate"] is False and v["thematic_not_merit"] is False


def test_no_lower_award_needed_for_other_forms_or_non_individuals() -> None:
    assert verdicts(person(), AwardForm.PROVINCE_CERTIFICATE)["no_lower_prerequisite"]
    household = person(kind=SubjectKind.HOUSEHOLD)
    assert verdicts(household, AwardForm.PM_CERTIFICATE)["no_lower_prerequisite"]


def test_district_form_30_june_vs_1_july_2025() -> None:
    issuer = AwardIssuer(signer=AwardSigner.DISTRICT_CHAIRMAN, name="UBND huyện Vĩnh Linh")
    check_award_header(AwardForm.DISTRICT_CERTIFICATE, issuer, date(2025, 6, 30), date(2026, 1, 1))
    with pytest.raises(RuleViolation) as err:
        check_award_header(
            AwardForm.DISTRICT_CERTIFICATE, issuer, date(2025, 7, 1), date(2026, 1, 1)
        )
    assert err.value.rule == "district_form_ended"
    v = verdicts(person(), AwardForm.DISTRICT_CERTIFICATE, on=date(2025, 7, 1))
    assert v["district_form_ended"] is False


def test_signer_must_match_the_form() -> None:
    wrong = AwardIssuer(signer=AwardSigner.COMMUNE_CHAIRMAN, name="UBND xã")
    with pytest.raises(RuleViolation) as err:
        check_award_header(
            AwardForm.PROVINCE_CERTIFICATE, wrong, date(2025, 1, 1), date(2026, 1, 1)
        )
    assert err.value.rule == "award_signer" and err.value.field == "issuer.signer"


def test_suspension_and_one_award_per_achievement() -> None:
    assert (
        verdicts(person(suspended=SuspensionReason.INSPECTION), AwardForm.PROVINCE_CERTIFICATE)[
            "suspended_subject"
        ]
        is False
    )
    assert (
        verdicts(person(award_exists=True), AwardForm.PROVINCE_CERTIFICATE)[
            "one_award_per_achievement"
        ]
        is False
    )
    subject = uuid4()
    assert award_id(subject, ANNUAL_2025) == award_id(subject, ANNUAL_2025)
    assert award_id(subject, ANNUAL_2025) != award_id(
        subject, Achievement(period="2025", occasion=Occasion.INTERIM_REVIEW)
    )


def test_giay_khen_household_needs_three_learning_years() -> None:
    def household(years: list[int]) -> SubjectHistory:
        return person(
            kind=SubjectKind.HOUSEHOLD,
            titles=tuple(HeldTitle(Title.LEARNING_HOUSEHOLD, y, revoked=False) for y in years),
        )

    assert verdicts(household([2023, 2024, 2025]), AwardForm.COMMUNE_CERTIFICATE)[
        "giay_khen_criteria"
    ]
    assert not verdicts(household([2022, 2024, 2025]), AwardForm.COMMUNE_CERTIFICATE)[
        "giay_khen_criteria"
    ]
    revoked = person(
        kind=SubjectKind.HOUSEHOLD,
        titles=(
            HeldTitle(Title.LEARNING_HOUSEHOLD, 2023, revoked=False),
            HeldTitle(Title.LEARNING_HOUSEHOLD, 2024, revoked=True),
            HeldTitle(Title.LEARNING_HOUSEHOLD, 2025, revoked=False),
        ),
    )
    assert not verdicts(revoked, AwardForm.COMMUNE_CERTIFICATE)["giay_khen_criteria"]


def test_lines_name_every_failure() -> None:
    ok, dup, clan = uuid4(), uuid4(), uuid4()
    lines = [
        AwardLine(subject_id=s, recipient_kind=k, citation="Có thành tích")
        for s, k in [
            (ok, RecipientKind.INDIVIDUAL),
            (dup, RecipientKind.INDIVIDUAL),
            (clan, RecipientKind.INDIVIDUAL),
            (ok, RecipientKind.INDIVIDUAL),
        ]
    ]
    histories = [
        person(subject_id=ok),
        person(subject_id=dup, award_exists=True),
        person(subject_id=clan, kind=SubjectKind.CLAN),
        person(subject_id=ok),
    ]
    failures = check_award_lines(
        AwardForm.PROVINCE_CERTIFICATE,
        achievement=ANNUAL_2025,
        signed_on=date(2026, 1, 1),
        lines=lines,
        histories=histories,
        criteria=(),
        attested=True,  # the council's approved proposal (route 74.1.b–c)
    )
    assert [(f.index, f.rule) for f in failures] == [
        (1, "one_award_per_achievement"),
        (2, "award_recipient_kind"),
        (3, "one_award_per_achievement"),
    ]


def test_bonus_tables() -> None:
    july = date(2025, 7, 1)
    assert base_salary(date(2024, 6, 30)) == 1_800_000
    assert base_salary(july) == 2_340_000
    assert base_salary(date(2026, 6, 30)) == 2_340_000
    assert base_salary(date(2026, 7, 1)) == 2_530_000  # NĐ 161/2026
    # 1.5 × 0.3 × 2,340,000 = 1,053,000 → 1,050,000 (nearest ten thousand)
    assert bonus(AwardForm.COMMUNE_CERTIFICATE, RecipientKind.HOUSEHOLD, july) == 1_050_000
    assert bonus(AwardForm.PM_CERTIFICATE, RecipientKind.INDIVIDUAL, july) == 8_190_000  # 3.5×
    assert bonus(AwardForm.PROVINCE_CERTIFICATE, RecipientKind.INDIVIDUAL, july) == 3_510_000
    assert multiplier(AwardForm.ASSOCIATION_CERTIFICATE, RecipientKind.INDIVIDUAL, july) == 0


def test_bonus_multipliers_change_on_1_july_2025() -> None:
    """NĐ 98/2023 until 30/6/2025 (province 1.0, commune chairman's Giấy khen 0.15), then
    NĐ 152/2025 (1.5 and 0.3); the PM certificate is 3.5 on both sides."""
    before, after = date(2025, 6, 30), date(2025, 7, 1)
    province, commune, pm = (
        AwardForm.PROVINCE_CERTIFICATE,
        AwardForm.COMMUNE_CERTIFICATE,
        AwardForm.PM_CERTIFICATE,
    )
    one = RecipientKind.INDIVIDUAL
    assert multiplier(province, one, before) == Decimal("1.0")
    assert multiplier(province, one, after) == Decimal("1.5")
    assert multiplier(commune, one, before) == Decimal("0.15")
    assert multiplier(commune, one, after) == Decimal("0.3")
    assert multiplier(pm, one, before) == multiplier(pm, one, after) == Decimal("3.5")
    assert multiplier(commune, RecipientKind.COLLECTIVE, before) == Decimal("0.30")
    assert bonus(commune, one, before) == 350_000  # 0.15 × 2,340,000 = 351,000


def test_bonus_rounds_to_the_nearest_ten_thousand_halves_up() -> None:
    assert rounded(Decimal(223_500)) == 220_000  # the Ministry's example (0.15 × 1,490,000)
    assert rounded(Decimal(447_000)) == 450_000
    assert rounded(Decimal(224_999)) == 220_000
    assert rounded(Decimal(225_000)) == 230_000
    assert rounded(Decimal(1_053_000)) == 1_050_000


def test_annulment_and_recovery() -> None:
    award = Award(
        subject_id=uuid4(),
        recipient_kind=RecipientKind.INDIVIDUAL,
        form=AwardForm.PROVINCE_CERTIFICATE,
        achievement=ANNUAL_2025,
        citation="x",
        bonus_vnd=3_510_000,
        decision_id=uuid4(),
        decision_number="1/QĐ-UBND",
        signed_on=date(2026, 1, 5),
        actor="t",
    )
    with pytest.raises(RuleViolation):
        award.record_recovery(certificate=True, bonus_vnd=0, on=date(2026, 2, 1), actor="t")
    award.annul(
        annulment_id=uuid4(),
        number="2/QĐ-UBND",
        signed_on=date(2026, 2, 1),
        reason=RevocationReason.FRAUD,
        actor="t",
    )
    with pytest.raises(Conflict):
        award.annul(
            annulment_id=uuid4(),
            number="3/QĐ-UBND",
            signed_on=date(2026, 2, 1),
            reason=RevocationReason.FRAUD,
            actor="t",
        )
    award.record_recovery(certificate=True, bonus_vnd=3_000_000, on=date(2026, 3, 1), actor="t")
    with pytest.raises(RuleViolation, match="exceed"):
        award.record_recovery(certificate=False, bonus_vnd=600_000, on=date(2026, 3, 2), actor="t")
    assert award.certificate_recovered and award.bonus_recovered_vnd == 3_000_000


def proposal() -> AwardProposal:
    issuer = AwardIssuer(
        signer=AwardSigner.COMMUNE_CHAIRMAN, name="UBND xã Gio Linh", unit_code="19483"
    )
    return AwardProposal(
        number="12/TTr-UBND",
        proposer=issuer,
        form=AwardForm.PROVINCE_CERTIFICATE,
        achievement=ANNUAL_2025,
        lines=(
            AwardLine(
                subject_id=uuid4(),
                recipient_kind=RecipientKind.HOUSEHOLD,
                citation="Gia đình học tập tiêu biểu",
            ),
        ),
        report=DOC,
        parent_id=None,
        actor="officer",
    )


REVIEW = CouncilReview(met_on=date(2026, 1, 10), votes_for=7, votes_total=9, minutes=DOC)
SPLIT = CouncilReview(met_on=date(2026, 1, 10), votes_for=4, votes_total=8, minutes=DOC)
PROVINCE = AwardIssuer(signer=AwardSigner.PROVINCE_CHAIRMAN, name="UBND tỉnh Quảng Trị")


def act(p: AwardProposal, action: str, majority: bool) -> object:
    match action:
        case "submit":
            return p.submit("o")
        case "review":
            return p.record_review(REVIEW if majority else SPLIT, "council")
        case "approve":
            return p.approve("council")
        case "return":
            return p.return_for_supplement(("bổ sung báo cáo",), "council")
        case "reject":
            return p.reject(("không đủ tiêu chuẩn",), "council")
        case "forward":
            return p.forward(
                number="5/TTr-UBND", proposer=PROVINCE, form=AwardForm.PM_CERTIFICATE, actor="o"
            )
    raise AssertionError(action)


def test_proposal_chain() -> None:
    p = proposal()
    for a in ["submit", "review", "approve"]:
        act(p, a, True)
    upper = act(p, "forward", True)
    assert isinstance(upper, AwardProposal)
    assert p.status is ProposalStatus.FORWARDED and p.forwarded_to == upper.id
    assert upper.parent_id == p.id and upper.form is AwardForm.PM_CERTIFICATE
    with pytest.raises(IllegalTransition) as err:
        p.submit("o")
    assert err.value.allowed == []


def test_approval_needs_a_majority() -> None:
    p = proposal()
    act(p, "submit", True)
    act(p, "review", False)
    with pytest.raises(RuleViolation, match="majority"):
        p.approve("council")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(PROPOSAL_ALLOWED)), st.booleans()), max_size=20))
def test_random_proposal_commands_keep_the_machine_legal(cmds: list[tuple[str, bool]]) -> None:
    p = proposal()
    for action, majority in cmds:
        before, version = p.status, p.version
        try:
            act(p, action, majority)
        except (IllegalTransition, RuleViolation):
            assert p.status is before and p.version == version
            continue
        assert before in PROPOSAL_ALLOWED[action]
        if p.status is ProposalStatus.APPROVED:
            assert p.review is not None and p.review.votes_for * 2 > p.review.votes_total
    mapper = JSONMapper()
    events = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in p.collect_events()]
    rebuilt = reduce(lambda agg, e: e.mutate(agg), events, None)  # type: ignore[attr-defined]
    assert rebuilt is not None and rebuilt.__dict__ == p.__dict__


def test_history_reads_the_topics_and_fields_events_are_stored_under() -> None:
    """Large decisions read a subject's kind and a recognition's revocation from stored
    topics and JSON fields; they must be what the domain stores."""
    subject = Subject(
        id=uuid4(),
        kind=SubjectKind.HOUSEHOLD,
        name="Hộ Nguyễn Văn An",
        commune_code="19000",
        village_code=None,
        ref="HB-1",
        details=HouseholdDetails(),
        actor="t",
    )
    (registered,) = subject.collect_events()
    stored = JSONMapper().to_stored_event(registered)
    assert stored.topic == SUBJECT_REGISTERED
    assert json.loads(stored.state)["kind"] == "household"
    recognition = Recognition(
        subject_id=subject.id,
        title=Title.LEARNING_HOUSEHOLD,
        tier=Tier.COMMUNE,
        level=None,
        year=2024,
        decision_id=uuid4(),
        decision_number="1/QĐ-UBND",
        signed_on=date(2025, 1, 15),
        nomination_id=None,
        valid_until=date(2025, 12, 31),
        upgrade_from=None,
        actor="t",
    )
    recognition.revoke(
        revocation_id=uuid4(),
        number="2/QĐ-UBND",
        signed_on=date(2025, 6, 1),
        reason=RevocationReason.FRAUD,
        actor="t",
    )
    granted, revoked = (JSONMapper().to_stored_event(e) for e in recognition.collect_events())
    assert is_revocation(revoked.topic) and not is_revocation(granted.topic)
