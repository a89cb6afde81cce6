"""Reference aggregates every province starts with, written once (``seeds`` table).

Each seed is named and versioned; a tenant created before a seed existed receives it at the
next start. Seeds go in through the same mapper as every other event, inside the caller's
transaction, so provisioning stays all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncpg
from eventsourcing.domain import Aggregate

from kh_saas.domain.criteria_defaults import default_sets, published
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident
from kh_saas.tenants.admin_units import build_province_units
from kh_saas.tenants.application import TenantApplication
from kh_saas.tenants.catalog import Tenant

SYSTEM_ACTOR = "system:seed"


def default_criteria_sets(_: Tenant) -> list[Aggregate]:
    return [published(d, SYSTEM_ACTOR) for d in default_sets()]


def province_units(tenant: Tenant) -> list[Aggregate]:
    """The province, its communes since 1 July 2025 and the older units that formed it."""
    return list(build_province_units(tenant.province_code, actor=SYSTEM_ACTOR))


Seed = tuple[str, Callable[[Tenant], Sequence[Aggregate]]]

SEEDS: list[Seed] = [
    ("criteria-sets-v1", default_criteria_sets),
    ("admin-units-v1", province_units),
]


async def apply_seeds(
    conn: asyncpg.Connection, tenant: Tenant, app: TenantApplication
) -> list[str]:
    """Write every seed the tenant lacks; returns the names applied now."""
    schema = quote_ident(tenant.schema_name)
    applied: list[str] = []
    async with conn.transaction():
        done = {r["name"] for r in await conn.fetch(f"SELECT name FROM {schema}.seeds FOR UPDATE")}
        for name, build in SEEDS:
            if name in done:
                continue
            await insert_aggregates(conn, tenant, app, build(tenant))
            await conn.execute(f"INSERT INTO {schema}.seeds (name) VALUES ($1)", name)
            applied.append(name)
    return applied


async def insert_aggregates(
    conn: asyncpg.Connection,
    tenant: Tenant,
    app: TenantApplication,
    aggregates: Sequence[Aggregate],
) -> None:
    stored = [app.mapper.to_stored_event(e) for a in aggregates for e in a.collect_events()]
    if not stored:
        return
    table = f"{quote_ident(tenant.schema_name)}.{EVENTS_TABLE}"
    # Same order guarantee as the recorder: ids in commit order (see the ADR).
    await conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    await conn.executemany(
        f"INSERT INTO {table} (originator_id, originator_version, topic, state)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [(s.originator_id, s.originator_version, s.topic, s.state) for s in stored],
    )
