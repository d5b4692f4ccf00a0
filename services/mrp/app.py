"""MRP service: demands, orders and planning runs (domain features arrive with issue #5)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.mrp.settings import Settings
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="MRP",
        description="Demands, purchase and work orders, MRP runs, material checks.",
        routers=[],
        http_transport=http_transport,
    )
