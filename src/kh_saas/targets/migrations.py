"""Tenant-schema migrations of plans and targets (versions 50–54)."""

from __future__ import annotations

from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import Migration

PLAN_MIGRATIONS = (
    Migration(
        50,
        "plan_index",
        # Listing plans and choosing the one in force must not scan the whole log.
        f"""
        CREATE INDEX {EVENTS_TABLE}_plans_idx ON {{schema}}.{EVENTS_TABLE} (notification_id)
            WHERE topic = 'kh_saas.domain.plans:Plan.Adopted';
        """,
    ),
)
