"""Asking every service at once: health, readiness and OpenAPI documents (short timeouts)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from services.gateway.settings import Settings
from shared.logging import get_logger

log = get_logger(__name__)

OK = "ok"
READY = "ready"
NOT_READY = "not_ready"
UNREACHABLE = "unreachable"


class Upstreams:
    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings
        self.timeout = httpx.Timeout(settings.health_timeout_seconds)

    @property
    def services(self) -> list[str]:
        return list(self.settings.upstreams)

    async def _get(self, service: str, path: str) -> httpx.Response | None:
        url = f"{self.settings.upstreams[service]}{path}"
        try:
            return await self.http.get(url, timeout=self.timeout)
        except httpx.HTTPError as exc:
            log.info("upstream_probe_failed", service=service, path=path, error=repr(exc))
            return None

    async def status(self, service: str, path: str, up: str) -> str:
        """`up` if `service` answers `path` with 200, else why not."""
        response = await self._get(service, path)
        if response is None:
            return UNREACHABLE
        if response.status_code == 200:
            return up
        return NOT_READY if response.status_code == 503 else f"http_{response.status_code}"

    async def statuses(self, path: str, up: str) -> dict[str, str]:
        names = self.services
        results = await asyncio.gather(*(self.status(name, path, up) for name in names))
        return dict(zip(names, results, strict=True))

    async def document(self, service: str, path: str = "/openapi.json") -> dict[str, Any] | None:
        response = await self._get(service, path)
        if response is None or response.status_code != 200:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def documents(self) -> dict[str, dict[str, Any] | None]:
        names = self.services
        results = await asyncio.gather(*(self.document(name) for name in names))
        return dict(zip(names, results, strict=True))
