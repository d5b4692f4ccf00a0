"""Trace service: lot and serial genealogy built from the other services' feeds."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.trace.api.genealogy import router as genealogy_router
from services.trace.api.operations import router as operations_router
from services.trace.api.recalls import router as recalls_router
from services.trace.settings import Settings
from services.trace.usecases import mrp_feed, stock_feed
from shared.events.consumer import Subscription
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Trace",
        description="Lot and serial genealogy, backward and forward traces, recall reports.",
        routers=[genealogy_router, recalls_router, operations_router],
        subscriptions=[
            Subscription(
                stock_feed.SOURCE,
                stock_feed.apply_stock_event,
                batch_handler=stock_feed.apply_stock_events,
                page_size=500,
            ),
            Subscription(mrp_feed.SOURCE, mrp_feed.apply_mrp_event),
        ],
        http_transport=http_transport,
    )
