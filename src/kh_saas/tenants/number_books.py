"""The issuers' number books: each signed act enters its number in its issuer's book for the
year, saved with the act, and the book says what looks wrong (never refuses)."""

from __future__ import annotations

from datetime import date

from kh_saas.domain.admin_units import era_on
from kh_saas.domain.document_numbers import NumberBook, NumberWarning
from kh_saas.tenants.application import TenantApplication


def enter_number(
    app: TenantApplication,
    *,
    authority: str,
    unit_code: str | None,
    number: str,
    signed_on: date,
    act: str,
    actor: str,
) -> tuple[NumberBook, tuple[NumberWarning, ...]]:
    """The issuer's book with this number entered (not saved) and the warnings it raised."""
    era = era_on(signed_on)
    key = NumberBook.create_id(authority, unit_code, era, signed_on.year)
    found = app.get_many([key]).get(key)
    book = (
        found
        if isinstance(found, NumberBook)
        else NumberBook(
            authority=authority, unit_code=unit_code, era=era, year=signed_on.year, actor=actor
        )
    )
    warnings = tuple(book.warnings(number, signed_on))
    book.enter(number=number, signed_on=signed_on, act=act, actor=actor)
    return book, warnings
