"""Tenant-schema migrations of the transparency log (versions 20 and up).

The log's tables sit beside the events they cover: ``log_state`` (size, last position,
origin), ``log_tiles`` (tlog-tiles hashes, partial tiles grown in place), ``log_entries``
(leaf entries in tlog-tiles bundles of 256), ``log_runs`` (contiguous position ranges →
leaf indices), ``log_checkpoints``, ``log_keys`` (sealed signing keys), ``log_witnesses`` and
``log_cosignatures``; ``audit_access`` records every call to the audit API.
"""

from __future__ import annotations

from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import Migration

LOG_MIGRATIONS = (
    Migration(
        20,
        "append_only_events",
        # Tampering needs a deliberate superuser act (disabling the trigger); the log shows it.
        f"""
        CREATE FUNCTION {{schema}}.refuse_event_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the event log is append-only: % refused', TG_OP;
        END $$;
        CREATE TRIGGER {EVENTS_TABLE}_append_only
            BEFORE UPDATE OR DELETE OR TRUNCATE ON {{schema}}.{EVENTS_TABLE}
            FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.refuse_event_change();
        """,
    ),
    Migration(
        21,
        "transparency_log",
        """
        CREATE TABLE {schema}.log_state (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            origin text NOT NULL,
            size bigint NOT NULL DEFAULT 0,
            last_position bigint NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE {schema}.log_tiles (
            level smallint NOT NULL,
            idx bigint NOT NULL,
            hashes bytea NOT NULL,
            PRIMARY KEY (level, idx)
        );
        CREATE TABLE {schema}.log_entries (
            bundle bigint PRIMARY KEY,
            first_position bigint NOT NULL,
            last_position bigint NOT NULL,
            count smallint NOT NULL CHECK (count BETWEEN 1 AND 256),
            entries bytea NOT NULL
        );
        CREATE INDEX log_entries_last_position_idx ON {schema}.log_entries (last_position);
        -- Hashes do not compress; entries are written once per bundle: no compression work.
        ALTER TABLE {schema}.log_tiles ALTER COLUMN hashes SET STORAGE EXTERNAL;
        ALTER TABLE {schema}.log_entries ALTER COLUMN entries SET STORAGE EXTERNAL;
        CREATE TABLE {schema}.log_runs (
            first_position bigint PRIMARY KEY,
            first_index bigint NOT NULL UNIQUE,
            count bigint NOT NULL CHECK (count > 0)
        );
        -- The leaf index of an event's position (NULL when the position is not in the log).
        CREATE FUNCTION {schema}.log_index(p bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN p < r.first_position + r.count
                        THEN r.first_index + (p - r.first_position) END
            FROM {schema}.log_runs r WHERE r.first_position <= p
            ORDER BY r.first_position DESC LIMIT 1
        $$;
        CREATE TABLE {schema}.log_keys (
            key_id bigint PRIMARY KEY,
            name text NOT NULL,
            public_key bytea NOT NULL,
            sealed_private_key bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            retired_at timestamptz
        );
        CREATE UNIQUE INDEX log_keys_one_active ON {schema}.log_keys ((true))
            WHERE retired_at IS NULL;
        CREATE TABLE {schema}.log_checkpoints (
            size bigint PRIMARY KEY,
            root bytea NOT NULL,
            note text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE {schema}.log_witnesses (
            id uuid PRIMARY KEY,
            name text NOT NULL,
            url text NOT NULL,
            key_id bigint NOT NULL,
            public_key bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            removed_at timestamptz,
            cosigned_size bigint,
            cosigned_at timestamptz,
            last_error text,
            last_error_at timestamptz
        );
        CREATE UNIQUE INDEX log_witnesses_active ON {schema}.log_witnesses (name, key_id)
            WHERE removed_at IS NULL;
        CREATE TABLE {schema}.log_cosignatures (
            size bigint NOT NULL REFERENCES {schema}.log_checkpoints (size),
            witness_id uuid NOT NULL REFERENCES {schema}.log_witnesses (id),
            signature text NOT NULL,
            cosigned_at timestamptz NOT NULL,
            PRIMARY KEY (size, witness_id)
        );
        """,
    ),
    Migration(
        22,
        "audit_access",
        # One row per call to the audit API (who, what, answer): the auditors' own trail.
        """
        CREATE TABLE {schema}.audit_access (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            api_key_id uuid,
            role text NOT NULL,
            method text NOT NULL,
            path text NOT NULL,
            query text NOT NULL,
            status integer NOT NULL
        );
        CREATE INDEX audit_access_at_idx ON {schema}.audit_access (at);
        """,
    ),
)
