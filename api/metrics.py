"""Prometheus metrics, on a registry owned by the app (no process-wide globals), so several
apps in one process (tests) never share counters."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from rag.generation import GeneratorStatus

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rag_http_requests",
            "HTTP requests by endpoint and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rag_http_request_seconds",
            "HTTP request latency by endpoint (streams: until the last byte).",
            ["endpoint"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.stages = Histogram(
            "rag_stage_seconds",
            "Pipeline stage latency (condense, retrieval, evidence, generation, verification; "
            "verify_* for statements checked by /v1/verify).",
            ["stage"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "rag_answers",
            "Answers by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.verdicts = Counter(
            "rag_verifications",
            "Statements verified (/v1/verify, Slack /verify) by verdict.",
            ["verdict"],
            registry=self.registry,
        )
        self.queue = Gauge(
            "rag_queue_admitted", "Questions running or waiting.", registry=self.registry
        )
        self.generator_up = Gauge(
            "rag_generator_up",
            "1 when the generator can answer (the model process passes its health check).",
            registry=self.registry,
        )
        self.generator_restarts = _Restarts()
        self.registry.register(self.generator_restarts)

    def observe_generator(self, status: GeneratorStatus) -> None:
        self.generator_up.set(1 if status.up else 0)
        self.generator_restarts.value = status.restarts

    def observe_answer(self, timings_ms: dict[str, float], outcome: str) -> None:
        for stage, ms in timings_ms.items():
            self.stages.labels(stage).observe(ms / 1000)
        self.answers.labels(outcome).inc()

    def observe_verdict(self, timings_ms: dict[str, float], verdict: str) -> None:
        """A verification's stages as ``verify_<stage>`` (``verify_total``: the whole call)."""
        for stage, ms in timings_ms.items():
            if stage == "verify_total":  # the verifier's own total, inside the whole call's
                continue
            name = stage if stage.startswith("verify_") else f"verify_{stage}"
            self.stages.labels(name).observe(ms / 1000)
        self.verdicts.labels(verdict).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Restarts(Collector):
    """The supervisor's count of model process restarts, as a counter: the supervisor keeps
    it (it outlives the processes it restarts), so this only shows the last value seen."""

    def __init__(self) -> None:
        self.value = 0

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "rag_generator_restarts",
            "Times the model process was restarted after dying (crash, kill) since the start.",
            value=self.value,
        )
