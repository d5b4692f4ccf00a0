"""Token bucket: `burst` requests at once, refilled at `rate` per second.

Pure arithmetic on an explicit clock; the store that keeps one bucket per caller lives
outside the domain (in memory per process; several replicas need a shared store).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    bucket: Bucket
    retry_after: float = 0.0
    """Seconds until the request would be allowed (0 when allowed)."""


def refill(bucket: Bucket | None, now: float, rate: float, burst: float) -> Bucket:
    """The bucket at `now`: full when new, never above `burst`, never going back in time."""
    if bucket is None:
        return Bucket(burst, now)
    elapsed = max(0.0, now - bucket.updated_at)
    return Bucket(min(burst, bucket.tokens + elapsed * rate), max(now, bucket.updated_at))


def take(
    bucket: Bucket | None, now: float, *, rate: float, burst: float, cost: float = 1.0
) -> Decision:
    """Spend `cost` tokens if the bucket has them, else say how long to wait."""
    if rate <= 0 or burst <= 0:
        raise ValueError("rate and burst must be positive")
    current = refill(bucket, now, rate, burst)
    if current.tokens >= cost:
        return Decision(True, Bucket(current.tokens - cost, current.updated_at))
    return Decision(False, current, retry_after=(cost - current.tokens) / rate)


def is_idle(bucket: Bucket, now: float, rate: float, burst: float) -> bool:
    """A bucket that has refilled completely carries no information and can be dropped."""
    return refill(bucket, now, rate, burst).tokens >= burst


def retry_after_header(seconds: float) -> str:
    """Retry-After takes whole seconds: round up, at least 1."""
    return str(max(1, math.ceil(seconds)))
