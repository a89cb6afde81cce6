"""The running platform: clusters, catalog, keys and tenant applications, started once."""

from __future__ import annotations

import sys
from pathlib import Path
from uuid import uuid4

import anyio

from kh_saas.integrators.hub import HUB_CONNECTIONS
from kh_saas.integrators.webhooks.dispatcher import DISPATCHER_CONNECTIONS
from kh_saas.integrators.webhooks.hub import Webhooks
from kh_saas.logs import get_logger
from kh_saas.projections import PROJECTIONS
from kh_saas.projections.worker import WORKER_CONNECTIONS, Projector
from kh_saas.reference import communes_of
from kh_saas.settings import Settings
from kh_saas.storage.clusters import DEFAULT_CLUSTER, Cluster, Clusters
from kh_saas.storage.embedded import EmbeddedPostgres
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import current_version, migrate, quote_ident
from kh_saas.tenants.admin_units import conversion_successors
from kh_saas.tenants.application import TenantApplication, TenantApplications
from kh_saas.tenants.catalog import PLATFORM_MIGRATIONS, PLATFORM_SCHEMA, Catalog, Tenant
from kh_saas.tenants.commands import ProvinceCommands
from kh_saas.tenants.keys import KeyRing, load_pepper, write_secret_file
from kh_saas.tenants.provisioning import build_tenant_schema, migrate_tenant
from kh_saas.tenants.roles import Role
from kh_saas.tenants.schema import TENANT_MIGRATIONS
from kh_saas.transparency.updater import TreeUpdater

log = get_logger(__name__)


