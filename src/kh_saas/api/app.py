"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from kh_saas import __version__
from kh_saas.api.admin_units import AdminUnitController
from kh_saas.api.audit_log import AuditLogController
from kh_saas.api.auth import authorize
from kh_saas.api.auth_throttle import FailedAuthThrottle
from kh_saas.api.awards import (
    AwardController,
    AwardDecisionController,
    AwardProposalController,
)
from kh_saas.api.bonus_tables import BonusTableController
from kh_saas.api.certificates import CertificateController
from kh_saas.api.configuration import ConfigurationController
from kh_saas.api.context import RequestContextMiddleware
from kh_saas.api.decisions import (
    DecisionController,
    RecognitionController,
    RevocationController,
)
from kh_saas.api.events import EventController, asyncapi_document
from kh_saas.api.health import healthz, problem_type, readyz
from kh_saas.api.intake import admit_json_body
from kh_saas.api.listings import RegistryController
from kh_saas.api.metrics import (
    MetricsController,
    prometheus,
    register_collector,
    unregister_collector,
)
from kh_saas.api.nominations import NominationController
from kh_saas.api.openapi_schema import StrictStructSchemaPlugin
from kh_saas.api.plans import PlanController
from kh_saas.api.platform_routes import ApiKeyController, TenantController
from kh_saas.api.problems import EXCEPTION_HANDLERS
from kh_saas.api.projection_routes import ProjectionController
from kh_saas.api.reference_pages import render_plugins
from kh_saas.api.registers import AwardRegisterController, RegisterController
from kh_saas.api.reports import ReportController
from kh_saas.api.statistics import StatisticsController
from kh_saas.api.subject_imports import SubjectImportController
from kh_saas.api.subjects import SubjectController
from kh_saas.api.targets import TargetController
from kh_saas.api.tenant_routes import TenantProfileController
from kh_saas.api.trail import TrailController
from kh_saas.api.verify import verify
from kh_saas.integrators.hub import EventHub
from kh_saas.integrators.webhooks.routes import WebhookController
from kh_saas.service import Service
from kh_saas.settings import Settings


def create_app(settings: Settings | None = None, service: Service | None = None) -> Litestar:
    """Build the HTTP app; the service starts and stops with it unless one is passed in."""
    settings = settings or Settings.from_env()
    owned = service is None
    svc = service or Service(settings)
    hub = EventHub(lambda: svc.clusters)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if owned:
            await svc.start()
        collector = register_collector(svc)
        try:
            yield
        finally:
            unregister_collector(collector)
            await hub.close()
            if owned:
                await svc.stop()

    def on_app_init(config: AppConfig) -> AppConfig:
        config.state["service"] = svc
        config.state["event_hub"] = hub
        config.state["stream_keepalive"] = settings.stream_keepalive
        config.state["auth_throttle"] = FailedAuthThrottle(
            limit=settings.auth_fail_limit, window=settings.auth_fail_window
        )
        return config

    openapi = OpenAPIConfig(
        title="kh-saas",
        version=__version__,
        description=(
            "Multi-tenant backend for Vietnam's learning-society emulation movement "
            "(Khuyến học). Errors are RFC 9457 problem details."
        ),
        path="/schema",
        render_plugins=render_plugins(),  # pinned assets served by the app: works offline
        components=Components(
            security_schemes={
                "ApiKey": SecurityScheme(
                    type="http", scheme="bearer", description="An API key issued by kh-saas."
                )
            }
        ),
        security=[{"ApiKey": []}],
    )
    route_handlers: list[Any] = [
        healthz,
        readyz,
        problem_type,
        MetricsController,
        TenantController,
        ApiKeyController,
        TenantProfileController,
        SubjectController,
        SubjectImportController,
        NominationController,
        DecisionController,
        RevocationController,
        RecognitionController,
        ConfigurationController,
        AdminUnitController,
        RegisterController,
        AwardRegisterController,
        AwardProposalController,
        AwardDecisionController,
        AwardController,
        RegistryController,
        ProjectionController,
        TrailController,
        BonusTableController,
        AuditLogController,
        EventController,
        asyncapi_document,
        WebhookController,
        ReportController,
        PlanController,
        StatisticsController,
        TargetController,
        CertificateController,
        verify,
    ]
    return Litestar(
        route_handlers=route_handlers,
        lifespan=[lifespan],
        on_app_init=[on_app_init],
        guards=[authorize],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[RequestContextMiddleware, prometheus.middleware],
        openapi_config=openapi,
        request_max_body_size=settings.max_body_bytes,
        plugins=[StrictStructSchemaPlugin()],
        before_request=admit_json_body,
        debug=False,
        logging_config=None,
    )


__all__ = ["create_app"]
