"""Unit tests of every domain rule, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from kh_saas.domain.authority import (
    REFORM_DATE,
    AuthorityRow,
    Office,
    check_rows,
    default_matrix,
    row_for,
)
from kh_saas.domain.decision_rules import (
    DecisionDraft,
    NominationFacts,
    PriorRecognition,
    RecipientFacts,
    check_decision_header,
    check_recipients,
    upgrade_problems,
)
from kh_saas.domain.document_numbers import check_document_number, valid_document_number
from kh_saas.domain.errors import RuleViolation
from kh_saas.domain.ids import IdKey
from kh_saas.domain.nominations import NominationStatus
from kh_saas.domain.recognitions import Issuer, Recipient, upgrade_from, valid_until
from kh_saas.domain.rules import RULES, markdown
from kh_saas.domain.subjects import (
    CitizenDetails,
    HouseholdDetails,
    Subject,
    mask_citizen_id,
    subject_id,
    valid_citizen_id,
)
from kh_saas.domain.vocabulary import Scheme, SubjectKind, Tier, Title, scheme_for
from tests.domain_fixtures import COMMUNE, all_pass, criteria_set, day, full_points, recipients

TODAY = date(2026, 11, 23)
KEY = IdKey(b"k" * 32)
HH = Title.LEARNING_HOUSEHOLD
COMMUNITY = Title.LEARNING_COMMUNITY


def draft(**over: object) -> DecisionDraft:
    base: dict[str, object] = dict(
        number="123/QĐ-UBND",
        signed_on=day("2025-01-20"),
        issuer=COMMUNE,
        title=HH,
        tier=Tier.COMMUNE,
        level=None,
        year=2024,
        recipients=recipients(uuid4()),
    )
    base.update(over)
    return DecisionDraft(**base)  # type: ignore[arg-type]


def household(**over: object) -> RecipientFacts:
    base: dict[str, object] = dict(
        subject_kind=SubjectKind.HOUSEHOLD,
        subject_tier=None,
        nomination=None,
        already_recognised=False,
    )
    base.update(over)
    return RecipientFacts(**base)  # type: ignore[arg-type]


def matrix_row(d: DecisionDraft) -> AuthorityRow:
    row = row_for(default_matrix(), d.title, d.tier, d.level, d.signed_on)
    assert row is not None
    return row


def test_rules_table_in_docs_is_current() -> None:
    docs = Path(__file__).parent.parent / "docs" / "rules.md"
    assert docs.read_text() == markdown(), "run: python -m kh_saas.domain.rules > docs/rules.md"
    assert all(r.source and r.statement for r in RULES.values())


def test_scheme_by_title_and_tier() -> None:
    assert scheme_for(COMMUNITY, Tier.COMMUNE) is Scheme.LEVELS
    assert scheme_for(COMMUNITY, Tier.VILLAGE) is Scheme.POINTS
    assert scheme_for(Title.LEARNING_UNIT, Tier.PROVINCE) is Scheme.LEVELS
    assert scheme_for(Title.LEARNING_UNIT, Tier.COMMUNE) is Scheme.POINTS
    assert scheme_for(HH, Tier.COMMUNE) is Scheme.POINTS


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("123/QĐ-UBND", True),
        ("7/2025/QĐ-UBND", True),
        ("45/QĐ-SGDĐT", True),
        ("123/QD-UBND", True),
        ("QĐ-UBND", False),
        ("123", False),
        ("12/qđ-ubnd", False),
        ("1234567/QĐ-UBND", False),
        ("123//QĐ-UBND", False),
        ("123/25/QĐ-UBND", False),
        ("abc", False),
        ("12/TTr-UBND", True),
        ("07/2025/QĐ-UBND", True),
        ("5/QĐ-UBND-VX", True),
        ("123/QĐ-UBND ", False),
    ],
)
def test_decision_number_shape(number: str, ok: bool) -> None:
    assert valid_document_number(number) is ok


def test_citizen_id() -> None:
    assert valid_citizen_id("044090001234")
    assert not valid_citizen_id("44090001234")  # 11 digits
    assert not valid_citizen_id("097090001234")  # no province 097
    assert not valid_citizen_id("04409000123a")
    assert mask_citizen_id("044090001234") == "********1234"
    with pytest.raises(RuleViolation) as err:
        Subject(
            id=uuid4(),
            kind=SubjectKind.CITIZEN,
            name="Lê Thị Hoa",
            commune_code=None,
            village_code=None,
            ref=None,
            details=CitizenDetails(citizen_id="123"),
            actor="t",
        )
    assert err.value.rule == "citizen_id"
    assert err.value.field == "details.citizen_id"


def test_subject_ids_are_natural_keys() -> None:
    def make(ref: str | None) -> Subject:
        return Subject(
            id=subject_id(KEY, SubjectKind.HOUSEHOLD, ref, HouseholdDetails()),
            kind=SubjectKind.HOUSEHOLD,
            name="Hộ Nguyễn Văn An",
            commune_code="19000",
            village_code=None,
            ref=ref,
            details=HouseholdDetails(),
            actor="t",
        )

    assert make("HB-1").id == make("HB-1").id
    assert make(None).id != make(None).id
    with pytest.raises(RuleViolation):
        Subject(
            id=uuid4(),
            kind=SubjectKind.HOUSEHOLD,
            name="X",
            commune_code=None,
            village_code=None,
            ref=None,
            details=CitizenDetails(),
            actor="t",
        )


def test_authority_before_and_after_the_reform() -> None:
    rows = default_matrix()
    check_rows(rows)
    before = row_for(rows, COMMUNITY, Tier.COMMUNE, 1, date(2025, 6, 30))
    after = row_for(rows, COMMUNITY, Tier.COMMUNE, 1, REFORM_DATE)
    assert before is not None and before.deciding_office is Office.DISTRICT_EDUCATION_HEAD
    assert after is not None and after.deciding_office is Office.PROVINCE_EDUCATION_DIRECTOR
    assert row_for(rows, COMMUNITY, Tier.DISTRICT, 1, date(2025, 6, 30)) is not None
    assert row_for(rows, COMMUNITY, Tier.DISTRICT, 1, REFORM_DATE) is None
    assert before.dossier_deadline == "02-28" and before.decision_deadline == "03-31"


def test_authority_rows_are_checked() -> None:
    row = row_for(default_matrix(), COMMUNITY, Tier.COMMUNE, 1, REFORM_DATE)
    assert row is not None
    with pytest.raises(RuleViolation, match="overlap"):
        check_rows([row, row])
    district = AuthorityRow(
        title=COMMUNITY,
        tier=Tier.DISTRICT,
        level=1,
        evaluating_body="x",
        receiving_body="y",
        deciding_office=Office.DISTRICT_CHAIRMAN,
    )
    with pytest.raises(RuleViolation) as err:
        check_rows([district])
    assert err.value.rule == "district_tier_ended"


def test_district_tier_decision_30_june_vs_1_july_2025() -> None:
    unit = Title.LEARNING_UNIT
    issuer = Issuer(office=Office.DISTRICT_CHAIRMAN, name="UBND huyện Vĩnh Linh", unit_code="464")
    ok = draft(title=unit, tier=Tier.DISTRICT, level=1, issuer=issuer, signed_on=date(2025, 6, 30))
    check_decision_header(ok, matrix_row(ok), TODAY)
    late = draft(title=unit, tier=Tier.DISTRICT, level=1, issuer=issuer, signed_on=date(2025, 7, 1))
    with pytest.raises(RuleViolation) as err:
        check_decision_header(late, None, TODAY)
    assert err.value.rule == "district_tier_ended"


def test_wrong_office_is_refused() -> None:
    d = draft(issuer=Issuer(office=Office.PROVINCE_CHAIRMAN, name="UBND tỉnh Quảng Trị"))
    with pytest.raises(RuleViolation) as err:
        check_decision_header(d, matrix_row(draft()), TODAY)
    assert err.value.rule == "deciding_authority"
    assert err.value.field == "issuer.office"


def test_level_decisions_are_signed_the_year_after() -> None:
    office = Issuer(office=Office.PROVINCE_EDUCATION_DIRECTOR, name="Sở GD&ĐT Quảng Trị")
    d = draft(title=COMMUNITY, level=1, issuer=office, year=2025, signed_on=date(2025, 12, 31))
    with pytest.raises(RuleViolation) as err:
        check_decision_header(d, None, TODAY)
    assert err.value.rule == "assessment_period"
    with pytest.raises(RuleViolation) as err:
        check_decision_header(draft(title=COMMUNITY, level=None, issuer=office), None, TODAY)
    assert err.value.rule == "levels_scheme"


def test_recipient_failures_are_all_named() -> None:
    a, b, c, d, e = (uuid4() for _ in range(5))
    dec = draft(
        recipients=(
            *recipients(a, b, c, d),
            Recipient(subject_id=e, nomination_id=uuid4()),
            Recipient(subject_id=a),
        )
    )
    facts = [
        household(),
        household(subject_kind=None),
        household(subject_kind=SubjectKind.CLAN),
        household(already_recognised=True),
        household(
            nomination=NominationFacts(NominationStatus.SUBMITTED, e, HH, Tier.COMMUNE, None, 2024)
        ),
        household(),
    ]
    failures = check_recipients(dec, matrix_row(dec), facts)
    assert [(f.index, f.rule) for f in failures] == [
        (1, "title_subject_kind"),
        (2, "title_subject_kind"),
        (3, "one_title_per_year"),
        (4, "nomination_approved"),
        (5, "one_title_per_year"),
    ]


def test_nomination_must_match_and_be_required_unless_direct() -> None:
    s = uuid4()
    clan = draft(title=Title.LEARNING_CLAN, recipients=recipients(s))
    fact = household(subject_kind=SubjectKind.CLAN)
    (failure,) = check_recipients(clan, matrix_row(clan), [fact])
    assert failure.rule == "nomination_approved"
    other_year = NominationFacts(NominationStatus.APPROVED, s, HH, Tier.COMMUNE, None, 2023)
    dec = draft(recipients=(Recipient(subject_id=s, nomination_id=uuid4()),))
    (failure,) = check_recipients(dec, matrix_row(dec), [household(nomination=other_year)])
    assert "another" in failure.message


def test_level_two_needs_twelve_months_after_level_one() -> None:
    """The 12 months run to the day level 2 is *requested* — the dossier deadline (28/02 of
    the next year for a commune-tier community) — not to the day it is signed."""
    office = Issuer(office=Office.PROVINCE_EDUCATION_DIRECTOR, name="Sở GD&ĐT Quảng Trị")
    community = SubjectKind.COMMUNITY

    def facts(level1_on: date) -> list[RecipientFacts]:
        prior = PriorRecognition(2024, Tier.COMMUNE, 1, level1_on, revoked=False)
        return [RecipientFacts(community, Tier.COMMUNE, None, False, (prior,))]

    d = draft(
        title=COMMUNITY,
        level=2,
        issuer=office,
        year=2025,
        signed_on=date(2026, 3, 20),
        recipients=(Recipient(subject_id=uuid4(), nomination_id=None),),
    )
    row = matrix_row(d)
    assert row is not None and row.dossier_deadline == "02-28"
    just_in_time = check_recipients(d, row, facts(date(2025, 2, 28)))
    assert [f.rule for f in just_in_time] == ["nomination_approved"]  # only: no nomination
    too_early = check_recipients(d, row, facts(date(2025, 3, 1)))  # signed 12+ months later
    assert "level2_after_12_months" in [f.rule for f in too_early]
    none = check_recipients(d, row, [RecipientFacts(community, Tier.COMMUNE, None, False, ())])
    assert "level2_after_12_months" in [f.rule for f in none]


def test_a_level_one_of_20_march_2024_cannot_carry_a_level_two_request_for_2024() -> None:
    """The issue's case: dossier for 2024 due 28/02/2025, 12 months end 20/03/2025."""
    prior = [PriorRecognition(2023, Tier.COMMUNE, 1, date(2024, 3, 20), revoked=False)]
    (problem,) = upgrade_problems(Tier.COMMUNE, prior, date(2025, 2, 28))
    assert problem[0] == "level2_after_12_months" and "2025-03-20" in problem[1]
    assert upgrade_problems(Tier.COMMUNE, prior, date(2026, 2, 28)) == []  # for 2025: fine


