"""Subjects (đối tượng): register one or many, read, correct."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from kh_saas.api.auth import current_principal, current_tenant, roles
from kh_saas.api.body_errors import body_errors
from kh_saas.api.intake import admit_json_body, admitted_json
from kh_saas.api.listings import SubjectListing
from kh_saas.api.problems import problem_responses
from kh_saas.api.reading import MinPosition, pool_of, read_position, table
from kh_saas.api.tenant_common import (
    BULK_BODY_BYTES,
    IdempotencyKey,
    actor,
    commands,
    create_once,
    in_thread,
)
from kh_saas.api.trail import SubjectHistory
from kh_saas.domain.subjects import (
    CitizenDetails,
    ClanDetails,
    CommunityDetails,
    Details,
    HouseholdDetails,
    Subject,
    UnitDetails,
    mask_citizen_id,
    nfc,
)
from kh_saas.domain.vocabulary import CommunityKind, SubjectKind, UnitKind
from kh_saas.tenants.commands import BulkRejected, ItemError, SubjectInput
from kh_saas.tenants.roles import Role

WRITERS = (Role.TENANT_ADMIN, Role.OFFICER)
READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
#: Roles that need a citizen's full id (to match people); others see the last 4 digits.
SEES_CITIZEN_ID = {Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER}

Code5 = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{5}$", examples=["19483"])]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class SubjectIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One subject, flat (the same columns as a spreadsheet row).

    Which optional fields apply depends on ``kind``: household (head_name, address, members),
    clan (surname, head_name, households), community (community_kind, area_code), unit
    (unit_kind, managing_tier), citizen (citizen_id, birth_year, occupation, category).
    """

    kind: SubjectKind
    name: Annotated[
        str, msgspec.Meta(min_length=1, max_length=300, examples=["Hộ ông Lê Văn Hùng"])
    ]
    commune_code: Code5 | None = None
    village_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    ref: (
        Annotated[
            str,
            msgspec.Meta(
                min_length=1,
                max_length=64,
                description="The province's own reference (e.g. household book number); "
                "registering the same ref twice is refused.",
            ),
        ]
        | None
    ) = None
    head_name: Text | None = None
    address: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    members: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    surname: Text | None = None
    households: Annotated[int, msgspec.Meta(ge=1)] | None = None
    community_kind: CommunityKind | None = None
    area_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    unit_kind: UnitKind | None = None
    managing_tier: Literal["commune", "district", "province"] | None = None
    citizen_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{12}$")] | None = None
    birth_year: Annotated[int, msgspec.Meta(ge=1900, le=2100)] | None = None
    occupation: Text | None = None
    category: (
        Annotated[
            Literal["worker", "cadre"],
            msgspec.Meta(
                description="A citizen's place in the targets of Công dân học tập: `worker` "
                "(người lao động) or `cadre` (cán bộ, công chức, viên chức of a learning unit)"
            ),
        ]
        | None
    ) = None


class SubjectsIn(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[SubjectIn], msgspec.Meta(min_length=1, max_length=50_000)]


class SubjectOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: UUID
    kind: SubjectKind
    name: str
    commune_code: str | None = None
    village_code: str | None = None
    ref: str | None = None
    head_name: str | None = None
    address: str | None = None
    members: int | None = None
    surname: str | None = None
    households: int | None = None
    community_kind: CommunityKind | None = None
    area_code: str | None = None
    unit_kind: UnitKind | None = None
    managing_tier: str | None = None
    citizen_id: Annotated[
        str | None, msgspec.Meta(description="Masked (********1234) for auditors")
    ] = None
    birth_year: int | None = None
    occupation: str | None = None
    category: str | None = None
    version: int
    corrections: int = 0


class Registered(msgspec.Struct):
    count: int
    ids: list[UUID]


class CorrectionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Đính chính: the corrected values and why."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    name: Text | None = None
    details: SubjectIn | None = None


