"""Platform routes (``/v1/tenants``): provinces and their API keys."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody

from kh_saas.api.auth import current_principal, current_tenant, roles
from kh_saas.api.idempotency import Claim, KeyTable, once, superseded
from kh_saas.api.problems import ProblemError, problem_responses
from kh_saas.reference import provinces
from kh_saas.service import Service
from kh_saas.tenants.catalog import (
    PLATFORM_SCHEMA,
    SLUG_MAX,
    SLUG_PATTERN,
    Tenant,
    TenantExists,
)
from kh_saas.tenants.keys import ApiKey
from kh_saas.tenants.roles import Role

Slug = Annotated[
    str,
    msgspec.Meta(
        pattern=SLUG_PATTERN,
        min_length=2,
        max_length=SLUG_MAX,
        description="Lowercase ASCII letters, digits and single hyphens, e.g. `quang-tri`.",
        examples=["quang-tri"],
    ),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="Retrying with the same key returns the first result instead of a duplicate.",
    ),
]


class TenantIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A province to serve (tỉnh / thành phố trực thuộc trung ương)."""

    slug: Slug
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Quảng Trị"])]
    province_code: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^[0-9]{2}$",
            description="Two-digit code of a province in force since 1 July 2025.",
            examples=["44"],
        ),
    ]


class TenantOut(msgspec.Struct, kw_only=True):
    id: UUID
    slug: str
    name: str
    province_code: str
    cluster: Annotated[str, msgspec.Meta(description="PostgreSQL cluster holding its schema")]
    status: Literal["provisioning", "active"]
    created_at: datetime


class TenantList(msgspec.Struct):
    items: list[TenantOut]


TenantRole = Literal["tenant_admin", "officer", "reviewer", "signer", "auditor", "integrator"]


class ApiKeyIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[
        str, msgspec.Meta(min_length=1, max_length=200, examples=["Sở GD&ĐT — officer"])
    ]
    role: TenantRole


class ApiKeyOut(msgspec.Struct, kw_only=True):
    id: UUID
    tenant: str
    name: str
    role: TenantRole
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut, kw_only=True):
    secret: Annotated[
        str | None,
        msgspec.Meta(
            description="The key itself, shown once only (null when an idempotent retry "
            "replays the creation: only its hash is stored)."
        ),
    ]


class ApiKeyList(msgspec.Struct):
    items: list[ApiKeyOut]


def tenant_out(t: Tenant) -> TenantOut:
    return TenantOut(
        id=t.id,
        slug=t.slug,
        name=t.name,
        province_code=t.province_code,
        cluster=t.cluster,
        status="active" if t.status == "active" else "provisioning",
        created_at=t.created_at,
    )


def platform_keys(service: Service) -> KeyTable:
    """Idempotency-Keys of platform routes, in the catalog."""
    return KeyTable(
        service.clusters.default.read,
        f"{PLATFORM_SCHEMA}.idempotency_keys",
        service.settings.idempotency_lease,
    )


def key_out(k: ApiKey, slug: str) -> ApiKeyOut:
    return ApiKeyOut(
        id=k.id,
        tenant=slug,
        name=k.name,
        role=k.role.value,  # type: ignore[arg-type]  # tenant keys only carry tenant roles
        created_at=k.created_at,
        revoked_at=k.revoked_at,
    )


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


