"""What the running service holds of webhooks: the secrets' sealer, and the dispatcher when
this process sends (``serve`` with ``KH_WORKERS=internal``, and ``kh-saas worker``)."""

from __future__ import annotations

from collections.abc import Iterable

from kh_saas.integrators import public_events_channel
from kh_saas.integrators.webhooks.dispatcher import DispatchSettings, WebhookDispatcher
from kh_saas.integrators.webhooks.schedule import parse_schedule
from kh_saas.integrators.webhooks.secrets import EndpointSecrets
from kh_saas.projections.worker import Projector
from kh_saas.settings import Settings, SettingsError
from kh_saas.storage.clusters import Cluster
from kh_saas.tenants.catalog import Tenant
from kh_saas.transparency.sealing import sealer_for


def public_channel(tenant: Tenant) -> str | None:
    """The NOTIFY channel that fires when the tenant's public events advance."""
    return public_events_channel(tenant.schema_name)


class Webhooks:
    def __init__(self, settings: Settings) -> None:
        try:
            schedule = parse_schedule(settings.webhook_retry_schedule)
        except ValueError as exc:
            raise SettingsError(f"KH_WEBHOOK_RETRY_SCHEDULE: {exc}") from exc
        self.dispatch_settings = DispatchSettings(
            timeout=settings.webhook_timeout,
            schedule=schedule,
            allow_private=settings.webhooks_allow_private,
        )
        self._settings = settings
        self._secrets: EndpointSecrets | None = None
        self.dispatcher: WebhookDispatcher | None = None

    @property
    def secrets(self) -> EndpointSecrets:
        if self._secrets is None:  # reads or makes <data_dir>/secret.key: not before start
            s = self._settings
            self._secrets = EndpointSecrets(sealer_for(s.secret_key, s.data_dir))
        return self._secrets

    async def start(
        self, projector: Projector, clusters: Iterable[Cluster], tenants: Iterable[Tenant]
    ) -> None:
        """Send from this process; runs beside the projector, whose connections it shares."""
        if self.dispatcher is None:
            self.dispatcher = WebhookDispatcher(
                self.dispatch_settings, self.secrets, public_channel
            )
            await self.dispatcher.start(projector, clusters, tenants)

    async def add(self, tenant: Tenant) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.add(tenant)

    def wake(self, slug: str) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake(slug)

    async def stop(self) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.stop()
            self.dispatcher = None
