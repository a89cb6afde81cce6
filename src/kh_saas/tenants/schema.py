"""Versioned migrations of every tenant schema (the province's event store and read models).

The event tables match what ``eventsourcing`` 9.5.6 would create, but are created here, in a
versioned, lock-protected migration, instead of by the library at first use (its
``CREATE TYPE`` / ``CREATE TABLE IF NOT EXISTS`` races when two processes start together).
"""

from __future__ import annotations

from kh_saas.integrators.webhooks.migrations import WEBHOOK_MIGRATIONS
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import Migration
from kh_saas.targets.migrations import PLAN_MIGRATIONS
from kh_saas.transparency.migrations import LOG_MIGRATIONS

TENANT_MIGRATIONS = (
    Migration(
        1,
        "event_store",
        f"""
        CREATE TABLE {{schema}}.{EVENTS_TABLE} (
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text,
            state bytea,
            notification_id bigserial,
            PRIMARY KEY (originator_id, originator_version)
        ) WITH (
            autovacuum_enabled = true,
            autovacuum_vacuum_threshold = 100000000,
            autovacuum_vacuum_scale_factor = 0.5,
            autovacuum_analyze_threshold = 1000,
            autovacuum_analyze_scale_factor = 0.01
        );
        CREATE UNIQUE INDEX {EVENTS_TABLE}_notification_id_idx
            ON {{schema}}.{EVENTS_TABLE} (notification_id ASC);
        """,
    ),
    Migration(
        2,
        "seeds",
        # Reference aggregates written once per tenant (default criteria sets, admin units).
        """
        CREATE TABLE {schema}.seeds (
            name text PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """,
    ),
    Migration(
        3,
        "criteria_set_index",
        # Listing criteria sets must not scan the whole log.
        f"""
        CREATE INDEX {EVENTS_TABLE}_criteria_sets_idx ON {{schema}}.{EVENTS_TABLE} (notification_id)
            WHERE topic = 'kh_saas.domain.criteria:CriteriaSet.Published';
        """,
    ),
    Migration(
        4,
        "admin_unit_index",
        f"""
        CREATE INDEX {EVENTS_TABLE}_admin_units_idx ON {{schema}}.{EVENTS_TABLE} (notification_id)
            WHERE topic = 'kh_saas.domain.admin_units:AdminUnit.Registered';
        """,
    ),
    Migration(
        5,
        "recognition_index",
        # The recognition register reads every grant of a title and year.
        f"""
        CREATE INDEX {EVENTS_TABLE}_recognitions_idx ON {{schema}}.{EVENTS_TABLE} (notification_id)
            WHERE topic = 'kh_saas.domain.recognitions:Recognition.Granted';
        """,
    ),
    Migration(
        6,
        "subject_events",
        # Events about a subject whose aggregate id cannot be derived from the subject alone
        # (awards: keyed by achievement), written in the same transaction as the events.
        f"""
        CREATE TABLE {{schema}}.subject_events (
            subject_id uuid NOT NULL,
            originator_id uuid NOT NULL,
            topic text NOT NULL,
            notification_id bigint NOT NULL,
            PRIMARY KEY (subject_id, notification_id)
        );
        INSERT INTO {{schema}}.subject_events
            SELECT (convert_from(state, 'UTF8')::jsonb ->> 'subject_id')::uuid, originator_id,
                   topic, notification_id
            FROM {{schema}}.{EVENTS_TABLE}
            WHERE topic = 'kh_saas.domain.awards:Award.Granted';
        """,
    ),
    Migration(
        7,
        "award_index",
        f"""
        CREATE INDEX {EVENTS_TABLE}_awards_idx ON {{schema}}.{EVENTS_TABLE} (notification_id)
            WHERE topic = 'kh_saas.domain.awards:Award.Granted';
        """,
    ),
    Migration(
        8,
        "idempotency_keys",
        # Idempotency-Keys of tenant routes live beside the events, so a request's answer is
        # recorded in the same transaction as its events (api/idempotency.py).
        """
        CREATE TABLE {schema}.idempotency_keys (
            scope text NOT NULL,
            key text NOT NULL,
            request_hash bytea NOT NULL,
            status integer NOT NULL,
            body bytea NOT NULL,
            token uuid,
            lease_until timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (scope, key)
        );
        """,
    ),
    Migration(
        9,
        "projection_positions",
        # Each read model's tracking row: the last position applied, written in the same
        # transaction as its rows (src/kh_saas/projections/). The read tables themselves are
        # made by the projections (rm_*), so a new model version is a rebuild, not a migration.
        """
        CREATE TABLE {schema}.projection_positions (
            name text PRIMARY KEY,
            version integer NOT NULL,
            position bigint NOT NULL DEFAULT 0,
            last_recorded_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        """,
    ),
    # The transparency log (versions 20 and up): kh_saas/transparency/migrations.py.
    *LOG_MIGRATIONS,
    # Webhooks (versions 45–49): kh_saas/integrators/webhooks/migrations.py.
    *WEBHOOK_MIGRATIONS,
    # Plans and targets (versions 50–54): kh_saas/targets/migrations.py.
    *PLAN_MIGRATIONS,
)
