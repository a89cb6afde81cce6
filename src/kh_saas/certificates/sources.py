"""What certificates are printed from: a decision and its recipients in the registers.

Read from the registers projection (one indexed query per decision, whatever its size), not
by replaying thousands of aggregates. Recipients whose title was revoked, or whose award was
annulled, get no certificate: a reprint after a revocation must not hand one out again.
Villages (thôn, tổ dân phố) are named as they were on the signing date, from their
``AdminUnit`` aggregates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from kh_saas.certificates.wording import (
    Certificate,
    award_certificate,
    place_line,
    recognition_certificate,
)
from kh_saas.domain.admin_units import AdminUnit, village_id
from kh_saas.reference import unit_names


@dataclass(frozen=True)
class Printable:
    """A decision with the rows of the recipients who get a certificate."""

    decision: asyncpg.Record
    recipients: list[asyncpg.Record]
    #: Recipients left out (revoked titles, annulled awards).
    withheld: int


def verify_url(base: str, slug: str, record_id: UUID) -> str:
    """The public page that tells whether the certificate is genuine and in force."""
    return f"{base}/verify/{slug}/{record_id}"


async def recognition_decision(
    conn: asyncpg.Connection, decisions: str, recognitions: str, decision_id: UUID
) -> Printable | None:
    """A recognition decision (not a revocation) and its recognitions still in force."""
    decision = await conn.fetchrow(
        f"SELECT * FROM {decisions} WHERE id = $1 AND pos_to IS NULL AND kind = 'recognition'",
        decision_id,
    )
    if decision is None:
        return None
    rows = await conn.fetch(
        f"SELECT id, subject_name, subject_kind, commune_code, village_code, title, tier,"
        f" level, year, revoked FROM {recognitions}"
        " WHERE decision_id = $1 AND pos_to IS NULL ORDER BY seq",
        decision_id,
    )
    kept = [r for r in rows if not r["revoked"]]
    return Printable(decision, kept, len(rows) - len(kept))


async def award_decision(
    conn: asyncpg.Connection, decisions: str, awards: str, decision_id: UUID
) -> Printable | None:
    """An award decision (not an annulment) and its awards not annulled."""
    decision = await conn.fetchrow(
        f"SELECT * FROM {decisions} WHERE id = $1 AND pos_to IS NULL AND kind = 'award'",
        decision_id,
    )
    if decision is None:
        return None
    rows = await conn.fetch(
        f"SELECT id, subject_name, subject_kind, commune_code, village_code, recipient_kind,"
        f" form, period, citation, annulled FROM {awards}"
        " WHERE decision_id = $1 AND pos_to IS NULL ORDER BY seq",
        decision_id,
    )
    kept = [r for r in rows if not r["annulled"]]
    return Printable(decision, kept, len(rows) - len(kept))


def village_keys(rows: list[asyncpg.Record]) -> set[tuple[str, str]]:
    return {
        (r["commune_code"], r["village_code"])
        for r in rows
        if r["commune_code"] and r["village_code"]
    }


def village_names(
    get_many: Callable[[list[UUID]], dict[UUID, Any]], keys: set[tuple[str, str]], on: date
) -> dict[tuple[str, str], str]:
    """Names of the villages on ``on`` (blocking: loads aggregates from the event store)."""
    ids = {village_id(commune, code): (commune, code) for commune, code in keys}
    found = get_many(list(ids))
    names: dict[tuple[str, str], str] = {}
    for unit_id, key in ids.items():
        unit = found.get(unit_id)
        if isinstance(unit, AdminUnit):
            names[key] = unit.name_on(on) or unit.name
    return names


def recognition_pages(
    printable: Printable, villages: dict[tuple[str, str], str], *, base: str, slug: str
) -> Iterator[Certificate]:
    d = printable.decision
    communes = unit_names()
    for r in printable.recipients:
        commune = communes.get(r["commune_code"] or "")
        village = villages.get((r["commune_code"], r["village_code"]))
        yield recognition_certificate(
            title=r["title"],
            tier=r["tier"],
            level=r["level"],
            year=r["year"],
            subject_kind=r["subject_kind"],
            subject_name=r["subject_name"] or "",
            place=place_line(village, commune),
            number=d["number"],
            signed_on=d["signed_on"],
            office=d["issuer_office"],
            issuer_name=d["issuer_name"],
            signer_name=d["signer_name"],
            signer_position=d["signer_position"],
            verify_url=verify_url(base, slug, r["id"]),
            reference=str(r["id"]),
        )


def award_pages(
    printable: Printable, villages: dict[tuple[str, str], str], *, base: str, slug: str
) -> Iterator[Certificate]:
    d = printable.decision
    communes = unit_names()
    for r in printable.recipients:
        commune = communes.get(r["commune_code"] or "")
        village = villages.get((r["commune_code"], r["village_code"]))
        yield award_certificate(
            form=r["form"],
            recipient_kind=r["recipient_kind"],
            subject_name=r["subject_name"] or "",
            place=place_line(village, commune),
            citation=r["citation"],
            period=r["period"],
            number=d["number"],
            signed_on=d["signed_on"],
            issuer_signer=d["issuer_signer"],
            issuer_name=d["issuer_name"],
            signer_name=d["signer_name"],
            signer_position=d["signer_position"],
            verify_url=verify_url(base, slug, r["id"]),
            reference=str(r["id"]),
        )
