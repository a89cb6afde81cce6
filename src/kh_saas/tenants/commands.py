"""Commands of one province: load aggregates, apply the domain, save atomically.

Synchronous (``eventsourcing`` is); the API calls them in worker threads. Every command either
saves all its events in one transaction or raises and saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from kh_saas.domain.admin_units import village_id
from kh_saas.domain.authority import AuthorityMatrix, AuthorityRow, default_matrix, row_for
from kh_saas.domain.criteria import CriteriaSet, Criterion, IndicatorScore
from kh_saas.domain.decision_rules import (
    DecisionDraft,
    NominationFacts,
    PriorRecognition,
    RecipientFacts,
    RecipientFailure,
    check_decision_header,
    check_recipients,
    requested_on,
    upgrade_problems,
)
from kh_saas.domain.document_numbers import check_document_number, check_signed_number
from kh_saas.domain.errors import Conflict, DomainError, RuleViolation
from kh_saas.domain.ids import IdKey
from kh_saas.domain.nominations import Evidence, Nomination
from kh_saas.domain.recognitions import (
    Issuer,
    Recognition,
    RecognitionDecision,
    RevocationDecision,
    Signer,
    recognition_id,
    upgrade_from,
    valid_until,
)
from kh_saas.domain.subjects import Details, Subject, subject_id
from kh_saas.domain.vocabulary import RevocationReason, Scheme, SubjectKind, Tier, Title, scheme_for
from kh_saas.tenants.application import TenantApplication
from kh_saas.tenants.number_books import enter_number

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class ItemError:
    """A rejected item of a bulk command: its index, the field and why."""

    index: int
    field: str
    code: str
    message: str


class BulkRejected(DomainError):
    """Some items are bad: nothing was stored; every bad item is listed.

    ``list_field`` is the request's own name of the list (``items``, ``recognition_ids``);
    ``None`` when the request carried one item, not a list, so errors name its fields alone.
    """

    def __init__(
        self, errors: list[ItemError], what: str, *, list_field: str | None = "items"
    ) -> None:
        super().__init__(
            "bulk_rejected", f"{len(errors)} of the {what} are invalid; nothing was stored"
        )
        self.errors = errors
        self.list_field = list_field

    def paths(self) -> list[str]:
        """Each error's field as the request spells it: ``items[3].name``, ``name``."""
        if self.list_field is None:
            return [e.field or "body" for e in self.errors]
        return [
            f"{self.list_field}[{e.index}]" + (f".{e.field}" if e.field else "")
            for e in self.errors
        ]

    def single(self) -> BulkRejected:
        """The same rejection for a request that sent one item, not a list."""
        return BulkRejected(self.errors, "fields", list_field=None)


def take_back(
    loaded: Mapping[UUID, Aggregate],
    ids: Sequence[UUID],
    cls: type[A],
    *,
    act: Callable[[A], None],
) -> tuple[list[A], list[ItemError]]:
    """Apply a revocation or annulment to each aggregate; every refusal becomes an item error
    (missing, or already taken back), so one rejection lists them all."""
    done: list[A] = []
    errors: list[ItemError] = []
    for index, ident in enumerate(ids):
        target = loaded.get(ident)
        if not isinstance(target, cls):
            errors.append(ItemError(index, "", "not_found", f"no {cls.__name__} {ident}"))
            continue
        try:
            act(target)
        except Conflict as exc:
            errors.append(ItemError(index, "", exc.code, exc.message))
            continue
        done.append(target)
    return done, errors


class DecisionRejected(DomainError):
    """At least one recipient fails a rule: the whole decision is refused."""

    def __init__(self, failures: list[RecipientFailure]) -> None:
        super().__init__(
            "decision_rejected",
            f"{len(failures)} recipient(s) fail a rule; the decision was not recorded",
            field="recipients",
        )
        self.failures = failures


@dataclass(frozen=True)
class SubjectInput:
    kind: SubjectKind
    name: str
    commune_code: str | None
    village_code: str | None
    ref: str | None
    details: Details


