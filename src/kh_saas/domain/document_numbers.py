"""Số, ký hiệu: the number every signed act carries (Decree 30/2020/NĐ-CP, Appendix I).

One shape for every act the service records — recognition and revocation decisions, award
decisions and annulments, proposals (tờ trình) and plans: ``<số>/<ký hiệu>``, where the
ký hiệu is the act's type and the issuer's abbreviation, ``123/QĐ-UBND``, ``12/TTr-UBND``,
``45/QĐ-SGDĐT``; legal-normative acts put the year between them, ``07/2025/QĐ-UBND``.
"""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.errors import RuleViolation
from kh_saas.domain.ids import stable_id

#: Anchored for msgspec (which searches) and for JSON Schema readers alike.
#: The act's type starts upper-case and may go on lower-case (``TTr``, tờ trình).
DOCUMENT_NUMBER_PATTERN = (
    r"^[0-9]{1,6}(?:/(?:19|20)[0-9]{2})?/[A-ZĐ][A-ZĐa-zđ]{0,5}(?:-[A-ZĐ0-9&]{1,12}){1,3}$"
)
_NUMBER = re.compile(DOCUMENT_NUMBER_PATTERN)

EXAMPLE = "123/QĐ-UBND"


def valid_document_number(number: str) -> bool:
    """``123/QĐ-UBND``, ``45/QĐ-SGDĐT``, ``7/2025/QĐ-UBND``; not ``123//QĐ-UBND`` or ``abc``."""
    return _NUMBER.fullmatch(number) is not None


def check_document_number(number: str, field: str = "number") -> None:
    """Refuse a number that is not ``số/ký hiệu`` (rule ``decision_number``)."""
    if not valid_document_number(number):
        raise RuleViolation(
            "decision_number",
            f"{number!r} is not a document number like {EXAMPLE} (số/ký hiệu)",
            field=field,
        )


_WITH_YEAR = re.compile(r"^([0-9]{1,6})/((?:19|20)[0-9]{2})/")
_SEQUENCE = re.compile(r"^([0-9]{1,6})/")


def number_year(number: str) -> int | None:
    """The year a legal-normative act carries between number and ký hiệu (``07/2025/QĐ-UBND``)."""
    found = _WITH_YEAR.match(number)
    return int(found.group(2)) if found else None


def sequence(number: str) -> int:
    """The act's running number within its issuer's year (``123`` of ``123/QĐ-UBND``)."""
    found = _SEQUENCE.match(number)
    return int(found.group(1)) if found else 0


def check_signed_number(number: str, signed_on: date, field: str = "number") -> None:
    """Shape, and a year in the number (legal-normative form) must be the signing year."""
    check_document_number(number, field)
    year = number_year(number)
    if year is not None and year != signed_on.year:
        raise RuleViolation(
            "decision_number",
            f"{number!r} carries the year {year} but was signed on {signed_on}",
            field=field,
        )


class NumberWarning(msgspec.Struct, frozen=True, kw_only=True):
    """Recorded, but worth a second look (the paper is what it is: nothing is refused)."""

    code: str
    rule: str
    field: str
    message: str


def _warning(code: str, message: str) -> NumberWarning:
    return NumberWarning(code=code, rule="decision_number", field="number", message=message)


class NumberBook(Aggregate):
    """Sổ đăng ký văn bản: the numbers one issuer gave its acts in one year (NĐ 30/2020
    Art. 15: one running sequence per issuer, restarting each 1 January). Keyed by the issuing
    authority, its unit code and era (codes were reused in 2025) and the year."""

    @staticmethod
    def create_id(authority: str, unit_code: str | None, era: str, year: int) -> UUID:
        return stable_id("number-book", authority, unit_code or "-", era, str(year))

    @event("Opened")
    def __init__(
        self, *, authority: str, unit_code: str | None, era: str, year: int, actor: str
    ) -> None:
        self.authority = authority
        self.unit_code = unit_code
        self.era = era
        self.year = year
        self.entries: tuple[tuple[str, date, str], ...] = ()  # (number, signed on, act)

    def warnings(self, number: str, signed_on: date) -> list[NumberWarning]:
        """A number running backwards within the year, one used twice, a year in the number
        of an individual act (only legal-normative acts carry it)."""
        found: list[NumberWarning] = []
        if number_year(number) is not None:
            found.append(
                _warning(
                    "number_has_year",
                    f"{number} carries a year: only legal-normative acts do (NĐ 30/2020); a "
                    "decision recognising or rewarding is an individual act",
                )
            )
        seq = sequence(number)
        for other, on, _ in self.entries:
            if sequence(other) == seq and other != number:
                found.append(
                    _warning("number_reused", f"number {seq} was already given to {other}")
                )
            elif (on < signed_on and sequence(other) > seq) or (
                on > signed_on and sequence(other) < seq
            ):
                found.append(
                    _warning(
                        "number_backwards",
                        f"{number} signed {signed_on} runs backwards against {other} signed "
                        f"{on}: one issuer's numbers increase through its year",
                    )
                )
                break
        return found

    @event("Entered")
    def enter(self, *, number: str, signed_on: date, act: str, actor: str) -> None:
        self.entries = (*self.entries, (number, signed_on, act))
