"""The catalog's and mrp's feeds as workflow takes them (stock's: `stock_feed`).

* catalog: BOM versions held for release (`approval_feed`);
* mrp: planned orders held for firming (`approval_feed`), and purchase orders, which
  close the items' purchase to-dos (`todos`).

Every event of either also becomes a delivery for each webhook subscription that wants
it (`webhooks.enqueue_events`), in the same unit of work as the consumer's cursor.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.workflow.usecases import todos
from services.workflow.usecases.approval_feed import APPROVAL_EVENTS, apply_approval_event
from services.workflow.usecases.webhooks import enqueue_events
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

CATALOG, MRP = "catalog", "mrp"


async def apply_catalog_event(uow: UnitOfWork, event: FeedEvent) -> None:
    await apply_catalog_events(uow, [event])


async def apply_catalog_events(uow: UnitOfWork, events: Sequence[FeedEvent]) -> None:
    """A page of the catalog's events: their webhook deliveries queued at once, then each
    applied in order (its audit rows under its own request id, as one at a time)."""
    await enqueue_events(uow.session, CATALOG, events)
    for event in events:
        uow.request_id = event.request_id
        await apply_approval_event(uow, CATALOG, event)


async def apply_mrp_event(uow: UnitOfWork, event: FeedEvent) -> None:
    await apply_mrp_events(uow, [event])


async def apply_mrp_events(uow: UnitOfWork, events: Sequence[FeedEvent]) -> None:
    """A page of mrp's events: their webhook deliveries queued at once, then each applied
    in order (its audit rows under its own request id, as one at a time)."""
    await enqueue_events(uow.session, MRP, events)
    for event in events:
        uow.request_id = event.request_id
        if event.type in APPROVAL_EVENTS:
            await apply_approval_event(uow, MRP, event)
        else:
            await todos.apply_mrp_event(uow, event)
