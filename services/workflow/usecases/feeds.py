"""The catalog's and mrp's feeds as workflow takes them (stock's: `stock_feed`).

* catalog: BOM versions held for release (`approval_feed`);
* mrp: planned orders held for firming (`approval_feed`), and purchase orders, which
  close the items' purchase to-dos (`todos`).
"""

from __future__ import annotations

from services.workflow.usecases import todos
from services.workflow.usecases.approval_feed import APPROVAL_EVENTS, apply_approval_event
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

CATALOG, MRP = "catalog", "mrp"


async def apply_catalog_event(uow: UnitOfWork, event: FeedEvent) -> None:
    await apply_approval_event(uow, CATALOG, event)


async def apply_mrp_event(uow: UnitOfWork, event: FeedEvent) -> None:
    if event.type in APPROVAL_EVENTS:
        await apply_approval_event(uow, MRP, event)
    else:
        await todos.apply_mrp_event(uow, event)
