"""What integrators (đơn vị tích hợp: provincial portals, the national education database,
news sites) get: the public event contract, its feed, its live stream.

* :mod:`.contract` — internal events → CloudEvents 1.0 (the one place the mapping lives);
* :mod:`kh_saas.projections.public` — the ``public_events`` projection (log order);
* :mod:`.feed` — reads of ``{schema}.public_events`` after a sequence (the pull feed);
* :mod:`.hub` — one LISTEN connection per process fanning new events out to SSE streams.

Others read the table ``{schema}.public_events (sequence, type, event, recorded_at)`` and
wake on :func:`public_events_channel`, which the projection notifies as each batch commits.
"""

from __future__ import annotations

from kh_saas.tenants.catalog import schema_for

#: The table integrators' events are read from, in each tenant schema (no ``rm_`` prefix:
#: its name is part of the interface the feed, the stream and the webhooks share).
PUBLIC_EVENTS_TABLE = "public_events"


def public_events_channel(schema_or_slug: str) -> str:
    """The NOTIFY channel woken when a tenant's public events commit, from its schema
    (``t_quang_tri``) or slug (``quang-tri``; slugs have no underscore, schemas start ``t_``).

    Per tenant, so one province's writes never wake another's listeners; payload: the last
    log position the batch applied."""
    schema = schema_or_slug if schema_or_slug.startswith("t_") else schema_for(schema_or_slug)
    return f"{schema}_public_events"[:63]


def slug_of(schema: str) -> str:
    """The slug a tenant schema was made from (inverse of :func:`schema_for`)."""
    return schema.removeprefix("t_").replace("_", "-")


__all__ = ["PUBLIC_EVENTS_TABLE", "public_events_channel", "slug_of"]
