"""Typed values from event state (plain JSON: ids and dates arrive as strings)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID


def uid(value: Any) -> UUID | None:
    return None if value is None else value if isinstance(value, UUID) else UUID(value)


def day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def role_of(actor: str | None) -> str | None:
    """Events record the actor as ``<role>:<key id>``; system actors have no role part."""
    if not actor or ":" not in actor:
        return None
    return actor.split(":", 1)[0]
