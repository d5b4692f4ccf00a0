"""Gateway: one address for every client; authenticates, limits, routes and documents."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from services.gateway.api import api_keys, auth, docs, health, users
from services.gateway.api.proxy import ProxyMiddleware
from services.gateway.http_client import upstream_client
from services.gateway.openapi import MergedOpenApi
from services.gateway.proxy import InternalTokens, Proxy, UpstreamMetrics
from services.gateway.ratelimit import RateLimiter
from services.gateway.security import Authenticator, authenticated
from services.gateway.settings import Settings
from services.gateway.upstreams import Upstreams
from services.gateway.usecases.users import create_first_admin
from shared.db.database import Database
from shared.http.audit import router as audit_router
from shared.http.context import current_principal
from shared.http.idempotency import IdempotencyStore
from shared.http.middleware import HttpMetrics, RequestContextMiddleware
from shared.http.problems import install_problem_handlers, install_problem_openapi
from shared.logging import configure_logging, get_logger
from shared.runtime import freeze_heap

log = get_logger(__name__)
SERVICE = "gateway"
DESCRIPTION = """One address for the inventory system. Send an access token from
`POST /v1/auth/token` or an API key as `Authorization: Bearer ...` (or `X-API-Key`).
Public `/v1/...` paths go to the service that owns them; every service is also mounted
whole at `/services/<name>/...` (its `/v1/events`, `/v1/audit`, `/readyz`...)."""

EXPOSED_HEADERS = ["ETag", "Location", "Retry-After", "X-Request-ID", "Idempotent-Replayed"]


async def bootstrap_admin(settings: Settings, db: Database) -> None:
    """Create the first admin from settings if the database has no user yet."""
    if settings.admin_username is None or settings.admin_password is None:
        return
    try:
        ready = await db.is_ready()
    except Exception as exc:  # unreachable: /readyz will say so; start anyway
        log.warning("first_admin_skipped", reason="the gateway database is unreachable",
                    error=repr(exc))
        return
    if not ready:
        log.warning("first_admin_skipped", reason="the gateway database is not migrated")
        return
    created = await create_first_admin(
        db, settings.admin_username, settings.admin_password.get_secret_value(),
        actor="system:bootstrap",
    )
    if created:
        log.info("first_admin_created", username=settings.admin_username)


def _lifespan(
    settings: Settings, transport: httpx.AsyncBaseTransport | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(SERVICE, settings.log_level, settings.log_json)
        db = Database(settings.database_url, SERVICE)
        http = upstream_client(settings, transport)
        _wire(app, settings, db, http)
        try:
            await bootstrap_admin(settings, db)
            if settings.freeze_heap_at_startup:
                freeze_heap()
            yield
        finally:
            await http.aclose()
            await db.dispose()

    return lifespan


def _wire(app: FastAPI, settings: Settings, db: Database, http: httpx.AsyncClient) -> None:
    state = app.state
    state.db = db
    state.http = http
    state.authenticator = Authenticator(settings, db)
    state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    state.idempotency = IdempotencyStore(
        db, ttl_hours=settings.idempotency_ttl_hours, lock_seconds=settings.idempotency_lock_seconds
    )
    state.upstreams = Upstreams(http, settings)
    tokens = InternalTokens(settings.internal_token_secret, settings.internal_token_ttl_seconds)
    state.proxy = Proxy(http, settings, tokens, state.upstream_metrics)
    state.openapi = MergedOpenApi(state.upstreams, settings.openapi_cache_seconds)


def _cors_options(settings: Settings) -> dict[str, Any]:
    return {
        "allow_origins": settings.cors_origins,
        "allow_credentials": settings.cors_allow_credentials,
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "expose_headers": EXPOSED_HEADERS,
        "max_age": 600,
    }


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The gateway app; `http_transport` replaces the network under the one pooled client."""
    settings = settings or Settings()
    app = FastAPI(
        title="Inventory API", description=DESCRIPTION, version="0.1.0",
        lifespan=_lifespan(settings, http_transport),
        openapi_url=None, docs_url=None, redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = HttpMetrics(SERVICE)
    app.state.upstream_metrics = UpstreamMetrics(app.state.metrics.registry)
    app.add_middleware(ProxyMiddleware, settings=settings)  # innermost: after CORS, request id
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, **_cors_options(settings))
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    install_problem_handlers(app)
    install_problem_openapi(app)  # the static document: no network, no lifespan
    for router in (health.router, docs.router, auth.router, users.router, api_keys.router,
                   audit_router):
        app.include_router(router)
    app.dependency_overrides[current_principal] = authenticated
    return app


def openapi_document(settings: Settings | None = None) -> dict[str, Any]:
    """The gateway's own static OpenAPI document (no services, no network): `make openapi`."""
    return create_app(settings).openapi()
