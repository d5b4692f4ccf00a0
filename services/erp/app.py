"""ERP connector: movement types, company books and their account maps (account
determination), and the accounting vouchers stock's movements give, pulled by the ERP."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.erp.api.books import router as books_router
from services.erp.api.movement_types import router as movement_types_router
from services.erp.api.reconciliation import router as reconciliation_router
from services.erp.api.vouchers import router as vouchers_router
from services.erp.settings import Settings
from services.erp.usecases import catalog_feed, pushes, revaluations, stock_feed
from shared.events.consumer import Subscription
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None,
    *,
    http_transport: httpx.AsyncBaseTransport | None = None,
    erp_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`erp_transport` carries the pushes to Kingdee and U8 (tests give local fakes)."""
    app = create_service_app(
        settings or Settings(),
        title="ERP connector",
        description="Movement types, company books and account determination, and the "
        "accounting vouchers stock's movements give (pulled and acknowledged by the ERP).",
        routers=[movement_types_router, books_router, vouchers_router, reconciliation_router],
        subscriptions=[
            Subscription(
                stock_feed.SOURCE,
                stock_feed.apply_stock_event,
                batch_handler=stock_feed.apply_stock_events,
                page_size=500,
            ),
            Subscription(
                catalog_feed.SOURCE,
                catalog_feed.apply_catalog_event,
                batch_handler=catalog_feed.apply_catalog_events,
                page_size=500,
            ),
        ],
        http_transport=http_transport,
        workers=[pushes.run, revaluations.run],
    )
    app.state.erp_transport = erp_transport
    return app
