"""Building blocks for the gateway tests (no tests here): an httpx transport that sends
each upstream host to an in-process app, stub services, and a running gateway stack.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from services.catalog.app import create_app as create_catalog_app
from services.catalog.settings import Settings as CatalogSettings
from services.gateway.app import create_app as create_gateway_app
from services.gateway.routes import UPSTREAM_SERVICES
from services.gateway.settings import Settings
from tests.conftest import TEST_SECRET

TEST_JWT_SECRET = "test-gateway-jwt-secret-0123456789abcdef"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "Correct-Horse-Battery-9"
Factory = Callable[[str], Any]


def host_of(service: str) -> str:
    return f"{service}.test"


def free_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def unanswered_port() -> Iterator[int]:
    """A port whose accept queue is full, so new connections hang until the connect timeout
    (Linux drops the SYN; elsewhere it may be refused at once, which is also a 503)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = int(server.getsockname()[1])
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                with suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
            yield port
        finally:
            for filler in fillers:
                filler.close()


class HostDispatch(httpx.AsyncBaseTransport):
    """Send each request to the transport registered for its host.

    Unregistered `*.test` hosts behave like a service that is down (connect error);
    any other host goes to a real network transport (e.g. an unused local port).
    """

    def __init__(self, routes: Mapping[str, httpx.AsyncBaseTransport]) -> None:
        self.routes = dict(routes)
        self.network = httpx.AsyncHTTPTransport()
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        transport = self.routes.get(request.url.host)
        if transport is not None:
            return await transport.handle_async_request(request)
        if request.url.host.endswith(".test"):
            raise httpx.ConnectError(f"connection refused by {request.url.host}", request=request)
        return await self.network.handle_async_request(request)

    async def aclose(self) -> None:
        await self.network.aclose()


class RaisingTransport(httpx.AsyncBaseTransport):
    """An upstream that fails with `error` (e.g. a read timeout) on every request."""

    def __init__(self, error: type[httpx.TransportError]) -> None:
        self.error = error

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise self.error("simulated", request=request)


class ItemOut(BaseModel):
    """Clashes by name with catalog's ItemOut, so the merged OpenAPI must rename both."""

    location_code: str
    bins: int


def stub_service(
    name: str, *, healthy: bool = True, ready: bool = True, delay: float = 0.0
) -> FastAPI:
    """A stand-in service: health, an OpenAPI document, an echo and a streaming endpoint."""
    app = FastAPI(title=f"{name} stub")

    @app.get("/healthz")
    async def healthz() -> Response:
        await asyncio.sleep(delay)
        return JSONResponse({"status": "ok", "service": name}, status_code=200 if healthy else 500)

    @app.get("/readyz")
    async def readyz() -> Response:
        return JSONResponse({"status": "ready"} if ready else {"code": "not_ready"},
                            status_code=200 if ready else 503)

    @app.get("/v1/locations", response_model=list[ItemOut], operation_id="list_locations")
    async def list_locations() -> list[ItemOut]:
        return [ItemOut(location_code="WH-A", bins=3)]

    @app.api_route("/v1/locations/echo{rest:path}", methods=["GET", "POST", "PUT"],
                   include_in_schema=False)
    async def echo(request: Request, rest: str) -> Response:
        body = await request.body()
        return JSONResponse(
            {"service": name, "method": request.method,
             "raw_path": request.scope["raw_path"].decode(), "query": request.url.query,
             "headers": [[k.decode(), v.decode()] for k, v in request.scope["headers"]],
             "body_len": len(body), "body_sha256": hashlib.sha256(body).hexdigest()},
            headers={"Location": "/v1/locations/7", "Retry-After": "7", "X-Upstream": name,
                     "Connection": "close, X-Private-Hop", "X-Private-Hop": "secret",
                     "Set-Cookie": f"session={name}-{len(body)}; Path=/"},
        )

    @app.get("/v1/locations/stream", include_in_schema=False)
    async def stream(chunks: int = 64, size: int = 16384) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for index in range(chunks):
                yield bytes([index % 251]) * size

        return StreamingResponse(body(), media_type="application/octet-stream")

    return app


