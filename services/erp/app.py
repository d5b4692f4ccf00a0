"""ERP connector: movement types, company books and their account maps (account
determination), on the way to vouchers for Kingdee and Yonyou."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.erp.api.books import router as books_router
from services.erp.api.movement_types import router as movement_types_router
from services.erp.settings import Settings
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="ERP connector",
        description="Movement types, company books and account determination for the "
        "accounting vouchers stock's movements give.",
        routers=[movement_types_router, books_router],
        http_transport=http_transport,
    )
