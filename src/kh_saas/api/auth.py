"""Authentication and authorisation of every request.

Order of checks on a tenant route (``{slug}`` in the path): no or unknown key → 401; a key
of another tenant, or a tenant that does not exist → 404 (the two are indistinguishable);
a role the route does not allow → 403. An address (or key prefix) that sent too many invalid
keys gets 429 first (see ``auth_throttle``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from kh_saas.api.auth_throttle import FailedAuthThrottle
from kh_saas.api.problems import FieldError, ProblemError
from kh_saas.service import Service
from kh_saas.tenants.catalog import Tenant
from kh_saas.tenants.keys import ApiKey
from kh_saas.tenants.roles import Role


def roles(*allowed: Role) -> dict[str, Any]:
    """Route ``opt`` declaring which roles may call it."""
    return {"roles": frozenset(allowed)}


def public() -> dict[str, Any]:
    return {"public": True}


def _secret(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization")
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return connection.headers.get("x-api-key") or None


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard applied to every route; routes opt in to being public."""
    refuse_control_characters(connection)
    opt = handler.opt
    if opt.get("public"):
        return
    path = connection.scope.get("path", "")
    allowed: Collection[Role] | None = opt.get("roles")
    if allowed is None:
        if not path.startswith("/v1/"):
            return  # framework routes: OpenAPI documents, metrics
        allowed = {Role.PLATFORM_ADMIN}  # a /v1 route without roles is admin-only
    service: Service = connection.app.state.service
    secret = _secret(connection)
    if not secret:
        raise NotAuthorizedException(
            "Missing or invalid API key: send `Authorization: Bearer <key>`."
        )
    throttle: FailedAuthThrottle = connection.app.state.auth_throttle
    address = connection.client.host if connection.client else "unknown"
    digest = service.keys.digest(secret)
    wait = throttle.wait(address, secret, digest)
    if wait is not None:
        raise ProblemError(
            429,
            "auth_throttled",
            f"Too many invalid API keys from this address or with this key prefix; retry in "
            f"{wait} s.",
            headers={"Retry-After": str(wait)},
        )
    key = await service.keys.verify(secret)
    if key is None:
        throttle.failed(address, secret)
        raise NotAuthorizedException(
            "Missing or invalid API key: send `Authorization: Bearer <key>`."
        )
    throttle.succeeded(digest)
    connection.state.principal = key
    structlog.contextvars.bind_contextvars(actor=str(key.id), role=key.role.value)
    slug = connection.path_params.get("slug")
    if slug is not None:
        tenant = await service.catalog.get(slug)
        visible = tenant is not None and tenant.status == "active"
        if not visible or not _may_see(key, slug):
            raise NotFoundException(f"No tenant {slug!r}.")
        connection.state.tenant = tenant
    if key.role not in allowed:
        raise PermissionDeniedException(
            f"Role {key.role.value!r} may not use this route; allowed: "
            + ", ".join(sorted(r.value for r in allowed))
            + "."
        )


def refuse_control_characters(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Path and query values get the door's rule for text: no NUL or other C0 control
    character (PostgreSQL cannot hold NUL; none belongs in a slug, id or filter)."""
    faults = [
        FieldError(name, "may not contain control characters such as NUL (U+0000)")
        for name, value in [*connection.path_params.items(), *connection.query_params.multi_items()]
        if isinstance(value, str) and _CONTROL.search(value)
    ]
    if faults:
        raise ProblemError(
            422, "validation_failed", "control characters in the path or query", errors=faults
        )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _may_see(key: ApiKey, slug: str) -> bool:
    return key.role is Role.PLATFORM_ADMIN or key.tenant_slug == slug


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> ApiKey:
    key: ApiKey = connection.state.principal
    return key


def current_tenant(connection: ASGIConnection[Any, Any, Any, Any]) -> Tenant:
    tenant: Tenant = connection.state.tenant
    return tenant
