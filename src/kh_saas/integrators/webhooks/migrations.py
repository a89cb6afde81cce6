"""Tenant-schema migrations of webhooks (versions 45–49).

``webhook_endpoints``: where to send, which types, the sealed secrets (the previous one stays
valid for 24 h after a rotation), whether the endpoint is active and why not, and its cursor
(the last public-event sequence turned into deliveries). ``webhook_deliveries``: one row per
event to send to one endpoint, pending until a 2xx; ``webhook_attempts``: every try.
"""

from __future__ import annotations

from kh_saas.storage.migrations import Migration

WEBHOOK_MIGRATIONS = (
    Migration(
        45,
        "webhooks",
        """
        CREATE TABLE {schema}.webhook_endpoints (
            id uuid PRIMARY KEY,
            url text NOT NULL,
            types text[],
            description text,
            sealed_secret bytea NOT NULL,
            sealed_previous_secret bytea,
            previous_valid_until timestamptz,
            status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
            disabled_reason text,
            disabled_at timestamptz,
            cursor bigint NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE {schema}.webhook_deliveries (
            id bigserial PRIMARY KEY,
            endpoint_id uuid NOT NULL REFERENCES {schema}.webhook_endpoints (id)
                ON DELETE CASCADE,
            sequence bigint NOT NULL,
            event_id text NOT NULL,
            type text NOT NULL,
            kind text NOT NULL DEFAULT 'live' CHECK (kind IN ('live', 'manual')),
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
            attempts integer NOT NULL DEFAULT 0,
            step integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            last_status integer,
            last_latency_ms double precision,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz
        );
        -- The head of each endpoint's queue: its oldest pending delivery.
        CREATE INDEX webhook_deliveries_pending_idx
            ON {schema}.webhook_deliveries (endpoint_id, kind, sequence)
            WHERE status = 'pending';
        CREATE INDEX webhook_deliveries_endpoint_idx
            ON {schema}.webhook_deliveries (endpoint_id, id);
        CREATE TABLE {schema}.webhook_attempts (
            delivery_id bigint NOT NULL REFERENCES {schema}.webhook_deliveries (id)
                ON DELETE CASCADE,
            n integer NOT NULL,
            at timestamptz NOT NULL,
            status integer,
            latency_ms double precision NOT NULL,
            error text,
            PRIMARY KEY (delivery_id, n)
        );
        """,
    ),
)
