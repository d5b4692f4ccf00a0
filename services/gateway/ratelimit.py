"""Per-caller rate limiting with token buckets kept in this process's memory.

Each replica keeps its own buckets, so N replicas behind a load balancer allow up to N
times the configured rate. A deployment that needs one exact limit across replicas must
move the buckets to a shared store (e.g. Redis with an atomic script running the same
`domain.ratelimit.take` arithmetic).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from services.gateway.domain.ratelimit import Bucket, is_idle, retry_after_header, take
from shared.errors import RateLimited


class RateLimiter:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = 100_000,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.max_buckets = max_buckets
        self._buckets: dict[str, Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def check(self, key: str) -> None:
        """Spend one token of `key`'s bucket or raise 429 with Retry-After."""
        if not self.enabled:
            return
        now = self.clock()
        decision = take(self._buckets.get(key), now, rate=self.rate, burst=self.burst)
        self._buckets[key] = decision.bucket
        if len(self._buckets) > self.max_buckets:
            self._prune(now)
        if not decision.allowed:
            raise RateLimited(
                f"more than {self.rate:g} requests per second (burst {self.burst:g}); slow down",
                headers={"Retry-After": retry_after_header(decision.retry_after)},
            )

    def _prune(self, now: float) -> None:
        idle = [k for k, b in self._buckets.items() if is_idle(b, now, self.rate, self.burst)]
        for key in idle:
            del self._buckets[key]
