"""Typed HTTP client for calling other services: internal token, timeouts, retries.

Calls go to `settings.url_for(service)`: through the gateway by default, or straight
to the service when a direct address is configured. Only idempotent requests (GET,
PUT, DELETE, and POST with an Idempotency-Key) are retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from shared.auth.principal import Principal
from shared.auth.tokens import mint_internal_token, service_principal
from shared.errors import UpstreamTimeout, UpstreamUnavailable
from shared.logging import request_id_var
from shared.settings import ServiceSettings

_RETRY_STATUSES = {502, 503, 504}
_IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"status {response.status_code}")
        self.response = response


class ServiceClient:
    """One pooled `httpx.AsyncClient` per app, created in the lifespan."""

    def __init__(
        self, settings: ServiceSettings, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.settings = settings
        self.identity = service_principal(settings.service_name)
        timeout = httpx.Timeout(
            settings.http_timeout_seconds, connect=settings.http_connect_timeout_seconds
        )
        self.http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    def _headers(self, principal: Principal | None, idempotency_key: str | None) -> dict[str, str]:
        token = mint_internal_token(
            self.settings.internal_token_secret,
            principal or self.identity,
            self.settings.internal_token_ttl_seconds,
        )
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        request_id = request_id_var.get()
        if request_id:
            headers["X-Request-ID"] = request_id
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        principal: Principal | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request to `service`; connection failures become 503/504 problems."""
        method = method.upper()
        url = f"{self.settings.url_for(service)}{path}"
        retryable = method in _IDEMPOTENT or (method == "POST" and idempotency_key is not None)
        attempts = self.settings.http_attempts if retryable else 1
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_exponential(multiplier=0.1, max=2),
                retry=retry_if_exception_type(
                    (httpx.TransportError, _RetryableStatus)
                ),
                reraise=True,
            ):
                with attempt:
                    response = await self.http.request(
                        method, url, json=json, params=params,
                        headers={**self._headers(principal, idempotency_key), **(headers or {})},
                    )
                    if response.status_code in _RETRY_STATUSES and attempts > 1:
                        raise _RetryableStatus(response)
                    return response
        except _RetryableStatus as exc:
            return exc.response
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"{service} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(f"{service} cannot be reached") from exc
        raise UpstreamUnavailable(f"{service} cannot be reached")
