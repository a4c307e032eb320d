"""Prometheus metrics, on a registry owned by the app (no process-wide globals), so several
apps in one process (tests) never share counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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
            "Pipeline stage latency (condense, retrieval, evidence, generation, verification).",
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
        self.queue = Gauge(
            "rag_queue_admitted", "Questions running or waiting.", registry=self.registry
        )

    def observe_answer(self, timings_ms: dict[str, float], outcome: str) -> None:
        for stage, ms in timings_ms.items():
            self.stages.labels(stage).observe(ms / 1000)
        self.answers.labels(outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
