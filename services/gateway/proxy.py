"""The reverse proxy: one pooled httpx client, request and response bodies streamed.

The caller's credentials never reach a service: the gateway forwards an internal token
it mints for the caller (or, for service-to-service calls, the internal token the
service sent). Everything else end-to-end passes unchanged (Idempotency-Key, If-Match,
ETag, Location, Retry-After, problem+json bodies...); hop-by-hop headers are dropped.
Small answers of known length are read whole before replying (cheaper than a stream,
which costs a task per response); the rest is streamed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Scope

from services.gateway.domain.routing import MOUNT_ROOT, Target
from services.gateway.security import Caller
from services.gateway.settings import Settings
from shared.auth.principal import Principal
from shared.auth.tokens import mint_internal_token
from shared.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable
from shared.logging import get_logger

log = get_logger(__name__)

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "trailers", "transfer-encoding", "upgrade"}
)
_NOT_FORWARDED = HOP_BY_HOP | {"host", "expect", "authorization", "x-api-key", "x-request-id",
                               "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}
_NOT_RETURNED = HOP_BY_HOP | {"x-request-id", "date", "server"}
_MAX_CACHED_TOKENS = 10_000


class InternalTokens:
    """Internal tokens per principal, reused for half their lifetime (signing is not free)."""

    def __init__(self, secret: str, ttl_seconds: int, clock: Callable[[], float] = time.time):
        self.secret = secret
        self.ttl = ttl_seconds
        self.clock = clock
        self._cache: dict[Principal, tuple[str, float]] = {}

    def for_principal(self, principal: Principal) -> str:
        now = self.clock()
        cached = self._cache.get(principal)
        if cached is not None and cached[1] > now:
            return cached[0]
        if len(self._cache) >= _MAX_CACHED_TOKENS:
            self._cache.clear()
        token = mint_internal_token(self.secret, principal, self.ttl)
        self._cache[principal] = (token, now + self.ttl / 2)
        return token


class UpstreamMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "gateway_upstream_requests_total", "Requests forwarded to services",
            ["service", "outcome"], registry=registry,
        )
        self.latency = Histogram(
            "gateway_upstream_response_seconds", "Time until a service's response headers",
            ["service"], registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


def route_path(scope: Scope) -> str:
    """The request path below the gateway's own `root_path` (if it is mounted under one)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def upstream_path(request: Request, target: Target) -> str:
    """The path to send upstream, percent-encoded exactly as the caller sent it."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode("latin-1").partition("?")[0]
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    if not target.mounted:
        return path
    mount = f"{MOUNT_ROOT}/{target.service}"
    if path == mount or path.startswith(mount + "/"):
        return path[len(mount):] or "/"
    return quote(target.path)


def _dropped(connection_header: str, always: frozenset[str]) -> frozenset[str]:
    """Headers not to pass on: the fixed set plus any the Connection header names."""
    named = {name.strip().lower() for name in connection_header.split(",") if name.strip()}
    return always | named if named else always


def forwarded_headers(request: Request, authorization: str) -> list[tuple[bytes, bytes]]:
    """End-to-end headers of the request, plus the internal token, request id and X-Forwarded-*."""
    dropped = _dropped(request.headers.get("connection", ""), _NOT_FORWARDED)
    headers = [(k, v) for k, v in request.scope["headers"] if k.decode("latin-1") not in dropped]
    client_host = request.client.host if request.client else ""
    prior = request.headers.get("x-forwarded-for")
    forwarded_for = f"{prior}, {client_host}" if prior else client_host
    headers += [
        (b"authorization", authorization.encode("latin-1")),
        (b"x-request-id", str(getattr(request.state, "request_id", "")).encode("latin-1")),
        (b"x-forwarded-for", forwarded_for.encode("latin-1")),
        (b"x-forwarded-proto", request.url.scheme.encode("latin-1")),
        (b"x-forwarded-host", request.headers.get("host", "").encode("latin-1")),
    ]
    return headers


def returned_headers(response: httpx.Response) -> list[tuple[bytes, bytes]]:
    dropped = _dropped(response.headers.get("connection", ""), _NOT_RETURNED)
    return [(k, v) for k, v in response.headers.raw if k.decode("latin-1").lower() not in dropped]


def _has_body(request: Request) -> bool:
    return "content-length" in request.headers or "transfer-encoding" in request.headers


@contextmanager
def upstream_errors(service: str) -> Iterator[None]:
    """Transport failures as problems: down 503, too slow 504, broken connection 502."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        log.warning("upstream_unavailable", service=service, error=repr(exc))
        raise UpstreamUnavailable(f"{service} cannot be reached; try again shortly",
                                  extra={"service": service},
                                  headers={"Retry-After": "1"}) from exc
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(f"{service} did not answer in time",
                              extra={"service": service}) from exc
    except httpx.TransportError as exc:
        raise UpstreamError(f"{service} broke the connection: {type(exc).__name__}",
                            extra={"service": service}) from exc


