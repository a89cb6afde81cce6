"""Số, ký hiệu: the number every signed act carries (Decree 30/2020/NĐ-CP, Appendix I).

One shape for every act the service records — recognition and revocation decisions, award
decisions and annulments, proposals (tờ trình) and plans: ``<số>/<ký hiệu>``, where the
ký hiệu is the act's type and the issuer's abbreviation, ``123/QĐ-UBND``, ``12/TTr-UBND``,
``45/QĐ-SGDĐT``; legal-normative acts put the year between them, ``07/2025/QĐ-UBND``.
"""

from __future__ import annotations

import re

from kh_saas.domain.errors import RuleViolation

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
