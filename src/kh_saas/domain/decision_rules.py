"""The rules a recognition decision must satisfy, as one pure function.

The application gathers the facts (subjects, nominations, earlier recognitions) in a few
batched reads; this module decides. A decision is all or nothing: every failing recipient is
reported, with the rule it breaks, and nothing is stored if any fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from kh_saas.domain.authority import REFORM_DATE, AuthorityRow
from kh_saas.domain.document_numbers import check_signed_number
from kh_saas.domain.errors import RuleViolation
from kh_saas.domain.nominations import NominationStatus
from kh_saas.domain.recognitions import Issuer, Recipient, upgrade_from
from kh_saas.domain.vocabulary import TITLE_SUBJECT, Scheme, SubjectKind, Tier, Title, scheme_for


@dataclass(frozen=True)
class DecisionDraft:
    number: str
    signed_on: date
    issuer: Issuer
    title: Title
    tier: Tier
    level: int | None
    year: int
    recipients: Sequence[Recipient]


@dataclass(frozen=True)
class NominationFacts:
    status: NominationStatus
    subject_id: UUID
    title: Title
    tier: Tier
    level: int | None
    year: int


@dataclass(frozen=True)
class PriorRecognition:
    year: int
    tier: Tier
    level: int | None
    signed_on: date
    revoked: bool


@dataclass(frozen=True)
class RecipientFacts:
    """What the store knows about one recipient; ``subject_kind`` is None if unknown."""

    subject_kind: SubjectKind | None
    subject_tier: Tier | None
    nomination: NominationFacts | None
    already_recognised: bool
    prior: tuple[PriorRecognition, ...] = ()


@dataclass(frozen=True)
class RecipientFailure:
    index: int
    subject_id: UUID
    rule: str
    message: str


MAX_RECIPIENTS = 50_000


def check_decision_header(draft: DecisionDraft, row: AuthorityRow | None, today: date) -> None:
    """Rules of the decision as a whole; raises on the first that fails."""
    check_signed_number(draft.number, draft.signed_on)
    if draft.signed_on > today:
        raise RuleViolation("decision_number", "signed in the future", field="signed_on")
    if not 1 <= len(draft.recipients) <= MAX_RECIPIENTS:
        raise RuleViolation(
            "decision_number", f"a decision has 1–{MAX_RECIPIENTS} recipients", field="recipients"
        )
    if draft.tier is Tier.DISTRICT and draft.signed_on >= REFORM_DATE:
        raise RuleViolation(
            "district_tier_ended",
            "no district-tier recognition may be decided on or after 1 July 2025",
            field="tier",
        )
    levels = scheme_for(draft.title, draft.tier, draft.year) is Scheme.LEVELS
    if levels and draft.level not in (1, 2):
        raise RuleViolation("levels_scheme", "this title and tier need level 1 or 2", field="level")
    if not levels and draft.level is not None:
        raise RuleViolation("levels_scheme", "this title and tier have no levels", field="level")
    earliest = date(draft.year + 1, 1, 1) if levels else date(draft.year, 1, 1)
    if draft.signed_on < earliest:
        raise RuleViolation(
            "assessment_period",
            f"a decision on assessment year {draft.year} cannot be signed before {earliest}",
            field="signed_on",
        )
    if row is None:
        raise RuleViolation(
            "deciding_authority",
            f"no authority decides {draft.title} at {draft.tier} tier"
            + (f" level {draft.level}" if draft.level else "")
            + f" on {draft.signed_on}",
            field="tier",
        )
    if row.deciding_office is not draft.issuer.office:
        raise RuleViolation(
            "deciding_authority",
            f"{draft.title} at {draft.tier} tier is decided by {row.deciding_office}, "
            f"not {draft.issuer.office} (authority matrix, {row.source})",
            field="issuer.office",
        )


Problem = tuple[str, str]  # (rule, message)


def check_recipients(
    draft: DecisionDraft, row: AuthorityRow, facts: Sequence[RecipientFacts]
) -> list[RecipientFailure]:
    """Every failing recipient, each with the rule it breaks."""
    failures: list[RecipientFailure] = []
    seen: dict[UUID, int] = {}
    for index, (recipient, fact) in enumerate(zip(draft.recipients, facts, strict=True)):
        problems = _problems(draft, row, recipient, fact, seen.get(recipient.subject_id))
        seen.setdefault(recipient.subject_id, index)
        failures += [RecipientFailure(index, recipient.subject_id, r, m) for r, m in problems]
    return failures


def _problems(
    draft: DecisionDraft,
    row: AuthorityRow,
    recipient: Recipient,
    fact: RecipientFacts,
    listed_at: int | None,
) -> list[Problem]:
    if listed_at is not None:
        return [("one_title_per_year", f"listed twice (also at index {listed_at})")]
    if fact.subject_kind is None:
        return [("title_subject_kind", "no such subject in this province")]
    if TITLE_SUBJECT[draft.title] is not fact.subject_kind:
        return [("title_subject_kind", f"a {fact.subject_kind} cannot hold {draft.title}")]
    problems: list[Problem] = []
    if fact.subject_tier is not None and fact.subject_tier is not draft.tier:
        rule = "community_tier" if fact.subject_kind is SubjectKind.COMMUNITY else "unit_tier"
        problems.append((rule, f"recognised at {fact.subject_tier} tier, not {draft.tier}"))
    if fact.already_recognised:
        problems.append(("one_title_per_year", f"already holds {draft.title} for {draft.year}"))
    problems += _nomination_problems(draft, row, recipient, fact.nomination)
    if draft.level == 2:
        problems += upgrade_problems(
            draft.tier, fact.prior, requested_on(row, draft.year, draft.signed_on)
        )
    return problems


def _nomination_problems(
    draft: DecisionDraft,
    row: AuthorityRow,
    recipient: Recipient,
    nomination: NominationFacts | None,
) -> list[Problem]:
    rule = "nomination_approved"
    if recipient.nomination_id is None:
        if row.direct_allowed:
            return []
        return [(rule, "needs an approved nomination (this title is not recognised directly)")]
    if nomination is None:
        return [(rule, "no such nomination")]
    problems: list[Problem] = []
    if nomination.status is not NominationStatus.APPROVED:
        problems.append((rule, f"nomination is {nomination.status}, not approved"))
    expected = (recipient.subject_id, draft.title, draft.tier, draft.level, draft.year)
    actual = (
        nomination.subject_id,
        nomination.title,
        nomination.tier,
        nomination.level,
        nomination.year,
    )
    if expected != actual:
        problems.append((rule, "the nomination is for another subject, title, tier, level or year"))
    return problems


def requested_on(row: AuthorityRow | None, year: int, fallback: date) -> date:
    """When a level is requested (đề nghị) for an assessment year: by the dossier deadline of
    the following year if the authority matrix names one, else ``fallback``."""
    due = dossier_due(row, year)
    return fallback if due is None else due


def dossier_due(row: AuthorityRow | None, year: int) -> date | None:
    """The day a dossier for assessment year ``year`` must reach the receiving body."""
    return _day(year + 1, row.dossier_deadline) if row is not None else None


def decision_due(row: AuthorityRow | None, year: int) -> date | None:
    return _day(year + 1, row.decision_deadline) if row is not None else None


def _day(year: int, month_day: str | None) -> date | None:
    if month_day is None:
        return None
    month, day = (int(x) for x in month_day.split("-"))
    try:
        return date(year, month, day)
    except ValueError:  # 02-29 in a common year
        return date(year, 3, 1)


def upgrade_problems(
    tier: Tier, prior: Sequence[PriorRecognition], requested: date
) -> list[Problem]:
    """Level 2 may be *requested* only 12 months or more after the level-1 decision: the
    request date is the dossier deadline (TT 24/25), not the day level 2 is signed."""
    rule = "level2_after_12_months"
    level_one = [p for p in prior if p.level == 1 and p.tier is tier and not p.revoked]
    if not level_one:
        return [(rule, "level 2 needs an earlier level-1 recognition")]
    first = min(p.signed_on for p in level_one)
    allowed = upgrade_from(1, first)
    if allowed is not None and requested < allowed:
        return [
            (
                rule,
                f"level 1 was decided on {first}; level 2 may be requested from {allowed}, "
                f"and this request dates from {requested} (the dossier deadline)",
            )
        ]
    return []
