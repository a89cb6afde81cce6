"""Typed values from event state (plain JSON: ids and dates arrive as strings)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from asyncpg.pgproto.pgproto import UUID as _FastUUID


def uid(value: Any) -> UUID | None:
    # asyncpg's UUID (a uuid.UUID, equal and hashing alike) parses in C, 7× faster: a rebuild
    # parses several per event.
    return None if value is None else value if isinstance(value, UUID) else _FastUUID(value)


def day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def role_of(actor: str | None) -> str | None:
    """Events record the actor as ``<role>:<key id>``; system actors have no role part."""
    if not actor or ":" not in actor:
        return None
    return actor.split(":", 1)[0]
