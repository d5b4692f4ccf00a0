"""The application factory every service builds on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from shared.client import ServiceClient
from shared.db.database import Database
from shared.events.consumer import FeedConsumer, Subscription, nudge_router
from shared.events.feed import Nudger
from shared.events.feed import router as feed_router
from shared.http.audit import router as audit_router
from shared.http.examples import example_response
from shared.http.idempotency import IdempotencyStore
from shared.http.middleware import HttpMetrics, RequestContextMiddleware
from shared.http.problems import (
    install_problem_handlers,
    install_problem_openapi,
    problem_response,
    problem_responses,
)
from shared.logging import configure_logging, get_logger
from shared.runtime import freeze_heap
from shared.settings import ServiceSettings

log = get_logger(__name__)


class Health(BaseModel):
    status: str
    service: str


def _health_example(status: str, service: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of `/healthz` or `/readyz` as `service` gives it, for the docs."""
    example = {"status": status, "service": service}
    return example_response(example)


def health_router(service: str) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(
        "/healthz",
        response_model=Health,
        operation_id="healthz",
        responses=_health_example("ok", service),
    )
    async def healthz() -> Health:
        """The process is up."""
        return Health(status="ok", service=service)

    @router.get(
        "/readyz",
        response_model=Health,
        operation_id="readyz",
        responses={**_health_example("ready", service), **problem_responses(503)},
    )
    async def readyz(request: Request) -> Response:
        """The database answers and is migrated to the newest revision."""
        db: Database = request.app.state.db
        try:
            ready = await db.is_ready()
        except Exception as exc:
            log.warning("readyz_failed", error=repr(exc))
            ready = False
        if not ready:
            return problem_response(
                request,
                status=503,
                code="not_ready",
                title="Not ready",
                detail="the database is unreachable or not migrated to the newest revision",
            )
        return JSONResponse(Health(status="ready", service=service).model_dump())

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        registry = request.app.state.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def _purge_idempotency_keys(store: IdempotencyStore) -> None:
    while True:
        try:
            removed = await store.purge_expired()
            if removed:
                log.info("idempotency_keys_purged", removed=removed)
        except Exception as exc:
            log.warning("idempotency_purge_failed", error=repr(exc))
        await asyncio.sleep(3600)


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    subscriptions: Sequence[Subscription] = (),
    http_transport: httpx.AsyncBaseTransport | None = None,
    version: str = "0.1.0",
    workers: Sequence[Callable[[FastAPI], Coroutine[Any, Any, None]]] = (),
) -> FastAPI:
    """A service app: health, metrics, problem+json, audit, event feed and consumers.

    `workers` are the service's own background loops (started with the consumers when
    `run_background_tasks` is on, cancelled at shutdown); each gets the app."""
    service = settings.service_name

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service, settings.log_level, settings.log_json)
        db = Database(settings.database_url, service)
        client = ServiceClient(settings, transport=http_transport)
        nudger = Nudger(client, service, settings.event_subscribers)
        db.on_events_committed = nudger.events_committed
        app.state.db = db
        app.state.client = client
        app.state.idempotency = IdempotencyStore(
            db,
            ttl_hours=settings.idempotency_ttl_hours,
            lock_seconds=settings.idempotency_lock_seconds,
        )
        app.state.consumers = {
            sub.source: FeedConsumer(
                db,
                client,
                sub,
                poll_seconds=settings.event_poll_seconds,
                batch_size=sub.page_size,
            )
            for sub in subscriptions
        }
        background: list[asyncio.Task[None]] = []
        if settings.run_background_tasks:
            for consumer in app.state.consumers.values():
                consumer.start()
            background.append(asyncio.create_task(_purge_idempotency_keys(app.state.idempotency)))
            background.extend(asyncio.create_task(worker(app)) for worker in workers)
        if settings.freeze_heap_at_startup:
            freeze_heap()
        try:
            yield
        finally:
            for consumer in app.state.consumers.values():
                await consumer.stop()
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await nudger.drain()
            await client.aclose()
            await db.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = HttpMetrics(service)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    install_problem_handlers(app)
    install_problem_openapi(app)
    app.include_router(health_router(service))
    for router in routers:
        app.include_router(router)
    app.include_router(feed_router)
    app.include_router(audit_router)
    if subscriptions:
        app.include_router(nudge_router([sub.source for sub in subscriptions]))
    return app
