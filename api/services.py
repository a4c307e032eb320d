"""What the routes and the Slack bot share, built once in the app's lifespan from ``Settings``:
the ``Service`` (every answer and every change to the corpus goes through it) and the HTTP
side's own parts, metrics and admission control."""

from __future__ import annotations

from dataclasses import dataclass

from api.limits import AdmissionQueue, RateLimiter
from api.metrics import Metrics
from service.core import Service
from service.settings import Settings


@dataclass
class Services:
    settings: Settings
    service: Service
    metrics: Metrics
    queue: AdmissionQueue
    limiter: RateLimiter

    @classmethod
    def build(cls, settings: Settings, service: Service | None = None) -> Services:
        return cls(
            settings=settings,
            service=service or Service.from_settings(settings),
            metrics=Metrics(),
            queue=AdmissionQueue(settings.queue_size),
            limiter=RateLimiter(settings.rate_limit_per_minute),
        )

    def warm_up(self) -> None:
        self.service.warm_up()
