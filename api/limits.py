"""Admission control: a per-key rate limit and a bounded queue in front of the LLM.

The embedded LLM answers one question at a time on 2 cores; a queue without a bound would make
everyone wait longer and longer. So at most ``queue_size`` questions are admitted (one running,
the rest waiting their turn); beyond that the service answers 503 with Retry-After at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from api.errors import Busy, RateLimited


class RateLimiter:
    """Token bucket per key: ``per_minute`` questions, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._now = time.monotonic

    def check(self, key: str) -> None:
        with self._lock:
            now = self._now()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.rate)
                raise RateLimited(
                    f"Too many questions: the limit is {int(self.capacity)} a minute. "
                    f"Try again in {wait} s.",
                    retry_after=wait,
                )
            self._buckets[key] = (tokens - 1.0, now)


class AdmissionQueue:
    """At most ``size`` questions admitted; the LLM itself runs one at a time behind it."""

    def __init__(self, size: int, retry_after: int = 5) -> None:
        self.size = size
        self.retry_after = retry_after
        self._admitted = 0
        self._lock = threading.Lock()
        self.turn = threading.Lock()  # held while a question runs through the pipeline

    @property
    def admitted(self) -> int:
        return self._admitted

    def admit(self) -> None:
        with self._lock:
            if self._admitted >= self.size:
                raise Busy(
                    f"The service is answering {self._admitted} questions already; "
                    f"try again in {self.retry_after} s.",
                    retry_after=self.retry_after,
                )
            self._admitted += 1

    def release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def ticket(self) -> Ticket:
        """Admit now (or refuse), for work that starts later, e.g. a streamed response."""
        self.admit()
        return Ticket(self)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Admit (or refuse at once), then wait for the turn; release both on exit."""
        self.admit()
        try:
            with self.turn:
                yield
        finally:
            self.release()


class Ticket:
    """An admission to give back exactly once: by the stream when it ends, or, if the stream
    never started (the client left first), when the ticket is garbage collected."""

    def __init__(self, queue: AdmissionQueue) -> None:
        self._queue: AdmissionQueue | None = queue

    def release(self) -> None:
        queue, self._queue = self._queue, None
        if queue is not None:
            queue.release()

    def __del__(self) -> None:
        self.release()
