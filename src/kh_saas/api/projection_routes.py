"""Operators' view of a tenant's projections: status with checksums, and rebuild from zero."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import ProblemError, problem_responses
from kh_saas.api.tenant_common import service_of
from kh_saas.projections import PROJECTIONS
from kh_saas.projections.ops import status
from kh_saas.projections.rebuild import rebuild
from kh_saas.tenants.roles import Role


class ProjectionStatus(msgspec.Struct, kw_only=True):
    name: str
    version: int
    position: Annotated[int, msgspec.Meta(description="Last log position applied")]
    head: Annotated[int, msgspec.Meta(description="Last position in the tenant's log")]
    lag_events: int
    lag_seconds: float
    checksum: Annotated[str | None, msgspec.Meta(description="MD5 over every row, in order")]


class ProjectionStatusList(msgspec.Struct):
    tenant: str
    items: list[ProjectionStatus]


class RebuildIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    projection: Annotated[
        str | None, msgspec.Meta(description="One projection; all when left out")
    ] = None


class Rebuilt(msgspec.Struct, kw_only=True):
    projection: str
    position: int
    events: int
    checksum: str


class ProjectionController(Controller):
    path = "/v1/tenants/{slug:str}/projections"
    tags = ["platform"]  # noqa: RUF012

    @get(
        "/",
        opt=roles(Role.PLATFORM_ADMIN),
        summary="Each projection's position, lag (events, seconds) and checksum",
        responses=problem_responses(401, 403, 404, 503),
    )
    async def projections(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> ProjectionStatusList:
        tenant = current_tenant(request)
        pool = service_of(request).clusters[tenant.cluster].read
        async with pool.acquire() as conn:
            found = await status(conn, tenant.schema_name, PROJECTIONS, with_checksum=True)
        return ProjectionStatusList(
            tenant=tenant.slug,
            items=[ProjectionStatus(**s.__dict__) for s in found],
        )

    @post(
        "/rebuild",
        opt=roles(Role.PLATFORM_ADMIN),
        summary="Rebuild from zero into fresh tables and swap them in (reads go on meanwhile)",
        responses=problem_responses(401, 403, 404, 422, 503),
        status_code=200,
    )
    async def rebuild(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[RebuildIn]
    ) -> list[Rebuilt]:
        tenant = current_tenant(request)
        chosen = [p for p in PROJECTIONS if data.projection in (None, p.name)]
        if not chosen:
            names = ", ".join(p.name for p in PROJECTIONS)
            raise ProblemError(
                422,
                "validation_failed",
                f"no projection named so; known: {names}",
                field="projection",
            )
        pool = service_of(request).clusters[tenant.cluster].read
        done = []
        for projection in chosen:
            result = await rebuild(pool, tenant.schema_name, projection)
            async with pool.acquire() as conn:
                (after,) = await status(conn, tenant.schema_name, (projection,), with_checksum=True)
            assert after.checksum is not None
            done.append(
                Rebuilt(
                    projection=projection.name,
                    position=result.position,
                    events=result.events,
                    checksum=after.checksum,
                )
            )
        return done