class Service:
    """Everything one kh-saas process holds; built by :meth:`start`, released by :meth:`stop`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedded: EmbeddedPostgres | None = None
        self._clusters: Clusters | None = None
        self._catalog: Catalog | None = None
        self._keys: KeyRing | None = None
        self.apps = TenantApplications()
        #: Keeps the tenants' read models up to date (None when they run in workers only).
        self.projector: Projector | None = None
        self.admin_key_file: Path | None = None
        self._transparency: TreeUpdater | None = None
        #: Webhook secrets, and the dispatcher when this process sends (KH_WORKERS=internal).
        self.webhooks = Webhooks(settings)

    @property
    def clusters(self) -> Clusters:
        if self._clusters is None:
            raise RuntimeError("service not started")
        return self._clusters

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            raise RuntimeError("service not started")
        return self._catalog

    @property
    def transparency(self) -> TreeUpdater:
        """The provinces' transparency logs (keys, origins; grown here unless KH_AUDIT_LOG=0)."""
        if self._transparency is None:
            raise RuntimeError("service not started")
        return self._transparency

    @property
    def keys(self) -> KeyRing:
        if self._keys is None:
            raise RuntimeError("service not started")
        return self._keys

    async def start(self) -> None:
        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        url = s.database_url
        if url is None:
            self.embedded = EmbeddedPostgres(s.data_dir)
            url = await anyio.to_thread.run_sync(self.embedded.start)
        self._clusters = Clusters(
            {
                name: Cluster(
                    name,
                    cluster_url,
                    read_pool_max=s.read_pool_max,
                    write_pool_max=s.write_pool_max,
                    db_timeout=s.db_timeout,
                    statement_timeout=s.db_statement_timeout,
                    # The projector's and the webhook dispatcher's own connections, and the
                    # stream hub's one listener (its reads take turns on one connection of the
                    # read pool).
                    worker_connections=(
                        WORKER_CONNECTIONS + DISPATCHER_CONNECTIONS
                        if s.workers == "internal"
                        else 0
                    )
                    + HUB_CONNECTIONS,
                )
                for name, cluster_url in s.cluster_urls(url).items()
            }
        )
        await self._clusters.open()
        pool = self.clusters.default.read
        async with pool.acquire() as conn:
            await migrate(conn, PLATFORM_SCHEMA, PLATFORM_MIGRATIONS)
            await conn.executemany(
                f"INSERT INTO {PLATFORM_SCHEMA}.clusters (name) VALUES ($1) ON CONFLICT DO NOTHING",
                [(c.name,) for c in self.clusters],
            )
            pepper = await load_pepper(conn, s.key_pepper)
        self._catalog = Catalog(pool)
        self._keys = KeyRing(pool, pepper)
        await self._bootstrap_admin_key()
        self._transparency = TreeUpdater(self)
        await self._migrate_tenants()
        if s.workers == "internal":
            await self.start_projections()
            assert self.projector is not None
            await self.webhooks.start(
                self.projector, self.clusters, await self.catalog.all("active")
            )
        if s.audit_log:
            await self._transparency.start()
        log.info("service_started", tenants=len(await self.catalog.all()))

    async def start_projections(self) -> None:
        """Run every tenant's projections in this process (``serve``, or ``kh-saas worker``)."""
        if self.projector is None:
            self.projector = Projector(PROJECTIONS)
            await self.projector.start(self.clusters, await self.catalog.all("active"))

    async def stop(self) -> None:
        await self.webhooks.stop()
        if self._transparency is not None:
            await self._transparency.stop()
        if self.projector is not None:
            await self.projector.stop()
            self.projector = None
        if self._clusters is not None:
            await self._clusters.close()
            self._clusters = None
        if self.embedded is not None:
            await anyio.to_thread.run_sync(self.embedded.stop)
            self.embedded = None

    async def _bootstrap_admin_key(self) -> None:
        """Register ``KH_ADMIN_KEY``, or create the first admin key into ``admin.key``."""
        path = self.settings.data_dir.resolve() / "admin.key"
        async with self.clusters.default.read.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('kh-admin-bootstrap'))")
            if self.settings.admin_key:
                await self.keys.register_bootstrap_admin(self.settings.admin_key, conn)
                return
            if await self.keys.has_platform_admin(conn):
                if path.exists():
                    self.admin_key_file = path
                return
            issued = await self.keys.issue(
                name="bootstrap", role=Role.PLATFORM_ADMIN, tenant_id=None, conn=conn
            )
            write_secret_file(path, issued.secret)
        self.admin_key_file = path
        print(f"kh-saas: platform admin key written to {path}", file=sys.stderr)
        log.info("admin_key_created", path=str(path))

    async def _migrate_tenants(self) -> None:
        for tenant in await self.catalog.all():
            cluster = self.clusters[tenant.cluster]
            if tenant.status == "provisioning":
                await self._provision(tenant, actor="system:resume")
            else:
                await migrate_tenant(cluster, tenant, self.app_for(tenant))
                await self.catalog.record_schema_version(tenant.id, TENANT_MIGRATIONS[-1].version)

    def commands_for(self, tenant: Tenant) -> ProvinceCommands:
        # Records may carry a commune in force today or one that existed before 1 July 2025.
        code = tenant.province_code
        known = communes_of(code) | frozenset(conversion_successors(code))
        return ProvinceCommands(self.app_for(tenant), known, tenant.id_key)

    def app_for(self, tenant: Tenant) -> TenantApplication:
        cluster = self.clusters[tenant.cluster]
        return self.apps.get(slug=tenant.slug, schema=tenant.schema_name, pool=cluster.write)

    async def create_tenant(
        self, *, slug: str, name: str, province_code: str, actor: str
    ) -> Tenant:
        """Provision a province; :class:`TenantExists` when its slug or code is taken."""
        tenant = await self.catalog.reserve(
            tenant_id=uuid4(),
            slug=slug,
            name=name,
            province_code=province_code,
            cluster=self.settings.placement,
        )
        return await self._provision(tenant, actor=actor)

    async def _provision(self, tenant: Tenant, *, actor: str) -> Tenant:
        cluster = self.clusters[tenant.cluster]
        try:
            async with cluster.read.acquire() as conn:
                await build_tenant_schema(conn, tenant, self.app_for(tenant), actor)
                await self.transparency.ensure_key(conn, tenant)
        except BaseException:
            await self.catalog.forget(tenant.id)
            raise
        await self.catalog.record_schema_version(tenant.id, TENANT_MIGRATIONS[-1].version)
        active = await self.catalog.activate(tenant.id)
        if self.projector is not None:
            await self.projector.add(active)
        await self.webhooks.add(active)
        self.transparency.wake()  # its first checkpoint now, not at the next poll
        log.info("tenant_provisioned", tenant=tenant.slug, cluster=tenant.cluster)
        return active

    async def event_count(self, tenant: Tenant) -> int:
        pool = self.clusters[tenant.cluster].read
        table = f"{quote_ident(tenant.schema_name)}.{EVENTS_TABLE}"
        count: int = await pool.fetchval(f"SELECT count(*) FROM {table}")
        return count

    def projection_lag(self) -> str:
        """``ok``, or which tenants' projections are behind and by how much (informative:
        catching up does not make the service unready)."""
        if self.projector is None:
            return "run by kh-saas worker processes (KH_WORKERS=external)"
        behind = [
            f"{slug}/{name} {s.lag_events} events, {s.lag_seconds:.1f} s"
            for (slug, name), s in sorted(self.projector.stats.items())
            if s.lag_events
        ]
        return "ok" if not behind else "catching up: " + "; ".join(behind)

    async def readiness(self) -> dict[str, str]:
        """Per-check status: every cluster reachable, catalog and tenant schemas migrated."""
        checks: dict[str, str] = {}
        want_platform = PLATFORM_MIGRATIONS[-1].version
        want_tenant = TENANT_MIGRATIONS[-1].version
        for cluster in self.clusters:
            try:
                with anyio.fail_after(2):
                    async with cluster.read.acquire() as conn:
                        await conn.fetchval("SELECT 1")
                    # The write side too: it has its own pool, which must have reconnected.
                    await anyio.to_thread.run_sync(cluster.write_pool_answers, 2.0)
                checks[f"cluster:{cluster.name}"] = "ok"
            except Exception as exc:
                checks[f"cluster:{cluster.name}"] = f"unreachable: {type(exc).__name__}"
        if checks.get(f"cluster:{DEFAULT_CLUSTER}") != "ok":
            return checks
        async with self.clusters.default.read.acquire() as conn:
            version = await current_version(conn, PLATFORM_SCHEMA)
            checks["catalog"] = "ok" if version == want_platform else f"at version {version}"
            behind = await self.catalog.behind(want_tenant)
            checks["tenant_schemas"] = "ok" if not behind else "behind: " + ", ".join(behind)
        return checks
