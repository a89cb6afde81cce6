"""Tenant routes (``/v1/t/{slug}``): what one province sees of itself."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import problem_responses
from kh_saas.service import Service
from kh_saas.tenants.roles import PROFILE_READERS


class TenantProfile(msgspec.Struct, kw_only=True):
    """Hồ sơ đơn vị: the province as its own users see it."""

    slug: str
    name: str
    province_code: str
    created_at: datetime
    event_count: Annotated[int, msgspec.Meta(description="Events in the province's store")]


class TenantProfileController(Controller):
    path = "/v1/t/{slug:str}"
    tags = ["tenant"]  # noqa: RUF012

    @get(
        "/",
        opt=roles(*PROFILE_READERS),
        summary="The tenant's profile",
        description=(
            "Every tenant role may read it, the integrator included (beside the event feed, "
            "stream, schemas and webhooks, its one route: it shows that the key works and how "
            "many events the province holds)."
        ),
        responses=problem_responses(401, 403, 404),
    )
    async def profile(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> TenantProfile:
        service: Service = request.app.state.service
        tenant = current_tenant(request)
        return TenantProfile(
            slug=tenant.slug,
            name=tenant.name,
            province_code=tenant.province_code,
            created_at=tenant.created_at,
            event_count=await service.event_count(tenant),
        )
