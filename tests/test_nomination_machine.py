"""The nomination state machine: unit tests and property-based tests (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from functools import reduce
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kh_saas.domain.criteria import IndicatorScore
from kh_saas.domain.errors import IllegalTransition, RuleViolation
from kh_saas.domain.nominations import ALLOWED, Evidence, Nomination, NominationStatus
from kh_saas.domain.vocabulary import SubjectKind, Tier, Title
from kh_saas.storage.mapper import JSONMapper
from tests.domain_fixtures import criteria_set, full_points, household_nomination

CS = criteria_set(Title.LEARNING_HOUSEHOLD, Tier.COMMUNE)
ZERO = tuple(IndicatorScore(indicator=s.indicator, points=Decimal(0)) for s in full_points(CS))
EVIDENCE = Evidence(file_name="bien-ban.pdf", sha256="a" * 64, url="s3://kh/bien-ban.pdf")


def act(n: Nomination, action: str, good_scores: bool = True) -> None:
    scores = full_points(CS) if good_scores else ZERO
    match action:
        case "self_assess":
            n.self_assess(scores, CS, "officer")
        case "attach_evidence":
            n.attach_evidence((EVIDENCE,), "officer")
        case "submit":
            n.submit("officer")
        case "review":
            n.review(scores, CS, "reviewer")
        case "return":
            n.return_for_supplement(("thiếu biên bản họp",), "reviewer")
        case "resubmit":
            n.resubmit("officer")
        case "approve":
            n.approve(CS, "reviewer")
        case "reject":
            n.reject(("không đạt",), "reviewer")
        case "withdraw":
            n.withdraw("rút", "officer")


def test_happy_path() -> None:
    n = household_nomination(CS)
    for action in ["self_assess", "attach_evidence", "submit", "review", "approve"]:
        act(n, action)
    assert n.status is NominationStatus.APPROVED
    assert n.evidence == (EVIDENCE,)


def test_return_and_resubmit() -> None:
    n = household_nomination(CS)
    for action in ["submit", "return", "attach_evidence", "resubmit", "review", "approve"]:
        act(n, action)
    assert n.status is NominationStatus.APPROVED


def test_illegal_transition_names_allowed_actions() -> None:
    n = household_nomination(CS)
    with pytest.raises(IllegalTransition) as err:
        n.approve(CS, "reviewer")
    assert err.value.allowed == ["attach_evidence", "self_assess", "submit", "withdraw"]
    assert err.value.state == "draft"


def test_approval_requires_review_meeting_the_pass_mark() -> None:
    n = household_nomination(CS)
    act(n, "submit")
    with pytest.raises(RuleViolation, match="reviewer must score"):
        n.approve(CS, "reviewer")
    act(n, "review", good_scores=False)
    with pytest.raises(RuleViolation, match="below the pass mark") as err:
        n.approve(CS, "reviewer")
    assert err.value.rule == "approval_pass_rule"
    assert n.status is NominationStatus.SUBMITTED


def test_scores_are_checked_against_the_criteria_set() -> None:
    n = household_nomination(CS)
    with pytest.raises(RuleViolation, match="no indicator"):
        n.self_assess((IndicatorScore(indicator="9.9", points=1),), CS, "o")  # type: ignore[arg-type]
    with pytest.raises(RuleViolation, match="outside"):
        n.self_assess((IndicatorScore(indicator="1.1", points=99),), CS, "o")  # type: ignore[arg-type]


def test_title_must_fit_subject() -> None:
    with pytest.raises(RuleViolation) as err:
        Nomination(
            subject_id=uuid4(),
            subject_kind=SubjectKind.CLAN,
            title=Title.LEARNING_HOUSEHOLD,
            tier=Tier.COMMUNE,
            level=None,
            year=2024,
            criteria_set_id=CS.id,
            actor="o",
        )
    assert err.value.rule == "title_subject_kind"


ACTIONS = sorted(ALLOWED)
TERMINAL = {NominationStatus.APPROVED, NominationStatus.REJECTED, NominationStatus.WITHDRAWN}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.booleans()), max_size=25))
def test_random_command_sequences_never_reach_an_illegal_state(
    commands: list[tuple[str, bool]],
) -> None:
    n = household_nomination(CS)
    history: list[NominationStatus] = [n.status]
    for action, good in commands:
        before = n.status
        version = n.version
        try:
            act(n, action, good)
        except IllegalTransition:
            assert before not in ALLOWED[action]
            assert n.status is before and n.version == version  # refused: nothing recorded
            continue
        except RuleViolation:
            assert n.status is before and n.version == version
            continue
        assert before in ALLOWED[action]
        if n.status is NominationStatus.APPROVED:
            assert n.review_scores, "approved without review"
            assert CS.evaluate({s.indicator: s for s in n.review_scores}, None).passed
        if before in TERMINAL:
            raise AssertionError(f"{action} succeeded on a terminal nomination")
        history.append(n.status)

    # Replaying the events (through the stored JSON form) rebuilds the same aggregate.
    mapper = JSONMapper()
    events = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in n.collect_events()]
    rebuilt = reduce(lambda agg, e: e.mutate(agg), events, None)  # type: ignore[attr-defined]
    assert rebuilt is not None
    assert rebuilt.__dict__ == n.__dict__
