"""OpenAPI examples of the MES completion models (`completion_schemas.py`), on the demo
company (`make demo`, Lumen Audio): MES reports the 60 speakers LS1-009001..LS1-009060 of
WO-14-SPK packed out at ASM-1; their components, issued to SZ/ASM-1 by MR-00000054, are
backflushed by BOM and stock posts production receipt PR-00000054.
"""

from __future__ import annotations

from typing import Any

from services.mrp.order_examples import WORK_ORDER_COMPLETED

SERIALS = [f"LS1-{number:06d}" for number in range(9001, 9061)]

PRODUCED_IN: dict[str, Any] = {
    "item_code": "SPK-ONE-BLK",
    "quantity": "60",
    "serial_numbers": SERIALS,
    "quality_state": "qualified",
}

#: A line consuming by lot instead of the backflush: the cores of lot CORE-13.
CONSUMED_IN: dict[str, Any] = {
    "item_code": "ASM-ONE-CORE",
    "quantity": "60",
    "lot_number": "CORE-13",
}

#: No `consumed`: components are backflushed by BOM from the order's WIP location.
COMPLETION_IN: dict[str, Any] = {
    "event_id": "MES-WO14-1",
    "produced": [PRODUCED_IN],
    "operation": "0090 Pack-out",
    "station": "ASM-1",
    "operator": "Zhao",
    "result": "ok",
    "started_at": "2026-11-28T13:30:00+08:00",
    "finished_at": "2026-11-28T16:45:00+08:00",
}

RECORDED_AT = "2026-11-28T08:45:07.312845Z"

COMPLETION_OUT: dict[str, Any] = {
    "event_id": "MES-WO14-1",
    "work_order": WORK_ORDER_COMPLETED,
    "production_receipt_id": 54,
    "production_receipt_number": "PR-00000054",
    "produced_quantity": "60",
    "scrapped_quantity": "0",
    "backflushed": True,
    "recorded_at": RECORDED_AT,
}

COMPLETION_RECORD: dict[str, Any] = {
    "event_id": "MES-WO14-1",
    "production_receipt_number": "PR-00000054",
    "produced_quantity": "60",
    "scrapped_quantity": "0",
    "operation": "0090 Pack-out",
    "station": "ASM-1",
    "operator": "Zhao",
    "started_at": "2026-11-28T05:30:00Z",
    "finished_at": "2026-11-28T08:45:00Z",
    "recorded_at": RECORDED_AT,
    "recorded_by": "user:mes",
}
