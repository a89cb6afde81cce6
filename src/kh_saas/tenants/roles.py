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
#: Who may read the tenant's profile: every tenant role and the platform admin. The integrator
#: is otherwise feed-only; until the feed exists this is its one route, so that an issued key
#: can at least be checked and shows the province's event count.
PROFILE_READERS = TENANT_ROLES | {Role.PLATFORM_ADMIN}
