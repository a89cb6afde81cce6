"""Award commands of one province: proposals, decisions, annulments, recovery, suspensions,
merit records and the province's Giấy khen criteria."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from kh_saas.domain.award_rules import (
    DEFAULT_GIAY_KHEN,
    GiayKhenCriteria,
    GiayKhenCriterion,
    HistoryNeeds,
    LineFailure,
    RuleResult,
    SubjectHistory,
    check_award_header,
    check_award_lines,
    explain,
    history_needs,
)
from kh_saas.domain.award_vocabulary import AwardForm, Rating, SuspensionReason
from kh_saas.domain.awards import (
    Achievement,
    Award,
    AwardAnnulment,
    AwardDecision,
    AwardIssuer,
    AwardLine,
    AwardProposal,
    AwardRecipient,
    CouncilReview,
    MeritYear,
    Suspension,
    award_id,
    period_years,
)
from kh_saas.domain.bonus import base_salary, bonus
from kh_saas.domain.document_numbers import check_document_number, check_signed_number
from kh_saas.domain.errors import Conflict, DomainError, NotFound, RuleViolation
from kh_saas.domain.nominations import Evidence
from kh_saas.domain.recognitions import Signer
from kh_saas.domain.subjects import Subject
from kh_saas.domain.vocabulary import RevocationReason
from kh_saas.tenants.application import A, TenantApplication
from kh_saas.tenants.award_history import read_histories
from kh_saas.tenants.commands import BulkRejected, ItemError, take_back
from kh_saas.tenants.number_books import enter_number

FIRST_YEAR = 2015  # the earliest assessment year the registers know


class AwardDecisionRejected(DomainError):
    """At least one line fails a rule: nothing is recorded; every failing line is named."""

    def __init__(self, failures: list[LineFailure]) -> None:
        super().__init__(
            "award_decision_rejected",
            f"{len(failures)} recipient rule failure(s); the decision was not recorded",
            field="recipients",
        )
        self.failures = failures


@dataclass(frozen=True)
class DecisionInput:
    number: str
    signed_on: date
    issuer: AwardIssuer
    signer: Signer
    form: AwardForm
    achievement: Achievement
    lines: Sequence[AwardLine]
    proposal_id: UUID | None


class AwardCommands:
    def __init__(self, app: TenantApplication) -> None:
        self.app = app

    def get(self, cls: type[A], ident: UUID, what: str) -> A:
        return self.app.load(cls, ident, what)

    # --- configuration ------------------------------------------------------------------

    def criteria(self) -> tuple[GiayKhenCriterion, ...]:
        found = self.app.get_many([GiayKhenCriteria.create_id()]).get(GiayKhenCriteria.create_id())
        return found.criteria if isinstance(found, GiayKhenCriteria) else DEFAULT_GIAY_KHEN

    def set_criteria(self, criteria: tuple[GiayKhenCriterion, ...], actor: str) -> None:
        found = self.app.get_many([GiayKhenCriteria.create_id()]).get(GiayKhenCriteria.create_id())
        if isinstance(found, GiayKhenCriteria):
            found.replace(criteria=criteria, actor=actor)
            self.app.save(found)
        else:
            self.app.save(GiayKhenCriteria(criteria=criteria, actor=actor))

    # --- history and eligibility --------------------------------------------------------

    def histories(
        self, subject_ids: Sequence[UUID], achievement: Achievement, needs: HistoryNeeds
    ) -> list[SubjectHistory]:
        """What the rules need of each subject, in a few batched reads."""
        return read_histories(self.app, subject_ids, achievement, needs)

    def eligibility(
        self, subject_id: UUID, form: AwardForm, achievement: Achievement, on: date
    ) -> tuple[SubjectHistory, list[RuleResult]]:
        years = range(FIRST_YEAR, max(on.year, period_years(achievement.period)[-1]) + 1)
        (history,) = self.histories([subject_id], achievement, HistoryNeeds.everything(years))
        if history.kind is None:
            raise NotFound("subject", subject_id)
        return history, explain(history, form, achievement, on, self.criteria())

    # --- proposals ----------------------------------------------------------------------

    def file_proposal(
        self,
        *,
        number: str,
        proposer: AwardIssuer,
        form: AwardForm,
        achievement: Achievement,
        lines: Sequence[AwardLine],
        report: Evidence,
        actor: str,
    ) -> AwardProposal:
        check_document_number(number)
        self._lines_ok(lines, achievement)
        proposal = AwardProposal(
            number=number,
            proposer=proposer,
            form=form,
            achievement=achievement,
            lines=tuple(lines),
            report=report,
            parent_id=None,
            actor=actor,
        )
        self.app.save(proposal)
        return proposal

    def _lines_ok(self, lines: Sequence[AwardLine], achievement: Achievement) -> None:
        """Unknown or suspended subjects cannot be proposed (NĐ 152/2025 Art. 4)."""
        period_years(achievement.period)  # refuses a backwards period
        kinds_only = HistoryNeeds(title_years=range(0), merit_years=range(0))
        histories = self.histories([x.subject_id for x in lines], achievement, kinds_only)
        errors = []
        for index, h in enumerate(histories):
            if h.kind is None:
                errors.append(ItemError(index, "subject_id", "not_found", "no such subject"))
            elif h.suspended is not None:
                errors.append(
                    ItemError(
                        index,
                        "subject_id",
                        "suspended_subject",
                        f"proposals are suspended ({h.suspended})",
                    )
                )
        if errors:
            raise BulkRejected(errors, "proposal lines", list_field="lines")

    def act_on_proposal(
        self,
        proposal_id: UUID,
        action: str,
        *,
        actor: str,
        review: CouncilReview | None = None,
        reasons: tuple[str, ...] = (),
        forward_to: tuple[str, AwardIssuer, AwardForm] | None = None,
    ) -> AwardProposal:
        p = self.get(AwardProposal, proposal_id, "proposal")
        saved: list[Aggregate] = [p]
        match action:
            case "submit":
                p.submit(actor)
            case "review":
                assert review is not None
                p.record_review(review, actor)
            case "approve":
                p.approve(actor)
            case "return":
                p.return_for_supplement(reasons, actor)
            case "reject":
                p.reject(reasons, actor)
            case "forward":
                assert forward_to is not None
                number, proposer, form = forward_to
                check_document_number(number)
                saved.append(p.forward(number=number, proposer=proposer, form=form, actor=actor))
            case _:
                raise DomainError("unknown_action", f"no action {action!r}")
        try:
            self.app.save(*saved)
        except IntegrityError as exc:
            raise Conflict("concurrent_update", "the proposal changed meanwhile; retry") from exc
        return p

    # --- decisions ----------------------------------------------------------------------

    def record_decision(self, d: DecisionInput, *, actor: str, today: date) -> AwardDecision:
        check_signed_number(d.number, d.signed_on)
        check_award_header(d.form, d.issuer, d.signed_on, today)
        if not 1 <= len(d.lines) <= 10_000:
            raise RuleViolation("award_signer", "a decision has 1–10,000 recipients", "recipients")
        decision_key = AwardDecision.create_id(d.issuer, d.number, d.signed_on)
        if self.app.existing([decision_key]):
            raise Conflict("decision_exists", f"decision {d.number} is already recorded")
        if d.proposal_id is not None:
            proposal = self.get(AwardProposal, d.proposal_id, "proposal")
            if proposal.status.value != "approved" or proposal.form is not d.form:
                raise RuleViolation(
                    "council_review",
                    f"the proposal is not approved for {d.form}",
                    field="proposal_id",
                )
        criteria = self.criteria()
        histories = self.histories(
            [x.subject_id for x in d.lines],
            d.achievement,
            history_needs(d.form, d.achievement, criteria),
        )
        failures = check_award_lines(
            d.form,
            achievement=d.achievement,
            signed_on=d.signed_on,
            lines=d.lines,
            histories=histories,
            criteria=criteria,
            attested=d.proposal_id is not None,
        )
        if failures:
            raise AwardDecisionRejected(failures)
        recipients = tuple(
            AwardRecipient(
                subject_id=x.subject_id,
                recipient_kind=x.recipient_kind,
                citation=x.citation,
                bonus_vnd=bonus(d.form, x.recipient_kind, d.signed_on),
                award_id=award_id(x.subject_id, d.achievement),
            )
            for x in d.lines
        )
        book, warnings = enter_number(
            self.app,
            authority=d.issuer.signer,
            unit_code=d.issuer.unit_code,
            number=d.number,
            signed_on=d.signed_on,
            act="award_decision",
            actor=actor,
        )
        decision = AwardDecision(
            number=d.number,
            signed_on=d.signed_on,
            issuer=d.issuer,
            signer=d.signer,
            form=d.form,
            achievement=d.achievement,
            recipients=recipients,
            base_salary_vnd=base_salary(d.signed_on),
            total_bonus_vnd=sum(r.bonus_vnd for r in recipients),
            proposal_id=d.proposal_id,
            actor=actor,
            warnings=warnings,
        )
        awards = [
            Award(
                subject_id=r.subject_id,
                recipient_kind=r.recipient_kind,
                form=d.form,
                achievement=d.achievement,
                citation=r.citation,
                bonus_vnd=r.bonus_vnd,
                decision_id=decision.id,
                decision_number=d.number,
                signed_on=d.signed_on,
                actor=actor,
            )
            for r in recipients
        ]
        try:
            self.app.save(decision, book, *awards)
        except IntegrityError as exc:
            raise Conflict(
                "one_award_per_achievement",
                "a recipient was awarded for this achievement meanwhile; retry to see which",
            ) from exc
        return decision

    def correct_decision(
        self,
        decision_id: UUID,
        *,
        number: str | None,
        signer: Signer | None,
        reason: str,
        actor: str,
    ) -> AwardDecision:
        if number is not None:
            check_document_number(number)
        d = self.get(AwardDecision, decision_id, "award decision")
        d.correct(number=number, signer=signer, reason=reason, actor=actor)
        self.app.save(d)
        return d

    def annul(
        self,
        *,
        number: str,
        signed_on: date,
        issuer: AwardIssuer,
        signer: Signer,
        reason: RevocationReason,
        explanation: str,
        award_ids: Sequence[UUID],
        actor: str,
    ) -> AwardAnnulment:
        check_signed_number(number, signed_on)
        loaded = self.app.get_many(award_ids)
        book, warnings = enter_number(
            self.app,
            authority=issuer.signer,
            unit_code=issuer.unit_code,
            number=number,
            signed_on=signed_on,
            act="award_annulment",
            actor=actor,
        )
        annulment = AwardAnnulment(
            number=number,
            signed_on=signed_on,
            issuer=issuer,
            signer=signer,
            reason=reason,
            explanation=explanation,
            award_ids=tuple(award_ids),
            actor=actor,
            warnings=warnings,
        )
        awards, errors = take_back(
            loaded,
            award_ids,
            Award,
            act=lambda award: award.annul(
                annulment_id=annulment.id,
                number=number,
                signed_on=signed_on,
                reason=reason,
                actor=actor,
            ),
        )
        if errors:
            raise BulkRejected(errors, "awards to annul", list_field="award_ids")
        try:
            self.app.save(annulment, book, *awards)
        except IntegrityError as exc:
            raise Conflict("decision_exists", f"annulment {number} is already recorded") from exc
        return annulment

    def record_recovery(
        self, award_id_: UUID, *, certificate: bool, bonus_vnd: int, on: date, actor: str
    ) -> Award:
        award = self.get(Award, award_id_, "award")
        award.record_recovery(certificate=certificate, bonus_vnd=bonus_vnd, on=on, actor=actor)
        self.app.save(award)
        return award

    # --- suspensions and merits ---------------------------------------------------------

    def suspend(
        self, subject_id: UUID, reason: SuspensionReason, since: date, actor: str
    ) -> Suspension:
        self.get(Subject, subject_id, "subject")
        found = self.app.get_many([Suspension.create_id(subject_id)]).get(
            Suspension.create_id(subject_id)
        )
        s = (
            found
            if isinstance(found, Suspension)
            else Suspension(subject_id=subject_id, actor=actor)
        )
        s.suspend(reason, since, actor)
        self.app.save(s)
        return s

    def lift(self, subject_id: UUID, on: date, actor: str) -> Suspension:
        s = self.app.get_many([Suspension.create_id(subject_id)]).get(
            Suspension.create_id(subject_id)
        )
        if not isinstance(s, Suspension):
            raise Conflict("not_suspended", "the subject is not suspended")
        s.lift(on, actor)
        self.app.save(s)
        return s

    def record_merit(
        self,
        subject_id: UUID,
        year: int,
        rating: Rating | None,
        emulation_titles: tuple[str, ...],
        actor: str,
    ) -> MeritYear:
        self.get(Subject, subject_id, "subject")
        key = MeritYear.create_id(subject_id, year)
        found = self.app.get_many([key]).get(key)
        if isinstance(found, MeritYear):
            found.amend(rating=rating, emulation_titles=emulation_titles, actor=actor)
            merit = found
        else:
            merit = MeritYear(
                subject_id=subject_id,
                year=year,
                rating=rating,
                emulation_titles=emulation_titles,
                actor=actor,
            )
        self.app.save(merit)
        return merit
