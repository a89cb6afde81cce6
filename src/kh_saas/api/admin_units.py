"""Administrative units (đơn vị hành chính): the province's units, villages, versioned changes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import problem_responses
from kh_saas.api.tenant_common import (
    BULK_BODY_BYTES,
    IdempotencyKey,
    actor,
    create_once,
    in_thread,
    service_of,
)
from kh_saas.domain.admin_units import AdminUnit, Era, NameVersion, Successor, UnitType
from kh_saas.domain.vocabulary import Tier
from kh_saas.reference import communes_of
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident
from kh_saas.tenants.roles import Role
from kh_saas.tenants.unit_commands import Change, UnitCommands, VillageInput

ADMINS = (Role.TENANT_ADMIN,)
WRITERS = (Role.TENANT_ADMIN, Role.OFFICER)
READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
UNIT_TOPIC = "kh_saas.domain.admin_units:AdminUnit.Registered"


class VillageIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Thôn, bản, tổ dân phố… inside a current commune; ``code`` is the province's own."""

    commune_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{5}$", examples=["19483"])]
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=16, examples=["THON-1"])]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Thôn An Xuân"])]
    unit_type: UnitType = UnitType.THON
    valid_from: date | None = None


class VillagesIn(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[VillageIn], msgspec.Meta(min_length=1, max_length=20_000)]


class ChangeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A versioned change taking effect on ``effective`` (history keeps the old values)."""

    change: Change
    effective: date
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    unit_type: UnitType | None = None
    successors: list[Successor] = msgspec.field(default_factory=list)


class UnitOut(msgspec.Struct, kw_only=True):
    id: UUID
    level: Tier
    code: str
    era: Era
    name: str
    unit_type: UnitType
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    successors: list[Successor]
    history: list[NameVersion]
    name_on: Annotated[str | None, msgspec.Meta(description="Name in force on `on`")] = None


class UnitList(msgspec.Struct):
    items: list[UnitOut]


class Created(msgspec.Struct):
    count: int
    ids: list[UUID]


def unit_out(u: AdminUnit, on: date | None = None) -> UnitOut:
    return UnitOut(
        id=u.id,
        level=u.level,
        code=u.code,
        era=u.era,
        name=u.name,
        unit_type=u.unit_type,
        parent_code=u.parent_code,
        valid_from=u.valid_from,
        valid_to=u.valid_to,
        successors=list(u.successors),
        history=list(u.history),
        name_on=u.name_on(on) if on else None,
    )


def unit_commands(request: Request[Any, Any, Any]) -> UnitCommands:
    tenant = current_tenant(request)
    return UnitCommands(service_of(request).app_for(tenant), communes_of(tenant.province_code))


class AdminUnitController(Controller):
    path = "/v1/t/{slug:str}/units"
    tags = ["administrative units"]  # noqa: RUF012

    @get(
        "/",
        opt=roles(*READERS),
        summary="The province's units: current communes, legacy districts/communes, villages",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def list_units(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        level: FromQuery[Tier | None] = None,
        era: FromQuery[Era | None] = None,
        parent_code: FromQuery[str | None] = None,
        on: FromQuery[date | None] = None,
    ) -> UnitList:
        tenant = current_tenant(request)
        pool = service_of(request).clusters[tenant.cluster].read
        table = f"{quote_ident(tenant.schema_name)}.{EVENTS_TABLE}"
        rows = await pool.fetch(
            f"SELECT originator_id FROM {table} WHERE topic = $1 ORDER BY notification_id",
            UNIT_TOPIC,
        )
        cmd = unit_commands(request)
        loaded = await in_thread(lambda: cmd.app.get_many(r["originator_id"] for r in rows))
        units = [
            u
            for u in loaded.values()
            if isinstance(u, AdminUnit)
            and (level is None or u.level is level)
            and (era is None or u.era is era)
            and (parent_code is None or u.parent_code == parent_code)
            and (on is None or u.in_force_on(on))
        ]
        units.sort(key=lambda u: (u.level, u.era, u.code))
        return UnitList(items=[unit_out(u, on) for u in units])

    @get(
        "/{unit_id:uuid}",
        opt=roles(*READERS),
        summary="One unit with its history and successors",
        responses=problem_responses(401, 403, 404),
    )
    async def read(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        unit_id: FromPath[UUID],
        on: FromQuery[date | None] = None,
    ) -> UnitOut:
        cmd = unit_commands(request)
        return unit_out(await in_thread(lambda: cmd.unit(unit_id)), on)

    @post(
        "/villages",
        opt=roles(*WRITERS),
        summary="Create a village / residential group (thôn, bản, tổ dân phố)",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        status_code=201,
    )
    async def create_village(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[VillageIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[UnitOut]:
        cmd, who = unit_commands(request), actor(request)
        item = _village(data)
        return await create_once(
            request,
            idempotency_key,
            UnitOut,
            lambda: unit_out(cmd.create_villages([item], who)[0]),
            lambda out: f"/v1/t/{slug}/units/{out.id}",
        )

    @post(
        "/villages/bulk",
        opt=roles(*WRITERS),
        summary="Create many villages at once (all or nothing)",
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
        status_code=201,
        request_max_body_size=BULK_BODY_BYTES,
    )
    async def create_villages(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[VillagesIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[Created]:
        cmd, who = unit_commands(request), actor(request)
        items = [_village(v) for v in data.items]

        def run() -> Created:
            ids = [v.id for v in cmd.create_villages(items, who)]
            return Created(count=len(ids), ids=ids)

        return await create_once(
            request, idempotency_key, Created, run, lambda _: f"/v1/t/{slug}/units"
        )

    @post(
        "/{unit_id:uuid}/changes",
        opt=roles(*ADMINS),
        summary="Record a rename, type change, merger, split or dissolution with its date",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        status_code=200,
    )
    async def change(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        unit_id: FromPath[UUID],
        data: JSONBody[ChangeIn],
    ) -> UnitOut:
        cmd, who = unit_commands(request), actor(request)
        unit = await in_thread(
            lambda: cmd.change(
                unit_id,
                data.change,
                effective=data.effective,
                actor=who,
                name=data.name,
                unit_type=data.unit_type,
                successors=data.successors,
            )
        )
        return unit_out(unit)


def _village(v: VillageIn) -> VillageInput:
    return VillageInput(
        commune_code=v.commune_code,
        code=v.code,
        name=v.name,
        unit_type=v.unit_type,
        valid_from=v.valid_from,
    )
