"""Prometheus metrics of one bot process (a registry of its own, so tests can run several)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _QueueCollector(Collector):
    """Queue depth by status, read from the database at scrape time (shared by replicas)."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "kubesmith_bot_jobs", "Jobs in the queue by status", labels=["status"]
        )
        try:
            for status, n in self.counts().items():
                family.add_metric([status], n)
        except Exception:  # a scrape must not fail because the database is down
            return
        yield family


class BotMetrics:
    """Counters and histograms the webhook endpoint and the workers update."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "kubesmith_bot_deliveries",
            "Webhook deliveries by event and result",
            ["event", "result"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "kubesmith_bot_ack_seconds",
            "Time to acknowledge a webhook delivery",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=self.registry,
        )
        self.jobs = Counter(
            "kubesmith_bot_job_runs",
            "Job runs by kind and result",
            ["kind", "result"],
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "kubesmith_bot_job_seconds",
            "Time to run a job",
            ["kind"],
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
            registry=self.registry,
        )
        self.registry.register(_QueueCollector(counts))

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
