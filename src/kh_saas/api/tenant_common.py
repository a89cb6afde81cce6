"""What every tenant route needs: its province's commands, the actor, threads, idempotency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

import anyio
import msgspec
from litestar import Request, Response
from litestar.params import HeaderParameter, PathParameter, QueryParameter

from kh_saas.api.auth import current_principal, current_tenant
from kh_saas.api.idempotency import Claim, KeyTable, once
from kh_saas.domain.document_numbers import DOCUMENT_NUMBER_PATTERN
from kh_saas.service import Service
from kh_saas.storage.migrations import quote_ident
from kh_saas.storage.shared_transaction import shared_transaction
from kh_saas.tenants.commands import ProvinceCommands

T = TypeVar("T")

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="Retrying with the same key returns the first result instead of a duplicate.",
    ),
]

#: Số, ký hiệu of a signed act: the one shape every decision, annulment and proposal carries.
DocumentNumber = Annotated[
    str,
    msgspec.Meta(
        pattern=DOCUMENT_NUMBER_PATTERN,
        max_length=40,
        examples=["123/QĐ-UBND"],
        description="Số/ký hiệu as Decree 30/2020/NĐ-CP writes it: 123/QĐ-UBND, 12/TTr-UBND, "
        "07/2025/QĐ-UBND",
    ),
]

#: An assessment year in a query string (bounded: the store keys ids by it).
YearQuery = Annotated[int, QueryParameter(ge=2015, le=2100, description="Assessment year")]
YearPath = Annotated[int, PathParameter(ge=2000, le=2100, description="Year")]

#: Bulk bodies (50,000 subjects or recipients) are larger than ordinary ones.
BULK_BODY_BYTES = 64 * 1024 * 1024


def service_of(request: Request[Any, Any, Any]) -> Service:
    service: Service = request.app.state.service
    return service


def commands(request: Request[Any, Any, Any]) -> ProvinceCommands:
    return service_of(request).commands_for(current_tenant(request))


def actor(request: Request[Any, Any, Any]) -> str:
    """Who did it, as recorded in events: the role and the API key's id."""
    key = current_principal(request)
    return f"{key.role.value}:{key.id}"


def today() -> date:
    return datetime.now(UTC).date()


async def in_thread(fn: Callable[[], T]) -> T:
    """eventsourcing is synchronous: keep its I/O off the event loop."""
    return await anyio.to_thread.run_sync(fn)


async def create_once(
    request: Request[Any, Any, Any],
    idempotency_key: str | None,
    result_type: type[T],
    run: Callable[[], T],
    location: Callable[[T], str],
) -> Response[T]:
    """Run a creating command in a thread, at most once per Idempotency-Key; answer 201.

    The command's events and the key's answer commit in one transaction on the tenant's
    cluster (the key table is in the tenant's schema), so a crash cannot separate them.
    """
    key = current_principal(request)
    tenant = current_tenant(request)
    service = service_of(request)
    cluster = service.clusters[tenant.cluster]

    async def attempt(claim: Claim[T] | None) -> tuple[int, T]:
        def in_one_transaction() -> T:
            with shared_transaction(cluster.write) as tx:
                value = run()
                if claim is not None:
                    claim.record_in(tx.cursor(), 201, value)
            return value

        return 201, await in_thread(in_one_transaction)

    status, body, replayed = await once(
        KeyTable(
            cluster.read,
            f"{quote_ident(tenant.schema_name)}.idempotency_keys",
            service.settings.idempotency_lease,
        ),
        scope=f"{key.id}:{request.method} {request.url.path}",
        key=idempotency_key,
        request_body=await request.body(),
        result_type=result_type,
        run=attempt,
    )
    headers = {"Location": location(body)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(body, status_code=status, headers=headers)