@dataclass
class GatewayStack:
    client: httpx.AsyncClient
    app: FastAPI
    settings: Settings
    transport: HostDispatch
    catalog: httpx.AsyncClient | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    async def token(self, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD) -> str:
        """An access token for the user (cached: each login costs an argon2 verification)."""
        cache = self.extra.setdefault("tokens", {})
        if (username, password) not in cache:
            response = await self.client.post(
                "/v1/auth/token", data={"username": username, "password": password}
            )
            assert response.status_code == 200, response.text
            cache[username, password] = str(response.json()["access_token"])
        return str(cache[username, password])

    async def bearer(self, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD
                     ) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(username, password)}"}

    async def create_user(self, username: str, *roles: str, password: str = "Planner-Pass-2024!"
                          ) -> dict[str, str]:
        admin = await self.bearer()
        created = await self.client.post(
            "/v1/users", json={"username": username, "password": password, "roles": list(roles)},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        return await self.bearer(username, password)

    async def create_key(self, *roles: str, name: str = "mes-line-1") -> dict[str, Any]:
        created = await self.client.post(
            "/v1/api-keys", json={"name": name, "roles": list(roles)}, headers=await self.bearer()
        )
        assert created.status_code == 201, created.text
        return dict(created.json())


def default_routes(stubs: Mapping[str, FastAPI]) -> dict[str, httpx.AsyncBaseTransport]:
    return {host_of(name): httpx.ASGITransport(app=app) for name, app in stubs.items()}


@asynccontextmanager
async def gateway_stack(
    database_factory: Factory,
    *,
    with_catalog: bool = True,
    down: Iterable[str] = (),
    stubs: Mapping[str, FastAPI] | None = None,
    extra_routes: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    gateway_database_url: str | None = None,
    upstreams: Mapping[str, str] | None = None,
    **overrides: Any,
) -> AsyncIterator[GatewayStack]:
    """A running gateway in front of an in-process catalog (real DB) and stub services."""
    async with AsyncExitStack() as stack:
        stub_apps = dict(stubs) if stubs is not None else {
            name: stub_service(name) for name in UPSTREAM_SERVICES if name != "catalog"
        }
        routes = default_routes({k: v for k, v in stub_apps.items() if k not in down})
        catalog_client = None
        if with_catalog and "catalog" not in down:
            catalog_app = await _catalog_app(database_factory)
            await stack.enter_async_context(catalog_app.router.lifespan_context(catalog_app))
            routes[host_of("catalog")] = httpx.ASGITransport(app=catalog_app)
            catalog_client = await stack.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=catalog_app), base_url="http://catalog.direct"))
        routes.update(extra_routes or {})
        transport = HostDispatch(routes)
        settings = Settings(**_settings_values(
            gateway_database_url or await database_factory("gateway"), upstreams, overrides))
        app = create_gateway_app(settings, http_transport=transport)
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"))
        yield GatewayStack(client, app, settings, transport, catalog_client)
        await transport.aclose()


async def _catalog_app(database_factory: Factory) -> FastAPI:
    settings = CatalogSettings(database_url=await database_factory("catalog"),
                               internal_token_secret=TEST_SECRET, run_background_tasks=False)
    return create_catalog_app(settings)


def _settings_values(
    database_url: str, upstreams: Mapping[str, str] | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "database_url": database_url,
        "internal_token_secret": TEST_SECRET,
        "jwt_secret": TEST_JWT_SECRET,
        "admin_username": ADMIN_USERNAME,
        "admin_password": ADMIN_PASSWORD,
        "upstreams": {name: f"http://{host_of(name)}" for name in UPSTREAM_SERVICES}
        | dict(upstreams or {}),
        "openapi_cache_seconds": 0,
    }
    values.update(overrides)
    return values