def test_validity_and_upgrade_dates() -> None:
    assert valid_until(COMMUNITY, Tier.COMMUNE, 2024, date(2025, 3, 1), 1) == date(2028, 12, 31)
    assert valid_until(HH, Tier.COMMUNE, 2024, date(2024, 12, 20), 1) == date(2025, 12, 31)
    assert upgrade_from(1, date(2025, 3, 1)) == date(2026, 3, 1)
    assert upgrade_from(1, date(2024, 2, 29)) == date(2025, 3, 1)
    assert upgrade_from(2, date(2025, 3, 1)) is None


def test_points_and_levels_pass_rules() -> None:
    hh = criteria_set(HH, Tier.COMMUNE)
    assert hh.pass_mark == Decimal(80)
    assert hh.evaluate({s.indicator: s for s in full_points(hh, minus=20)}, None).passed
    low = hh.evaluate({s.indicator: s for s in full_points(hh, minus=21)}, None)  # 1.1: -6
    assert not low.passed and low.total_points == Decimal(79)
    missing = hh.evaluate({s.indicator: s for s in full_points(hh)[1:]}, None)
    assert not missing.passed and missing.missing == ("1.1",)

    cd = criteria_set(COMMUNITY, Tier.COMMUNE)
    l1 = cd.evaluate({s.indicator: s for s in all_pass(cd, level=1)}, 1)
    assert l1.passed and l1.level_reached == 1
    assert not cd.evaluate({s.indicator: s for s in all_pass(cd, level=1)}, 2).passed
    l2 = cd.evaluate({s.indicator: s for s in all_pass(cd, level=2)}, 2)
    assert l2.passed and l2.level_reached == 2
    failing = cd.evaluate({s.indicator: s for s in all_pass(cd, 2, failing="4.1")}, 1)
    assert not failing.passed and failing.failing == ("4.1",)


def test_every_signed_act_shares_one_number_rule() -> None:
    check_document_number("12/TTr-UBND", "forward.number")
    with pytest.raises(RuleViolation) as err:
        check_document_number("123//QĐ-UBND", "forward.number")
    assert err.value.rule == "decision_number" and err.value.field == "forward.number"
    assert "123/QĐ-UBND" in err.value.message