class TenantController(Controller):
    path = "/v1/tenants"
    tags = ["platform"]  # noqa: RUF012 - Litestar reads this class attribute

    @post(
        "/",
        opt=roles(Role.PLATFORM_ADMIN),
        summary="Create a province tenant",
        description="Provisions an isolated schema holding the province's event store.",
        responses=problem_responses(400, 401, 403, 409, 413, 422),
        status_code=201,
    )
    async def create_tenant(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TenantIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[TenantOut]:
        service: Service = request.app.state.service
        principal = current_principal(request)
        if data.province_code not in provinces():
            raise ProblemError(
                422,
                "unknown_province",
                f"{data.province_code!r} is not a province code in force since 1 July 2025.",
                field="province_code",
            )

        name = nfc(data.name)

        async def run(_: Claim[TenantOut] | None) -> tuple[int, TenantOut]:
            # Provisioning spans the catalog and the tenant's cluster: its answer is recorded
            # after it, and a crash in between is recovered below.
            try:
                tenant = await service.create_tenant(
                    slug=data.slug,
                    name=name,
                    province_code=data.province_code,
                    actor=f"api-key:{principal.id}",
                )
            except TenantExists as exc:
                raise ProblemError(409, "tenant_exists", str(exc), field=exc.field) from exc
            return 201, tenant_out(tenant)

        async def recover() -> tuple[int, TenantOut] | None:
            # The same request was cut by a crash after reserving the tenant (the next start
            # finishes provisioning it): that tenant is its result, not a conflict.
            found = await service.catalog.get(data.slug)
            same = found is not None and (found.name, found.province_code) == (
                name,
                data.province_code,
            )
            return (201, tenant_out(found)) if found is not None and same else None

        status, body, replayed = await once(
            platform_keys(service),
            scope=f"{principal.id}:POST /v1/tenants",
            key=idempotency_key,
            request_body=await request.body(),
            result_type=TenantOut,
            run=run,
            recover=recover,
        )
        headers = {"Location": f"/v1/t/{body.slug}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status_code=status, headers=headers)

    @get(
        "/",
        opt=roles(Role.PLATFORM_ADMIN),
        summary="List tenants",
        responses=problem_responses(401, 403),
    )
    async def list_tenants(self, request: Request[Any, Any, Any]) -> TenantList:
        service: Service = request.app.state.service
        return TenantList(items=[tenant_out(t) for t in await service.catalog.all()])

    @get(
        "/{slug:str}",
        opt=roles(Role.PLATFORM_ADMIN),
        summary="Get one tenant's catalog entry",
        responses=problem_responses(401, 403, 404),
    )
    async def get_tenant(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> TenantOut:
        return tenant_out(current_tenant(request))


class ApiKeyController(Controller):
    path = "/v1/tenants/{slug:str}/api-keys"
    tags = ["platform"]  # noqa: RUF012

    @post(
        "/",
        opt=roles(Role.PLATFORM_ADMIN, Role.TENANT_ADMIN),
        summary="Issue an API key for the tenant (the secret is returned once)",
        responses=problem_responses(400, 401, 403, 404, 413, 422),
        status_code=201,
    )
    async def create_key(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[ApiKeyIn],
        idempotency_key: IdempotencyKey,
    ) -> Response[ApiKeyCreated]:
        service: Service = request.app.state.service
        principal = current_principal(request)
        tenant = current_tenant(request)

        async def run(claim: Claim[ApiKeyCreated] | None) -> tuple[int, ApiKeyCreated]:
            # The key and the answer to its Idempotency-Key commit together.
            async with service.clusters.default.read.acquire() as conn, conn.transaction():
                issued = await service.keys.issue(
                    name=nfc(data.name), role=Role(data.role), tenant_id=tenant.id, conn=conn
                )
                out = key_out(issued.key, tenant.slug)
                created = ApiKeyCreated(**msgspec.structs.asdict(out), secret=issued.secret)
                if claim is not None and not await claim.record_on(conn, 201, created):
                    raise superseded()  # rolls the key back
            return 201, created

        status, body, replayed = await once(
            platform_keys(service),
            scope=f"{principal.id}:POST /v1/tenants/{slug}/api-keys",
            key=idempotency_key,
            request_body=await request.body(),
            result_type=ApiKeyCreated,
            run=run,
            stored=lambda created: msgspec.structs.replace(created, secret=None),
        )
        headers = {"Location": f"/v1/tenants/{slug}/api-keys/{body.id}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status_code=status, headers=headers)

    @get(
        "/",
        opt=roles(Role.PLATFORM_ADMIN, Role.TENANT_ADMIN),
        summary="List the tenant's API keys (never their secrets)",
        responses=problem_responses(401, 403, 404),
    )
    async def list_keys(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> ApiKeyList:
        service: Service = request.app.state.service
        tenant = current_tenant(request)
        keys = await service.keys.list_for_tenant(tenant.id)
        return ApiKeyList(items=[key_out(k, tenant.slug) for k in keys])

    @delete(
        "/{key_id:uuid}",
        opt=roles(Role.PLATFORM_ADMIN, Role.TENANT_ADMIN),
        summary="Revoke an API key (it stops working at once)",
        responses=problem_responses(401, 403, 404),
        status_code=204,
    )
    async def revoke_key(
        self, request: Request[Any, Any, Any], slug: FromPath[str], key_id: FromPath[UUID]
    ) -> None:
        service: Service = request.app.state.service
        tenant = current_tenant(request)
        if await service.keys.revoke(tenant.id, key_id) is None:
            raise ProblemError(404, "not_found", f"No API key {key_id} in tenant {slug!r}.")
