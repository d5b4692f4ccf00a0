"""Applying mrp's events: work orders (item, BOM revision, status) and MES operations.

* `WorkOrder*` events keep `trace_work_orders` current, so every lot or unit a work order
  produced shows the BOM revision it was built to (as built), whichever feed came first.
* `OperationRecorded` (a completion MES reported to mrp) becomes a step of its work order:
  operation, station, operator, times and result.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.trace.db.models import TraceOperation
from services.trace.db.queries import ensure_work_order, insert_for, table_of
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

SOURCE = "mrp"

WORK_ORDER_EVENTS = frozenset(
    {
        "WorkOrderCreated",
        "WorkOrderReleased",
        "WorkOrderChanged",
        "WorkOrderClosed",
        "WorkOrderCancelled",
    }
)


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


async def apply_mrp_event(uow: UnitOfWork, event: FeedEvent) -> None:
    payload = event.payload
    if event.type in WORK_ORDER_EVENTS:
        await ensure_work_order(
            uow.session,
            str(payload["number"]),
            event.occurred_at,
            item_code=str(payload.get("item_code") or ""),
            bom_revision=str(payload.get("bom_revision") or ""),
            status=str(payload.get("status") or ""),
            quantity=payload.get("quantity"),
        )
    elif event.type == "OperationRecorded":
        await ensure_work_order(
            uow.session,
            str(payload["work_order"]),
            event.occurred_at,
            item_code=str(payload.get("item_code") or ""),
            bom_revision=str(payload.get("bom_revision") or ""),
        )
        await uow.session.execute(
            insert_for(uow.session, table_of(TraceOperation)).on_conflict_do_nothing(
                index_elements=["record_id"]
            ),
            [
                {
                    "record_id": f"mrp:{payload['event_id']}",
                    "source": SOURCE,
                    "kind": "operation",
                    "work_order": str(payload["work_order"]),
                    "node_id": None,
                    "operation": str(payload.get("operation") or ""),
                    "station": str(payload.get("station") or ""),
                    "operator": str(payload.get("operator") or ""),
                    "result": str(payload.get("result") or ""),
                    "started_at": _when(payload.get("started_at")),
                    "finished_at": _when(payload.get("finished_at")),
                    "details": {
                        "production_receipt": payload.get("production_receipt"),
                        "scrap_quantity": payload.get("scrap_quantity"),
                        "produced": payload.get("produced") or [],
                        "consumed": payload.get("consumed") or [],
                    },
                    "fingerprint": "",
                    "recorded_at": event.occurred_at,
                }
            ],
        )