class _MissingDetail(ValueError):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def details_of(item: SubjectIn) -> Details:
    match item.kind:
        case SubjectKind.HOUSEHOLD:
            return HouseholdDetails(
                head_name=_opt(item.head_name), address=_opt(item.address), members=item.members
            )
        case SubjectKind.CLAN:
            return ClanDetails(
                surname=_opt(item.surname),
                head_name=_opt(item.head_name),
                households=item.households,
            )
        case SubjectKind.COMMUNITY:
            if item.community_kind is None or item.area_code is None:
                raise _MissingDetail(
                    "community_kind" if item.community_kind is None else "area_code"
                )
            return CommunityDetails(community_kind=item.community_kind, area_code=item.area_code)
        case SubjectKind.UNIT:
            if item.unit_kind is None or item.managing_tier is None:
                raise _MissingDetail("unit_kind" if item.unit_kind is None else "managing_tier")
            return UnitDetails(unit_kind=item.unit_kind, managing_tier=item.managing_tier)
        case SubjectKind.CITIZEN:
            return CitizenDetails(
                citizen_id=item.citizen_id,
                birth_year=item.birth_year,
                occupation=_opt(item.occupation),
                category=item.category,
            )
    raise _MissingDetail("kind")


def _opt(text: str | None) -> str | None:
    return None if text is None else nfc(text)


def to_input(index: int, item: SubjectIn) -> SubjectInput:
    return SubjectInput(
        kind=item.kind,
        name=nfc(item.name),
        commune_code=item.commune_code,
        village_code=item.village_code,
        ref=item.ref,
        details=details_of(item),
    )


def to_inputs(items: list[SubjectIn]) -> list[SubjectInput | ItemError]:
    """Flat API items → domain inputs; a missing kind-specific field becomes an item error."""
    inputs: list[SubjectInput | ItemError] = []
    for index, item in enumerate(items):
        try:
            inputs.append(to_input(index, item))
        except _MissingDetail as exc:
            inputs.append(
                ItemError(index, exc.field, "missing_detail", f"a {item.kind} needs {exc.field}")
            )
    return inputs


def subject_out(s: Subject, role: Role) -> SubjectOut:
    details = msgspec.structs.asdict(s.details)
    if "citizen_id" in details and role not in SEES_CITIZEN_ID:
        details["citizen_id"] = mask_citizen_id(details["citizen_id"])
    if "managing_tier" in details:
        details["managing_tier"] = str(details["managing_tier"])
    return SubjectOut(
        id=s.id,
        kind=s.kind,
        name=s.name,
        commune_code=s.commune_code,
        village_code=s.village_code,
        ref=s.ref,
        version=s.version,
        corrections=s.corrections,
        **details,
    )


