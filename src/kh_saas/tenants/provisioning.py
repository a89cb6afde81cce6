"""Provisioning a province: reserve it in the catalog, build its schema, record the event.

Reservation and schema live on possibly different clusters, so provisioning is two steps:
the catalog row is claimed first (unique slug and province code decide races: one 201, one
409), then the tenant's schema, migrations and ``Province.Provisioned`` event are written in
one transaction on the tenant's cluster. A failure drops the reservation; a crash between the
steps leaves a ``provisioning`` row that the next start completes (every step is idempotent).
"""

from __future__ import annotations

import asyncpg

from kh_saas.domain.province import Province
from kh_saas.logs import get_logger
from kh_saas.projections import prepare_projections
from kh_saas.storage.clusters import Cluster
from kh_saas.storage.migrations import migrate
from kh_saas.tenants.application import TenantApplication
from kh_saas.tenants.catalog import Tenant
from kh_saas.tenants.schema import TENANT_MIGRATIONS
from kh_saas.tenants.seeding import apply_seeds, insert_aggregates

log = get_logger(__name__)


async def build_tenant_schema(
    conn: asyncpg.Connection, tenant: Tenant, app: TenantApplication, actor: str
) -> None:
    """Create and migrate the schema, record the province's first event, seed (idempotent)."""
    async with conn.transaction():
        await migrate(conn, tenant.schema_name, TENANT_MIGRATIONS)
        province = Province(
            province_code=tenant.province_code, name=tenant.name, slug=tenant.slug, actor=actor
        )
        await insert_aggregates(conn, tenant, app, [province])
        await apply_seeds(conn, tenant, app)
        await prepare_projections(conn, tenant.schema_name)


async def migrate_tenant(cluster: Cluster, tenant: Tenant, app: TenantApplication) -> list[int]:
    """Bring an existing tenant's schema and seeds up to date (at every start)."""
    async with cluster.read.acquire() as conn:
        applied = await migrate(conn, tenant.schema_name, TENANT_MIGRATIONS)
        await apply_seeds(conn, tenant, app)
        await prepare_projections(conn, tenant.schema_name)
        return applied
