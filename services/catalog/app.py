"""Catalog service: the single source of what things are and how they are built."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.catalog.api.items import router as items_router
from services.catalog.settings import Settings
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Catalog",
        description="Items and units; later BOM versions, routings, where-used and imports.",
        routers=[items_router],
        http_transport=http_transport,
    )
