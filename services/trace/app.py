"""Trace service: lot and serial genealogy built from the other services' feeds."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.trace.api.lots import router as lots_router
from services.trace.settings import Settings
from services.trace.usecases.stock_feed import SOURCE, apply_stock_event
from shared.events.consumer import Subscription
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Trace",
        description="Lot and serial genealogy, backward and forward traces, recall reports.",
        routers=[lots_router],
        subscriptions=[Subscription(SOURCE, apply_stock_event)],
        http_transport=http_transport,
    )
