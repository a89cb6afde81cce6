"""Every call to the audit API leaves a row in the tenant's ``audit_access`` table.

Columns: ``at``, ``api_key_id``, ``role``, ``method``, ``path``, ``query`` and the answer's
``status``. A call is recorded once its key and tenant are known (401s of unknown keys are
not a tenant's business), written while the answer is sent and committed before the call
ends, so errors (404, 422, 403) are recorded too; a failure to record is logged, never hidden.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from kh_saas.logs import get_logger
from kh_saas.storage.migrations import quote_ident
from kh_saas.tenants.catalog import Tenant
from kh_saas.tenants.keys import ApiKey

log = get_logger(__name__)


class AuditAccessMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        pending: asyncio.Task[None] | None = None

        async def recording(message: Message) -> None:
            nonlocal pending
            if message["type"] == "http.response.start":
                # Written while the answer goes out; the call ends once it is committed.
                pending = asyncio.create_task(_record(scope, message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            if pending is not None:
                await pending


async def _record(scope: Scope, status: int) -> None:
    state: dict[str, Any] = scope.get("state", {})
    tenant: Tenant | None = state.get("tenant")
    key: ApiKey | None = state.get("principal")
    if tenant is None or key is None:
        return
    service = scope["app"].state.service
    try:
        await service.clusters[tenant.cluster].read.execute(
            f"INSERT INTO {quote_ident(tenant.schema_name)}.audit_access"
            " (api_key_id, role, method, path, query, status) VALUES ($1, $2, $3, $4, $5, $6)",
            key.id,
            key.role.value,
            scope.get("method", ""),
            scope.get("path", ""),
            scope.get("query_string", b"").decode("latin-1"),
            status,
        )
    except Exception as exc:
        log.error("audit_access_not_recorded", path=scope.get("path"), error=str(exc))
