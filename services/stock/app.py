"""Stock service: the system of record for where every unit is and in which state."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from prometheus_client import Gauge

from services.stock.api.approvals import router as approvals_router
from services.stock.api.defective_releases import router as defective_releases_router
from services.stock.api.inspections import router as inspections_router
from services.stock.api.inventory_health import router as inventory_health_router
from services.stock.api.ledger import router as ledger_router
from services.stock.api.locations import router as locations_router
from services.stock.api.movement_summary import router as movement_summary_router
from services.stock.api.opening_balances import router as opening_balances_router
from services.stock.api.periods import router as periods_router
from services.stock.api.production_receipts import router as production_receipts_router
from services.stock.api.receipts import router as receipts_router
from services.stock.api.report_query import definitions_router as report_definitions_router
from services.stock.api.report_query import router as report_query_router
from services.stock.api.reports import router as reports_router
from services.stock.api.requisitions import router as requisitions_router
from services.stock.api.reservations import router as reservations_router
from services.stock.api.scrap_returns import router as scrap_returns_router
from services.stock.api.serials import router as serials_router
from services.stock.api.shipments import router as shipments_router
from services.stock.api.stock_card import router as stock_card_router
from services.stock.api.stock_counts import router as stock_counts_router
from services.stock.api.stock_value import router as stock_value_router
from services.stock.api.transfers import router as transfers_router
from services.stock.settings import Settings
from services.stock.usecases import aggregation, catalog_feed
from shared.events.consumer import Subscription
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Stock",
        description="Locations, lots, the append-only ledger, balances by stage and quality "
        "state, and warehouse documents.",
        routers=[
            locations_router,
            receipts_router,
            inspections_router,
            transfers_router,
            requisitions_router,
            scrap_returns_router,
            ledger_router,
            stock_card_router,
            reports_router,
            stock_value_router,
            inventory_health_router,
            movement_summary_router,
            report_query_router,
            report_definitions_router,
            reservations_router,
            periods_router,
            serials_router,
            production_receipts_router,
            shipments_router,
            stock_counts_router,
            opening_balances_router,
            approvals_router,
            defective_releases_router,
        ],
        subscriptions=[
            Subscription(
                catalog_feed.SOURCE,
                catalog_feed.apply_catalog_event,
                batch_handler=catalog_feed.apply_catalog_events,
                page_size=500,
            )
        ],
        http_transport=http_transport,
        workers=[follow_ledger],
    )


async def follow_ledger(app: FastAPI) -> None:
    """The flows, closings and rollups follow the ledger (usecases/aggregation.py)."""
    if app.state.settings.aggregate_in_background:
        gauge = Gauge(
            "stock_aggregation_lag_movements",
            "Committed movements not yet in the flows, closings and rollups",
            registry=app.state.metrics.registry,
        )
        await aggregation.follow(app.state.db, app.state.metrics.quiet_for, gauge.set)
