"""Workflow service: approval flows with conditions and time limits over the organisation,
rules over stock, to-dos and notifications, fed by the other services' events."""

from __future__ import annotations

import httpx
import structlog
from fastapi import FastAPI

from services.workflow.api.approvals import inbox as inbox_router
from services.workflow.api.approvals import router as approvals_router
from services.workflow.api.flows import router as flows_router
from services.workflow.api.mobile import router as mobile_router
from services.workflow.api.notifications import router as notifications_router
from services.workflow.api.org import calendars as calendars_router
from services.workflow.api.org import router as org_router
from services.workflow.api.rules import router as rules_router
from services.workflow.api.rules import todo_router
from services.workflow.api.webhooks import router as webhooks_router
from services.workflow.runtime import dispatcher_of, runner_of
from services.workflow.settings import Settings
from services.workflow.usecases import feeds, stock_feed
from services.workflow.usecases.rules import switch_on
from shared.events.consumer import Subscription
from shared.http.app import create_service_app

log = structlog.get_logger(__name__)


async def run_runner(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    unknown = await switch_on(app.state.db, settings.rules_on)
    if unknown:
        log.warning("unknown_rules_switched_on", rules=unknown)
    await runner_of(app).run_forever()


async def run_webhooks(app: FastAPI) -> None:
    await dispatcher_of(app).run_forever()


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Workflow",
        description="Approval flows with conditions and time limits, the organisation they "
        "route through, working calendars, each person's inbox, rules that watch stock, "
        "to-dos, notifications by DingTalk, WeCom, SMS, e-mail and webhooks, and event "
        "webhooks for integrators: the catalog's, stock's, mrp's and workflow's events, "
        "signed the Standard Webhooks way, in order per subscription.",
        routers=[
            flows_router,
            approvals_router,
            inbox_router,
            org_router,
            calendars_router,
            rules_router,
            todo_router,
            notifications_router,
            mobile_router,
            webhooks_router,
        ],
        subscriptions=[
            Subscription(
                stock_feed.SOURCE,
                stock_feed.apply_stock_event,
                batch_handler=stock_feed.apply_stock_events,
                page_size=500,
            ),
            Subscription(feeds.MRP, feeds.apply_mrp_event, batch_handler=feeds.apply_mrp_events),
            Subscription(
                feeds.CATALOG, feeds.apply_catalog_event, batch_handler=feeds.apply_catalog_events
            ),
        ],
        http_transport=http_transport,
        workers=[run_runner, run_webhooks],
    )
