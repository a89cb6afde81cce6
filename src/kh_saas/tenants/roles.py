"""Roles an API key can carry (vai trò)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    TENANT_ADMIN = "tenant_admin"
    OFFICER = "officer"
    REVIEWER = "reviewer"
    SIGNER = "signer"
    AUDITOR = "auditor"
    INTEGRATOR = "integrator"


#: Roles a tenant key may have (the platform admin is not bound to a tenant).
TENANT_ROLES = frozenset(Role) - {Role.PLATFORM_ADMIN}
#: Every tenant role except the feed-only integrator: who may read the tenant's profile.
TENANT_READERS = frozenset(TENANT_ROLES - {Role.INTEGRATOR}) | {Role.PLATFORM_ADMIN}
