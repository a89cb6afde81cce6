"""Recognition decisions (quyết định công nhận), recognitions, revocations and corrections.

A decision recognises 1–50,000 subjects at once. Each recipient becomes a ``Recognition`` whose
id is derived from (subject, title, assessment year): two decisions racing to recognise the
same household cannot both commit, because the second insert of that id fails in the store.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.admin_units import era_on
from kh_saas.domain.authority import Office
from kh_saas.domain.document_numbers import NumberWarning
from kh_saas.domain.errors import Conflict
from kh_saas.domain.ids import stable_id
from kh_saas.domain.vocabulary import RevocationReason, Scheme, Tier, Title, scheme_for

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class Issuer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Cơ quan ban hành, as it was on the signing date (a snapshot, not a live link)."""

    office: Office
    name: Name  # e.g. "UBND xã Gio Linh"
    unit_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2,5}$")] | None = None


class Signer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Người ký."""

    name: Name
    position: Name  # chức vụ, e.g. "Chủ tịch" / "KT. Chủ tịch, Phó Chủ tịch"


class Recipient(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    subject_id: UUID
    nomination_id: UUID | None = None


def decision_id(kind: str, issuer: Issuer, number: str, signed_on: date) -> UUID:
    """Numbers restart each year per issuing office: (office, unit, era, year, number) is
    unique. The era keeps a reused code apart: 18859 was Phường Bắc Lý until 30 June 2025,
    then Phường Đồng Thuận, and both may sign a 12/QĐ-UBND in 2025."""
    return stable_id(
        kind,
        issuer.office,
        issuer.unit_code or "-",
        era_on(signed_on),
        str(signed_on.year),
        number,
    )


def recognition_id(subject_id: UUID, title: Title, year: int) -> UUID:
    return stable_id("recognition", str(subject_id), title, str(year))


def valid_until(title: Title, tier: Tier, year: int, signed_on: date, validity_years: int) -> date:
    """Levels: preserved 3 years after the year of recognition. Points: ``validity_years``
    after the assessment year (annual by default)."""
    if scheme_for(title, tier, year) is Scheme.LEVELS:
        return date(signed_on.year + 3, 12, 31)
    return date(year + validity_years, 12, 31)


def upgrade_from(level: int | None, signed_on: date) -> date | None:
    """Level 2 may be requested 12 months after the level-1 decision."""
    if level != 1:
        return None
    try:
        return signed_on.replace(year=signed_on.year + 1)
    except ValueError:  # 29 February
        return date(signed_on.year + 1, 3, 1)


class RecognitionDecision(Aggregate):
    """Quyết định công nhận danh hiệu học tập."""

    @staticmethod
    def create_id(issuer: Issuer, number: str, signed_on: date) -> UUID:
        return decision_id("recognition-decision", issuer, number, signed_on)

    @event("Recorded")
    def __init__(
        self,
        *,
        number: str,
        signed_on: date,
        issuer: Issuer,
        signer: Signer,
        title: Title,
        tier: Tier,
        level: int | None,
        year: int,
        recipients: tuple[Recipient, ...],
        actor: str,
        warnings: tuple[NumberWarning, ...] = (),
    ) -> None:
        self.number = number
        self.signed_on = signed_on
        self.issuer = issuer
        self.signer = signer
        self.title = title
        self.tier = tier
        self.level = level
        self.year = year
        self.recipients = recipients
        self.warnings = warnings
        self.corrections: tuple[str, ...] = ()

    @event("Corrected")
    def correct(
        self, *, number: str | None, signer: Signer | None, reason: str, actor: str
    ) -> None:
        """Đính chính a misprinted number or signer; the decision's id does not change."""
        if number is not None:
            self.number = number
        if signer is not None:
            self.signer = signer
        self.corrections = (*self.corrections, reason)


class Recognition(Aggregate):
    """Công nhận: one subject holding one title for one assessment year."""

    @staticmethod
    def create_id(subject_id: UUID, title: Title, year: int) -> UUID:
        return recognition_id(subject_id, title, year)

    @event("Granted")
    def __init__(
        self,
        *,
        subject_id: UUID,
        title: Title,
        tier: Tier,
        level: int | None,
        year: int,
        decision_id: UUID,
        decision_number: str,
        signed_on: date,
        nomination_id: UUID | None,
        valid_until: date,
        upgrade_from: date | None,
        actor: str,
    ) -> None:
        self.subject_id = subject_id
        self.title = title
        self.tier = tier
        self.level = level
        self.year = year
        self.decision_id = decision_id
        self.decision_number = decision_number
        self.signed_on = signed_on
        self.nomination_id = nomination_id
        self.valid_until = valid_until
        self.upgrade_from = upgrade_from
        self.revoked_by: UUID | None = None
        self.revoked_reason: RevocationReason | None = None

    def in_force(self, on: date) -> bool:
        return self.revoked_by is None and self.signed_on <= on <= self.valid_until

    def revoke(
        self, *, revocation_id: UUID, number: str, signed_on: date, reason: RevocationReason,
        actor: str,
    ) -> None:  # fmt: skip
        if self.revoked_by is not None:
            raise Conflict("already_revoked", f"already revoked by {self.revoked_by}")
        self._revoked(
            revocation_id=revocation_id,
            number=number,
            signed_on=signed_on,
            reason=reason,
            actor=actor,
        )

    @event("Revoked")
    def _revoked(
        self, *, revocation_id: UUID, number: str, signed_on: date, reason: RevocationReason,
        actor: str,
    ) -> None:  # fmt: skip
        self.revoked_by = revocation_id
        self.revoked_reason = reason


class RevocationDecision(Aggregate):
    """Quyết định hủy bỏ: takes recognitions back; nothing is deleted."""

    @staticmethod
    def create_id(issuer: Issuer, number: str, signed_on: date) -> UUID:
        return decision_id("revocation-decision", issuer, number, signed_on)

    @event("Recorded")
    def __init__(
        self,
        *,
        number: str,
        signed_on: date,
        issuer: Issuer,
        signer: Signer,
        reason: RevocationReason,
        explanation: str,
        recognition_ids: tuple[UUID, ...],
        actor: str,
        warnings: tuple[NumberWarning, ...] = (),
    ) -> None:
        self.number = number
        self.signed_on = signed_on
        self.issuer = issuer
        self.signer = signer
        self.reason = reason
        self.explanation = explanation
        self.recognition_ids = recognition_ids
        self.warnings = warnings
