"""Endpoint secrets at rest (khóa bí mật): sealed with the service's secret key (AES-GCM, the
transparency log's :class:`~kh_saas.transparency.sealing.Sealer`), bound to the tenant and
endpoint so a sealed value copied elsewhere does not open."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from kh_saas.integrators.webhooks.store import Endpoint
from kh_saas.transparency.sealing import Sealer


def _bound_to(schema: str, endpoint_id: UUID) -> str:
    return f"kh-saas webhook secret {schema} {endpoint_id}"


class EndpointSecrets:
    def __init__(self, sealer: Sealer) -> None:
        self._sealer = sealer
        self._open: dict[bytes, str] = {}

    def seal(self, schema: str, endpoint_id: UUID, secret: str) -> bytes:
        return self._sealer.seal(secret.encode(), _bound_to(schema, endpoint_id))

    def open(self, schema: str, endpoint_id: UUID, sealed: bytes) -> str:
        found = self._open.get(sealed)
        if found is None:
            found = self._sealer.open(sealed, _bound_to(schema, endpoint_id)).decode()
            self._open[sealed] = found
        return found

    def signing(self, schema: str, endpoint: Endpoint, now: datetime | None = None) -> list[str]:
        """The secrets to sign with now: the current one, and the previous one while it is
        still valid after a rotation."""
        found = [self.open(schema, endpoint.id, endpoint.sealed_secret)]
        until = endpoint.previous_valid_until
        if (
            endpoint.sealed_previous_secret is not None
            and until is not None
            and until > (now or datetime.now(UTC))
        ):
            found.append(self.open(schema, endpoint.id, endpoint.sealed_previous_secret))
        return found
