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
#: Who may read the tenant's profile: every tenant role and the platform admin (the
#: integrator too, so that an issued key can be checked and shows the event count).
PROFILE_READERS = TENANT_ROLES | {Role.PLATFORM_ADMIN}
#: Who reads the public events (feed, stream, schemas): the integrator — for whom they and
#: its webhooks are everything it may use — and the province's admin and auditors.
FEED_READERS = frozenset({Role.INTEGRATOR, Role.TENANT_ADMIN, Role.AUDITOR, Role.PLATFORM_ADMIN})
