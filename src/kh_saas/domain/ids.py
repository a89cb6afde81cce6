"""Deterministic aggregate ids: uniqueness the domain needs is enforced by the event store."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

#: Namespace of every kh-saas uuid5; never change it once events are stored.
KH_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kh-saas")


def stable_id(*parts: str) -> UUID:
    """The same parts always give the same id, in every tenant and process."""
    return uuid5(KH_NAMESPACE, "/".join(parts))
