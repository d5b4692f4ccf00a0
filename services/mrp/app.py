"""MRP service: demands, purchase and work orders, MRP runs, material checks, MES
completions."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.mrp.api.firming_approval import router as firming_approval_router
from services.mrp.api.material import router as material_router
from services.mrp.api.material_usage import router as material_usage_router
from services.mrp.api.orders import router as orders_router
from services.mrp.api.runs import router as runs_router
from services.mrp.api.work_orders import completions_router
from services.mrp.api.work_orders import router as work_orders_router
from services.mrp.settings import Settings
from services.mrp.usecases.stock_feed import SOURCE, apply_stock_event, apply_stock_events
from shared.events.consumer import Subscription
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="MRP",
        description=(
            "Demands (sales orders, forecasts), purchase and work orders kept current from "
            "stock's feed, MRP runs (time-phased, multi-level, lot-sized, pegged), "
            "material checks, usage variances and MES completions."
        ),
        routers=[
            orders_router,
            material_router,
            material_usage_router,
            completions_router,
            work_orders_router,
            runs_router,
            firming_approval_router,
        ],
        subscriptions=[Subscription(SOURCE, apply_stock_event, batch_handler=apply_stock_events)],
        http_transport=http_transport,
    )