class Proxy:
    def __init__(
        self, http: httpx.AsyncClient, settings: Settings, tokens: InternalTokens,
        metrics: UpstreamMetrics,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.metrics = metrics
        self.buffer_limit = settings.proxy_buffer_bytes
        self._bases = {name: httpx.URL(url) for name, url in settings.upstreams.items() if url}

    def _authorization(self, caller: Caller) -> str:
        token = caller.internal_token or self.tokens.for_principal(caller.principal)
        return f"Bearer {token}"

    def _url(self, service: str, path: str, query: bytes) -> httpx.URL:
        base = self._bases.get(service)
        if base is None:
            raise UpstreamUnavailable(f"no address is configured for {service}",
                                      extra={"service": service})
        raw = base.raw_path.rstrip(b"/") + path.encode("latin-1") + (b"?" + query if query else b"")
        return base.copy_with(raw_path=raw)

    async def forward(self, request: Request, target: Target, caller: Caller) -> Response:
        """Send the request to its service and relay the answer."""
        path = upstream_path(request, target)
        outgoing = self.http.build_request(
            request.method,
            self._url(target.service, path, request.scope["query_string"]),
            headers=forwarded_headers(request, self._authorization(caller)),
            content=request.stream() if _has_body(request) else None,
        )
        upstream = await self._send(target.service, outgoing)
        if self._is_small(upstream):
            return await self._buffered(target.service, upstream)
        return _streaming(upstream, self._relay(target.service, upstream))

    async def _send(self, service: str, outgoing: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        outcome = "failed"
        try:
            with upstream_errors(service):
                response = await self.http.send(outgoing, stream=True)
            outcome = str(response.status_code)
            return response
        finally:
            self.metrics.requests.labels(service, outcome).inc()
            self.metrics.latency.labels(service).observe(time.perf_counter() - started)

    def _is_small(self, upstream: httpx.Response) -> bool:
        length = upstream.headers.get("content-length", "")
        return length.isdigit() and int(length) <= self.buffer_limit

    async def _buffered(self, service: str, upstream: httpx.Response) -> Response:
        try:
            with upstream_errors(service):
                body = b"".join([chunk async for chunk in upstream.aiter_raw()])
        finally:
            await upstream.aclose()
        response = Response(body, status_code=upstream.status_code)
        response.raw_headers = returned_headers(upstream)
        return response

    async def _relay(self, service: str, upstream: httpx.Response) -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            log.warning("upstream_body_broken", service=service, error=repr(exc))
            raise
        finally:
            await upstream.aclose()


def _streaming(upstream: httpx.Response, body: AsyncIterator[bytes]) -> StreamingResponse:
    response = StreamingResponse(
        body, status_code=upstream.status_code, background=BackgroundTask(upstream.aclose)
    )
    response.raw_headers = returned_headers(upstream)
    return response
