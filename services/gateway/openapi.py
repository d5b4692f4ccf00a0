"""The merged OpenAPI document served at `/openapi.json`, rebuilt at most every few seconds.

`app.openapi()` stays the gateway's own static document (no network), which is what
`make openapi` exports; only the route serves the merged one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from services.gateway.domain.openapi import merge_documents
from services.gateway.domain.routing import owner_of
from services.gateway.routes import ROUTE_TABLE
from services.gateway.security import API_KEY_SCHEME, BEARER_SCHEME
from services.gateway.upstreams import Upstreams

OwnDocument = Callable[[], dict[str, Any]]


def is_routed(service: str, path: str) -> bool:
    """Keep a service's path only if the public routing table sends it to that service."""
    return owner_of(path, ROUTE_TABLE) == service


def security_schemes(own: dict[str, Any]) -> dict[str, Any]:
    schemes = own.get("components", {}).get("securitySchemes", {})
    return {name: schemes[name] for name in (BEARER_SCHEME, API_KEY_SCHEME) if name in schemes}


class MergedOpenApi:
    def __init__(
        self,
        upstreams: Upstreams,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.upstreams = upstreams
        self.ttl = ttl_seconds
        self.clock = clock
        self._cached: tuple[dict[str, Any], float] | None = None
        self._lock = asyncio.Lock()

    async def document(self, own: OwnDocument) -> dict[str, Any]:
        async with self._lock:
            now = self.clock()
            if self._cached is not None and self._cached[1] > now:
                return self._cached[0]
            merged = await self._build(own)
            self._cached = (merged, now + self.ttl)
            return merged

    async def _build(self, own: OwnDocument) -> dict[str, Any]:
        fetched = await self.upstreams.documents()
        available = {name: doc for name, doc in fetched.items() if doc is not None}
        gateway = own()
        return merge_documents(
            gateway,
            available,
            keep_path=is_routed,
            security_schemes=security_schemes(gateway),
            unavailable=[name for name, doc in fetched.items() if doc is None],
        )