class ProvinceCommands:
    """The write side of one province."""

    def __init__(self, app: TenantApplication, communes: frozenset[str], id_key: IdKey) -> None:
        self.app = app
        self.communes = communes
        self.id_key = id_key

    # --- reading one aggregate -------------------------------------------------------------

    def get(self, cls: type[A], ident: UUID, what: str) -> A:
        return self.app.load(cls, ident, what)

    # --- subjects ------------------------------------------------------------------------

    def register_subjects(
        self, items: Sequence[SubjectInput | ItemError], actor: str
    ) -> list[Subject]:
        """All or nothing. ``items`` may already hold errors found while reading the input,
        so one rejection lists every bad item."""
        subjects = self._checked_subjects(items, actor)
        try:
            self.app.save(*subjects)
        except IntegrityError as exc:  # registered concurrently by someone else
            raise Conflict(
                "duplicate_subject", "a subject was registered meanwhile; retry"
            ) from exc
        return subjects

    def check_subjects(self, items: Sequence[SubjectInput | ItemError]) -> None:
        """Raise :class:`BulkRejected` listing every bad item; stores nothing either way."""
        self._checked_subjects(items, "check")

    def _checked_subjects(
        self, items: Sequence[SubjectInput | ItemError], actor: str
    ) -> list[Subject]:
        errors: list[ItemError] = []
        subjects: list[tuple[int, Subject]] = []
        for index, item in enumerate(items):
            if isinstance(item, ItemError):
                errors.append(item)
                continue
            if item.commune_code is not None and item.commune_code not in self.communes:
                errors.append(
                    ItemError(
                        index,
                        "commune_code",
                        "unknown_commune",
                        f"{item.commune_code} is not a commune of this province",
                    )
                )
                continue
            try:
                subject = Subject(
                    id=subject_id(self.id_key, item.kind, item.ref, item.details),
                    kind=item.kind,
                    name=item.name,
                    commune_code=item.commune_code,
                    village_code=item.village_code,
                    ref=item.ref,
                    details=item.details,
                    actor=actor,
                )
            except RuleViolation as exc:
                # Items are flat: "details.citizen_id" is the item's "citizen_id".
                field = (exc.field or "").removeprefix("details.")
                errors.append(ItemError(index, field, exc.rule, exc.message))
                continue
            subjects.append((index, subject))
        errors += self._duplicates(subjects)
        errors += self._unknown_villages(subjects)
        if errors:
            raise BulkRejected(sorted(errors, key=lambda e: e.index), "subjects")
        return [s for _, s in subjects]

    def _unknown_villages(self, subjects: list[tuple[int, Subject]]) -> list[ItemError]:
        """A village code must name a village (thôn, tổ dân phố) created in that commune."""
        wanted: dict[int, UUID] = {}
        errors: list[ItemError] = []
        for index, s in subjects:
            if s.village_code is None:
                continue
            if s.commune_code is None:
                errors.append(
                    ItemError(
                        index,
                        "commune_code",
                        "unknown_village",
                        "a village code needs its commune_code",
                    )
                )
                continue
            wanted[index] = village_id(s.commune_code, s.village_code.strip().upper())
        known = self.app.existing(wanted.values())
        errors += [
            ItemError(
                index,
                "village_code",
                "unknown_village",
                "no such village in this commune (create it under /units/villages)",
            )
            for index, vid in wanted.items()
            if vid not in known
        ]
        return errors

    def _duplicates(self, subjects: list[tuple[int, Subject]]) -> list[ItemError]:
        errors: list[ItemError] = []
        first: dict[UUID, int] = {}
        for index, s in subjects:
            if s.id in first:
                errors.append(
                    ItemError(
                        index, "ref", "duplicate_subject", f"same subject as item {first[s.id]}"
                    )
                )
            first.setdefault(s.id, index)
        stored = self.app.existing(first)
        errors += [
            ItemError(first[i], "ref", "duplicate_subject", "already registered in this province")
            for i in stored
        ]
        return errors

    def correct_subject(
        self,
        subject_id: UUID,
        *,
        name: str | None,
        details: Details | None,
        reason: str,
        actor: str,
    ) -> Subject:
        subject = self.get(Subject, subject_id, "subject")
        subject.correct(name=name, details=details, reason=reason, actor=actor)
        self.app.save(subject)
        return subject

    # --- criteria and authority ----------------------------------------------------------

    def publish_criteria_set(
        self,
        *,
        title: Title,
        tier: Tier,
        edition: str,
        scheme: Scheme,
        name: str,
        legal_basis: str,
        effective_from: date,
        criteria: tuple[Criterion, ...],
        pass_mark: Decimal | None,
        actor: str,
    ) -> CriteriaSet:
        criteria_set = CriteriaSet(
            title=title,
            tier=tier,
            edition=edition,
            scheme=scheme,
            name=name,
            legal_basis=legal_basis,
            effective_from=effective_from,
            criteria=criteria,
            pass_mark=pass_mark,
            actor=actor,
        )
        expected = scheme_for(title, tier, effective_from.year)
        if criteria_set.scheme is not expected:
            raise RuleViolation(
                "levels_scheme",
                f"{title} at {tier} tier uses {expected} from {effective_from}",
                field="scheme",
            )
        try:
            self.app.save(criteria_set)
        except IntegrityError as exc:
            raise Conflict(
                "criteria_set_exists", f"edition {edition!r} is already published"
            ) from exc
        return criteria_set

    def authority_rows(self) -> tuple[AuthorityRow, ...]:
        matrix = self.app.get_many([AuthorityMatrix.create_id()]).get(AuthorityMatrix.create_id())
        return matrix.rows if isinstance(matrix, AuthorityMatrix) else default_matrix()

    def set_authority_rows(self, rows: tuple[AuthorityRow, ...], actor: str) -> AuthorityMatrix:
        found = self.app.get_many([AuthorityMatrix.create_id()]).get(AuthorityMatrix.create_id())
        if isinstance(found, AuthorityMatrix):
            found.replace(rows=rows, actor=actor)
            matrix = found
        else:
            matrix = AuthorityMatrix(rows=rows, actor=actor)
        self.app.save(matrix)
        return matrix

    # --- nominations ---------------------------------------------------------------------

    def create_nomination(
        self,
        *,
        subject_id: UUID,
        title: Title,
        tier: Tier,
        level: int | None,
        year: int,
        criteria_set_id: UUID,
        actor: str,
        today: date,
    ) -> Nomination:
        subject = self.get(Subject, subject_id, "subject")
        criteria = self.get(CriteriaSet, criteria_set_id, "criteria set")
        if (criteria.title, criteria.tier) != (title, tier):
            raise RuleViolation(
                "approval_pass_rule",
                f"the criteria set is for {criteria.title} at {criteria.tier} tier",
                field="criteria_set_id",
            )
        if not 2015 <= year <= today.year:
            raise RuleViolation(
                "assessment_period",
                f"assessment year {year} is not 2015–{today.year}",
                field="year",
            )
        if subject.tier is not None and subject.tier is not tier:
            rule = "community_tier" if subject.kind is SubjectKind.COMMUNITY else "unit_tier"
            raise RuleViolation(
                rule, f"this subject is recognised at {subject.tier} tier", field="tier"
            )
        if criteria.scheme is not scheme_for(title, tier, year):
            raise RuleViolation(
                "levels_scheme",
                f"{title} at {tier} tier is assessed by {scheme_for(title, tier, year)} for "
                f"{year}; the criteria set uses {criteria.scheme}",
                field="criteria_set_id",
            )
        if level == 2:
            self._check_upgrade_request(subject_id, title, tier, year)
        nomination = Nomination(
            subject_id=subject_id,
            subject_kind=subject.kind,
            title=title,
            tier=tier,
            level=level,
            year=year,
            criteria_set_id=criteria_set_id,
            actor=actor,
        )
        self.app.save(nomination)
        return nomination

    def _check_upgrade_request(self, subject_id: UUID, title: Title, tier: Tier, year: int) -> None:
        """A level-2 request needs a level-1 decision at least 12 months before the dossier
        deadline of ``year`` (rule ``level2_after_12_months``): refused at once, not later."""
        earlier = [recognition_id(subject_id, title, y) for y in range(year - 4, year)]
        loaded = self.app.get_many(earlier)
        prior = [
            PriorRecognition(r.year, r.tier, r.level, r.signed_on, r.revoked_by is not None)
            for r in loaded.values()
            if isinstance(r, Recognition)
        ]
        row = self.deadline_row(title, tier, 2, year)
        problems = upgrade_problems(tier, prior, requested_on(row, year, date(year + 1, 1, 1)))
        if problems:
            (rule, message), *_ = problems
            raise RuleViolation(rule, message, field="level")

    def deadline_row(
        self, title: Title, tier: Tier, level: int | None, year: int
    ) -> AuthorityRow | None:
        """The matrix row whose deadlines apply to a dossier for ``year`` (filed in year + 1)."""
        return row_for(self.authority_rows(), title, tier, level, date(year + 1, 1, 1))

    def act_on_nomination(
        self,
        nomination_id: UUID,
        action: str,
        *,
        actor: str,
        scores: tuple[IndicatorScore, ...] = (),
        evidence: tuple[Evidence, ...] = (),
        reasons: tuple[str, ...] = (),
        filed_on: date | None = None,
    ) -> Nomination:
        n = self.get(Nomination, nomination_id, "nomination")
        criteria = self.get(CriteriaSet, n.criteria_set_id, "criteria set")
        match action:
            case "self_assess":
                n.self_assess(scores, criteria, actor)
            case "review":
                n.review(scores, criteria, actor)
            case "attach_evidence":
                n.attach_evidence(evidence, actor)
            case "submit":
                n.submit(actor, filed_on)
            case "resubmit":
                n.resubmit(actor)
            case "return":
                n.return_for_supplement(reasons, actor)
            case "approve":
                n.approve(criteria, actor)
            case "reject":
                n.reject(reasons, actor)
            case "withdraw":
                n.withdraw(reasons[0] if reasons else "", actor)
            case _:
                raise DomainError("unknown_action", f"no action {action!r}")
        try:
            self.app.save(n)
        except IntegrityError as exc:
            raise Conflict("concurrent_update", "the nomination changed meanwhile; retry") from exc
        return n

    # --- decisions -----------------------------------------------------------------------

    def record_decision(
        self,
        draft: DecisionDraft,
        *,
        signer: Signer,
        actor: str,
        today: date,
        validity_years: int = 1,
    ) -> RecognitionDecision:
        row = row_for(self.authority_rows(), draft.title, draft.tier, draft.level, draft.signed_on)
        check_decision_header(draft, row, today)
        assert row is not None
        decision_key = RecognitionDecision.create_id(draft.issuer, draft.number, draft.signed_on)
        if self.app.existing([decision_key]):
            raise Conflict(
                "decision_exists",
                f"decision {draft.number} of this office is "
                f"already recorded for {draft.signed_on.year}",
            )
        failures = check_recipients(draft, row, self._facts(draft))
        if failures:
            raise DecisionRejected(failures)
        book, warnings = enter_number(
            self.app,
            authority=draft.issuer.office,
            unit_code=draft.issuer.unit_code,
            number=draft.number,
            signed_on=draft.signed_on,
            act="recognition_decision",
            actor=actor,
        )
        decision = RecognitionDecision(
            number=draft.number,
            signed_on=draft.signed_on,
            issuer=draft.issuer,
            signer=signer,
            title=draft.title,
            tier=draft.tier,
            level=draft.level,
            year=draft.year,
            recipients=tuple(draft.recipients),
            actor=actor,
            warnings=warnings,
        )
        until = valid_until(draft.title, draft.tier, draft.year, draft.signed_on, validity_years)
        upgrade = upgrade_from(draft.level, draft.signed_on)
        recognitions = [
            Recognition(
                subject_id=r.subject_id,
                title=draft.title,
                tier=draft.tier,
                level=draft.level,
                year=draft.year,
                decision_id=decision.id,
                decision_number=draft.number,
                signed_on=draft.signed_on,
                nomination_id=r.nomination_id,
                valid_until=until,
                upgrade_from=upgrade,
                actor=actor,
            )
            for r in draft.recipients
        ]
        try:
            self.app.save(decision, book, *recognitions)
        except IntegrityError as exc:
            raise self._race(draft, decision.id) from exc
        return decision

    def _facts(self, draft: DecisionDraft) -> list[RecipientFacts]:
        subject_ids = [r.subject_id for r in draft.recipients]
        nomination_ids = [r.nomination_id for r in draft.recipients if r.nomination_id]
        rid_of = {s: recognition_id(s, draft.title, draft.year) for s in subject_ids}
        earlier = {
            recognition_id(s, draft.title, y): s
            for s in subject_ids
            for y in range(draft.year - 4, draft.year)
            if draft.level == 2
        }
        loaded = self.app.get_many([*subject_ids, *nomination_ids, *earlier])
        held = self.app.existing(rid_of.values())
        prior: dict[UUID, list[PriorRecognition]] = {}
        for rid, owner in earlier.items():
            rec = loaded.get(rid)
            if isinstance(rec, Recognition):
                prior.setdefault(owner, []).append(
                    PriorRecognition(
                        rec.year, rec.tier, rec.level, rec.signed_on, rec.revoked_by is not None
                    )
                )
        facts = []
        for r in draft.recipients:
            subject = loaded.get(r.subject_id)
            nominated = loaded.get(r.nomination_id) if r.nomination_id else None
            facts.append(
                RecipientFacts(
                    subject_kind=subject.kind if isinstance(subject, Subject) else None,
                    subject_tier=subject.tier if isinstance(subject, Subject) else None,
                    nomination=_nomination_facts(nominated),
                    already_recognised=rid_of[r.subject_id] in held,
                    prior=tuple(prior.get(r.subject_id, ())),
                )
            )
        return facts

    def _race(self, draft: DecisionDraft, decision_key: UUID) -> DomainError:
        """Another decision committed first: name what it took."""
        if self.app.existing([decision_key]):
            return Conflict("decision_exists", f"decision {draft.number} was recorded meanwhile")
        taken = self.app.existing(
            [recognition_id(r.subject_id, draft.title, draft.year) for r in draft.recipients]
        )
        failures = [
            RecipientFailure(
                i,
                r.subject_id,
                "one_title_per_year",
                f"recognised for {draft.year} by another decision meanwhile",
            )
            for i, r in enumerate(draft.recipients)
            if recognition_id(r.subject_id, draft.title, draft.year) in taken
        ]
        error = DecisionRejected(failures)
        error.status_hint = 409
        return error

    def revoke(
        self,
        *,
        number: str,
        signed_on: date,
        issuer: Issuer,
        signer: Signer,
        reason: RevocationReason,
        explanation: str,
        recognition_ids: Sequence[UUID],
        actor: str,
    ) -> RevocationDecision:
        check_signed_number(number, signed_on)
        if not recognition_ids:
            raise RuleViolation(
                "revocation_reason", "name at least one recognition", field="recognition_ids"
            )
        loaded = self.app.get_many(recognition_ids)
        book, warnings = enter_number(
            self.app,
            authority=issuer.office,
            unit_code=issuer.unit_code,
            number=number,
            signed_on=signed_on,
            act="revocation",
            actor=actor,
        )
        revocation = RevocationDecision(
            number=number,
            signed_on=signed_on,
            issuer=issuer,
            signer=signer,
            reason=reason,
            explanation=explanation,
            recognition_ids=tuple(recognition_ids),
            actor=actor,
            warnings=warnings,
        )
        recognitions, errors = take_back(
            loaded,
            recognition_ids,
            Recognition,
            act=lambda rec: rec.revoke(
                revocation_id=revocation.id,
                number=number,
                signed_on=signed_on,
                reason=reason,
                actor=actor,
            ),
        )
        if errors:
            raise BulkRejected(errors, "recognitions to revoke", list_field="recognition_ids")
        try:
            self.app.save(revocation, book, *recognitions)
        except IntegrityError as exc:
            raise Conflict(
                "revocation_exists",
                f"decision {number} is already recorded, or a recognition changed meanwhile",
            ) from exc
        return revocation

    def correct_decision(
        self,
        decision_id: UUID,
        *,
        number: str | None,
        signer: Signer | None,
        reason: str,
        actor: str,
    ) -> RecognitionDecision:
        if number is not None:
            check_document_number(number)
        decision = self.get(RecognitionDecision, decision_id, "decision")
        decision.correct(number=number, signer=signer, reason=reason, actor=actor)
        self.app.save(decision)
        return decision


def _nomination_facts(n: Aggregate | None) -> NominationFacts | None:
    if not isinstance(n, Nomination):
        return None
    return NominationFacts(n.status, n.subject_id, n.title, n.tier, n.level, n.year)
