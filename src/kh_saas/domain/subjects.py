"""Subjects (đối tượng): households, clans, communities, units and citizens.

A subject registered with the tenant's own reference (``ref``, e.g. a household-book number)
or a citizen id gets a deterministic id, so importing the same spreadsheet twice cannot
create duplicates: the second save fails atomically at the event store.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal
from uuid import UUID, uuid4

import msgspec
from eventsourcing.domain import Aggregate, event

from kh_saas.domain.errors import RuleViolation
from kh_saas.domain.ids import IdKey, keyed_id
from kh_saas.domain.vocabulary import CommunityKind, SubjectKind, Tier, UnitKind

_CCCD = re.compile(r"^[0-9]{12}$")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def valid_citizen_id(cccd: str) -> bool:
    """12 digits; the first three are a birth-registration province code 001–096."""
    return _CCCD.fullmatch(cccd) is not None and 1 <= int(cccd[:3]) <= 96


def mask_citizen_id(cccd: str | None) -> str | None:
    """What roles without a need to know see: the last four digits only."""
    return None if cccd is None else "*" * 8 + cccd[-4:]


class HouseholdDetails(msgspec.Struct, frozen=True, tag="household", forbid_unknown_fields=True):
    head_name: str | None = None  # chủ hộ
    address: str | None = None
    members: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None


class ClanDetails(msgspec.Struct, frozen=True, tag="clan", forbid_unknown_fields=True):
    surname: str | None = None  # họ
    head_name: str | None = None  # trưởng họ
    households: Annotated[int, msgspec.Meta(ge=1)] | None = None


class CommunityDetails(msgspec.Struct, frozen=True, tag="community", forbid_unknown_fields=True):
    community_kind: CommunityKind
    #: The administrative unit (or village area) the community is; its code.
    area_code: str


class UnitDetails(msgspec.Struct, frozen=True, tag="unit", forbid_unknown_fields=True):
    unit_kind: UnitKind
    #: Tier that manages the unit: commune (commune-managed), district (historical), province.
    managing_tier: Literal["commune", "district", "province"]


class CitizenDetails(msgspec.Struct, frozen=True, tag="citizen", forbid_unknown_fields=True):
    citizen_id: str | None = None  # số CCCD (12 chữ số), personal data
    birth_year: Annotated[int, msgspec.Meta(ge=1900, le=2100)] | None = None
    occupation: str | None = None
    #: For the targets of Công dân học tập: a worker (người lao động, in a learning household,
    #: clan or community) or a cadre (cán bộ, công chức, viên chức in a learning unit).
    category: Literal["worker", "cadre"] | None = None


Details = HouseholdDetails | ClanDetails | CommunityDetails | UnitDetails | CitizenDetails

_DETAILS: dict[SubjectKind, type[Details]] = {
    SubjectKind.HOUSEHOLD: HouseholdDetails,
    SubjectKind.CLAN: ClanDetails,
    SubjectKind.COMMUNITY: CommunityDetails,
    SubjectKind.UNIT: UnitDetails,
    SubjectKind.CITIZEN: CitizenDetails,
}


def subject_id(key: IdKey, kind: SubjectKind, ref: str | None, details: Details) -> UUID:
    """Deterministic when the subject has a natural key (CCCD, else the province's ``ref``),
    keyed with the province's secret so the id does not reveal it; random otherwise."""
    if isinstance(details, CitizenDetails) and details.citizen_id:
        return keyed_id(key, "citizen", details.citizen_id)
    if ref:
        return keyed_id(key, "subject", kind, ref)
    return uuid4()


def check_subject(kind: SubjectKind, name: str, details: Details) -> None:
    if not name.strip():
        raise RuleViolation("title_subject_kind", "a subject needs a name", field="name")
    if not isinstance(details, _DETAILS[kind]):
        raise RuleViolation(
            "title_subject_kind", f"details do not describe a {kind}", field="details"
        )
    cccd = details.citizen_id if isinstance(details, CitizenDetails) else None
    if cccd is not None and not valid_citizen_id(cccd):
        raise RuleViolation(
            "citizen_id",
            "a citizen id (CCCD) has 12 digits starting with a province code 001–096",
            field="details.citizen_id",
        )


class Subject(Aggregate):
    """Đối tượng: anything a learning title can be given to."""

    # No create_id: the id is keyed with the province's secret, so commands pass
    # ``id=subject_id(key, ...)`` (the key must never be an event attribute).

    @event("Registered")
    def __init__(
        self,
        *,
        id: UUID,  # the aggregate id (not an event attribute): see subject_id
        kind: SubjectKind,
        name: str,
        commune_code: str | None,
        village_code: str | None,
        ref: str | None,
        details: Details,
        actor: str,
    ) -> None:
        check_subject(kind, name, details)
        self.kind = kind
        self.name = name
        self.commune_code = commune_code
        self.village_code = village_code
        self.ref = ref
        self.details = details
        self.corrections = 0

    @property
    def tier(self) -> Tier | None:
        """The tier at which a community or unit is recognised (others: none of their own)."""
        if isinstance(self.details, CommunityDetails):
            return Tier(self.details.community_kind.value)
        if isinstance(self.details, UnitDetails):
            return Tier(self.details.managing_tier)
        return None

    @event("Corrected")
    def correct(
        self, *, name: str | None, details: Details | None, reason: str, actor: str
    ) -> None:
        """Đính chính: fix a misspelt name or a wrong detail; the old value stays in history."""
        check_subject(self.kind, name or self.name, details or self.details)
        if name is not None:
            self.name = name
        if details is not None:
            self.details = details
        self.corrections += 1
