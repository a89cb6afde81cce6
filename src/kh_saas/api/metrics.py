"""Prometheus metrics: HTTP (Litestar's middleware) plus pool and tenant gauges."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kh_saas.service import Service

prometheus = PrometheusConfig(app_name="kh_saas", prefix="kh", group_path=True)


class MetricsController(PrometheusController):
    path = "/metrics"


class PoolCollector(Collector):
    """Connections held per cluster and side (the bound the README promises)."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def collect(self) -> Iterator[GaugeMetricFamily]:
        conns = GaugeMetricFamily(
            "kh_db_pool_connections", "Open server connections", labels=["cluster", "side"]
        )
        apps = GaugeMetricFamily("kh_tenant_applications", "Tenant applications in memory")
        try:
            clusters = list(self.service.clusters)
        except RuntimeError:
            clusters = []
        for cluster in clusters:
            stats: dict[str, Any] = cluster.write.get_stats()
            conns.add_metric([cluster.name, "write"], float(stats.get("pool_size", 0)))
            with contextlib.suppress(RuntimeError):
                conns.add_metric([cluster.name, "read"], float(cluster.read.get_size()))
        apps.add_metric([], float(len(self.service.apps)))
        yield conns
        yield apps
        labels = ["tenant", "projection"]
        position = GaugeMetricFamily(
            "kh_projection_position", "Last log position applied", labels=labels
        )
        lag_events = GaugeMetricFamily(
            "kh_projection_lag_events", "Events recorded but not yet applied", labels=labels
        )
        lag_seconds = GaugeMetricFamily(
            "kh_projection_lag_seconds",
            "Age of the oldest event not yet applied (0 when caught up)",
            labels=labels,
        )
        projector = self.service.projector
        for (slug, name), s in sorted(projector.stats.items() if projector else []):
            position.add_metric([slug, name], float(s.position))
            lag_events.add_metric([slug, name], float(s.lag_events))
            lag_seconds.add_metric([slug, name], s.lag_seconds)
        yield position
        yield lag_events
        yield lag_seconds


def register_collector(service: Service) -> PoolCollector | None:
    collector = PoolCollector(service)
    try:
        REGISTRY.register(collector)
    except ValueError:  # another Service in this process already reports (tests)
        return None
    return collector


def unregister_collector(collector: PoolCollector | None) -> None:
    if collector is not None:
        REGISTRY.unregister(collector)