async def admit_subject_items(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of the bulk route: when some items are malformed, list their faults
    together with the province's own checks of the others (unknown commune or village,
    duplicates), so one answer names every bad item; stores nothing."""
    await admit_json_body(request)
    body = admitted_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return  # not even the shape: the route's own validation answers
    try:
        msgspec.convert(body, SubjectsIn, strict=False)
    except msgspec.ValidationError:
        pass
    else:
        return
    inputs: list[SubjectInput | ItemError] = []
    for index, raw in enumerate(body["items"]):
        faults = body_errors(raw, SubjectIn)
        if faults:
            inputs += [ItemError(index, f, "validation_failed", m) for f, m in faults]
        else:
            inputs += to_inputs([msgspec.convert(raw, SubjectIn, strict=False)])
    if not any(isinstance(i, ItemError) for i in inputs):
        return  # the fault is not in an item (e.g. too many items): validation answers
    cmd = commands(request)
    await in_thread(lambda: cmd.check_subjects(inputs))


class SubjectController(SubjectListing, SubjectHistory, Controller):
    path = "/v1/t/{slug:str}/subjects"
    tags = ["subjects"]  # noqa: RUF012

    @post(
        "/",
        opt=roles(*WRITERS),
        summary="Register a subject (household, clan, community, unit or citizen)",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        status_code=201,
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[SubjectIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[SubjectOut]:
        cmd, who, role = commands(request), actor(request), current_principal(request).role
        inputs = to_inputs([data])

        def run() -> SubjectOut:
            try:
                return subject_out(cmd.register_subjects(inputs, who)[0], role)
            except BulkRejected as exc:  # one subject, not a list: name its own fields
                raise exc.single() from None

        return await create_once(
            request, idempotency_key, SubjectOut, run, lambda out: f"/v1/t/{slug}/subjects/{out.id}"
        )

    @post(
        "/bulk",
        opt=roles(*WRITERS),
        summary="Register up to 50,000 subjects at once (all or nothing)",
        description="A bad item rejects the whole batch; `errors` lists every bad item.",
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
        status_code=201,
        request_max_body_size=BULK_BODY_BYTES,
        before_request=admit_subject_items,
    )
    async def register_many(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[SubjectsIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[Registered]:
        cmd, who = commands(request), actor(request)
        inputs = to_inputs(data.items)

        def run() -> Registered:
            ids = [s.id for s in cmd.register_subjects(inputs, who)]
            return Registered(count=len(ids), ids=ids)

        return await create_once(
            request, idempotency_key, Registered, run, lambda _: f"/v1/t/{slug}/subjects"
        )

    @get(
        "/{subject_id:uuid}",
        opt=roles(*READERS),
        summary="One subject",
        responses=problem_responses(401, 403, 404),
    )
    async def read(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        subject_id: FromPath[UUID],
        min_position: MinPosition = None,
    ) -> Response[SubjectOut]:
        """From the registers projection (asyncpg); a subject registered a moment ago that it
        has not applied yet is read from the event store instead, so a create's Location
        always answers."""
        role = current_principal(request).role
        position = await read_position(request, "registers", min_position)
        row = await pool_of(request).fetchrow(
            f"SELECT kind, name, commune_code, village_code, ref, details, corrections"
            f" FROM {table(current_tenant(request), 'subjects')}"
            " WHERE id = $1 AND pos_to IS NULL",
            subject_id,
        )
        if row is None:
            cmd = commands(request)
            subject = await in_thread(lambda: cmd.get(Subject, subject_id, "subject"))
            return Response(subject_out(subject, role), headers={"KH-Position": str(position)})
        details = msgspec.json.decode(row["details"])
        if "citizen_id" in details and role not in SEES_CITIZEN_ID:
            details["citizen_id"] = mask_citizen_id(details["citizen_id"])
        out = SubjectOut(
            id=subject_id,
            kind=SubjectKind(row["kind"]),
            name=row["name"],
            commune_code=row["commune_code"],
            village_code=row["village_code"],
            ref=row["ref"],
            version=1 + row["corrections"],  # Registered, then one event per correction
            corrections=row["corrections"],
            **details,
        )
        return Response(out, headers={"KH-Position": str(position)})

    @post(
        "/{subject_id:uuid}/corrections",
        opt=roles(*WRITERS),
        summary="Correct a subject's name or details (đính chính); history keeps both",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        status_code=200,
    )
    async def correct(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        subject_id: FromPath[UUID],
        data: JSONBody[CorrectionIn],
    ) -> SubjectOut:
        cmd, who, role = commands(request), actor(request), current_principal(request).role
        details = None
        if data.details is not None:
            (converted,) = to_inputs([data.details])
            if isinstance(converted, ItemError):
                bad = ItemError(0, f"details.{converted.field}", converted.code, converted.message)
                raise BulkRejected([bad], "corrections", list_field=None)
            details = converted.details
        subject = await in_thread(
            lambda: cmd.correct_subject(
                subject_id, name=_opt(data.name), details=details, reason=data.reason, actor=who
            )
        )
        return subject_out(subject, role)
