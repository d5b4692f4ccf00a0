"""OpenAPI examples of the MRP run models (`run_schemas.py`): answers copied from the demo
company (`make demo`, Lumen Audio), requests that succeed on its data.

MRP run 1 (MRP-00000001, the planner's regenerative run) and its outputs: planned order
148 buys 10,000 R0402-10K (a Yageo reel) for three PCBA-MAIN planned orders, firmed below
as purchase order PO-1501; the material check of WO-14-SPK; what free stock builds of
SPK-ONE-BLK.
"""

from __future__ import annotations

from typing import Any

# --- runs ------------------------------------------------------------------------------

CALENDAR_IN: dict[str, Any] = {"weekend": [5, 6], "holidays": ["2027-01-01"]}

FORECAST_CONSUMPTION_IN: dict[str, Any] = {"backward_days": 30, "forward_days": 0}

#: Run 1's options: every item, today, substitutes used, sales orders consuming forecast.
RUN_CREATE: dict[str, Any] = {
    "mode": "regenerative",
    "item_codes": [],
    "run_date": None,
    "include_pending_inspection": False,
    "use_substitutes": True,
    "reschedule_out_days": 3,
    "calendar": None,
    "forecast_consumption": FORECAST_CONSUMPTION_IN,
}

RUN_SUMMARY: dict[str, Any] = {
    "items_planned": 1988,
    "demands": 15,
    "scheduled_receipts": 2,
    "planned_orders": 244,
    "planned_buy": 204,
    "planned_make": 40,
    "pegs": 334,
    "exceptions": 60,
    "shortages": 42,
    "late_planned_orders": 59,
    "substitutions": 4,
    "bom_line_problems": [],
    "seconds_reading": 0.272,
    "seconds_planning": 0.127,
    "seconds_storing": 0.1,
    "stock_ledger_sequence": 4534,
}

RUN: dict[str, Any] = {
    "id": 1,
    "number": "MRP-00000001",
    "mode": "regenerative",
    "status": "completed",
    "run_date": "2026-11-28",
    "options": RUN_CREATE,
    "summary": RUN_SUMMARY,
    "catalog_stamp": 10,
    "started_at": "2026-11-28T05:12:30.665094Z",
    "finished_at": "2026-11-28T05:12:31.169471Z",
    "created_by": "user:admin",
}

# --- planned orders --------------------------------------------------------------------

PEG: dict[str, Any] = {
    "quantity": "1160",
    "demand_ref": None,
    "parent_order": 116,
    "required_on": "2026-11-28",
    "safety_stock": False,
}

DEMAND_SHARE: dict[str, Any] = {"demand_ref": "SO-9001/1", "quantity": "1160"}

PLANNED_ORDER: dict[str, Any] = {
    "id": 148,
    "run_id": 1,
    "number": 148,
    "item_code": "R0402-10K",
    "procurement": "buy",
    "quantity": "10000",
    "release_date": "2026-11-07",
    "due_date": "2026-11-28",
    "bom_id": None,
    "low_level_code": 3,
    "status": "planned",
    "firmed_as": "",
    "approval": "not_required",
    "approval_ref": "",
    "pegs": [
        PEG,
        {
            "quantity": "4896",
            "demand_ref": None,
            "parent_order": 117,
            "required_on": "2026-12-05",
            "safety_stock": False,
        },
        {
            "quantity": "3944",
            "demand_ref": None,
            "parent_order": 118,
            "required_on": "2026-12-12",
            "safety_stock": False,
        },
    ],
    "demands": [
        DEMAND_SHARE,
        {"demand_ref": "SO-9002/1", "quantity": "4896"},
        {"demand_ref": "SO-9003/1", "quantity": "3944"},
    ],
}

EXCEPTION: dict[str, Any] = {
    "kind": "release_past",
    "item_code": "R0402-10K",
    "ref": "planned:148",
    "message": "planned order 148 due 2026-11-28 should have been released on 2026-11-07",
    "quantity": "10000",
    "current_date": "2026-11-07",
    "suggested_date": "2026-11-28",
}

SHORTAGE: dict[str, Any] = {
    "item_code": "R0402-10K",
    "first_short_on": "2026-11-28",
    "quantity": "74600",
    "late_quantity": "20000",
}

SUBSTITUTION: dict[str, Any] = {
    "primary_code": "C0603-10U",
    "substitute_code": "C0603-10U-SAM",
    "primary_quantity": "656",
    "substitute_quantity": "656",
    "required_on": "2026-12-05",
    "demand_ref": None,
    "parent_order": 117,
}

# --- firming ---------------------------------------------------------------------------

#: Firm planned order 148 as a purchase order to Yageo.
FIRM_REQUEST: dict[str, Any] = {
    "number": "PO-1501",
    "supplier": "Yageo",
    "quantity": "10000",
    "due_date": "2026-11-28",
}

FIRM_OUT: dict[str, Any] = {
    "approval": "not_required",
    "planned_order": PLANNED_ORDER | {"status": "firmed", "firmed_as": "PO-1501"},
    "purchase_order_id": 1,
    "work_order_id": None,
    "order_number": "PO-1501",
}

#: Workflow's instance 3 approves the firming of planned order 148 held by a closed gate.
APPROVAL_DECISION: dict[str, Any] = {
    "decision": "approved",
    "reference": "workflow:3",
    "reason": "",
}

#: What `APPROVAL_DECISION` answers: the held request firmed.
FIRM_APPROVED: dict[str, Any] = FIRM_OUT | {
    "approval": "approved",
    "planned_order": FIRM_OUT["planned_order"]
    | {"approval": "approved", "approval_ref": "workflow:3"},
}

APPROVAL_GATE_IN: dict[str, Any] = {"required": True, "flow": "Planned order firming"}

#: The demo's gate: never closed, firming needs no approval.
APPROVAL_GATE_OUT: dict[str, Any] = {
    "document_type": "planned_order_firming",
    "required": False,
    "flow": "",
    "updated_at": None,
    "updated_by": None,
}

#: What `APPROVAL_GATE_IN` answers.
APPROVAL_GATE_CLOSED: dict[str, Any] = {
    "document_type": "planned_order_firming",
    "required": True,
    "flow": "Planned order firming",
    "updated_at": "2026-11-28T06:10:02.518340Z",
    "updated_by": "service:workflow",
}

# --- material --------------------------------------------------------------------------

MATERIAL_ROW: dict[str, Any] = {
    "level": 1,
    "path": ["SPK-ONE-BLK", "ASM-ONE-CORE"],
    "item_code": "ASM-ONE-CORE",
    "parent_code": "SPK-ONE-BLK",
    "required": "0",
    "available": "0",
    "short": "0",
    "covered_on": "2026-11-28",
    "substitute_available": "0",
    "make": True,
}

MATERIAL_TOTAL: dict[str, Any] = {
    "item_code": "ASM-ONE-CORE",
    "required": "0",
    "available": "0",
    "short": "0",
    "covered_on": "2026-11-28",
}

#: WO-14-SPK (2 of its 7 rows): everything was issued to SZ/ASM-1 by MR-00000054.
MATERIAL_CHECK: dict[str, Any] = {
    "work_order": "WO-14-SPK",
    "item_code": "SPK-ONE-BLK",
    "quantity": "60",
    "bom_revision": "A",
    "on": "2026-11-28",
    "complete": True,
    "earliest_complete_on": "2026-11-28",
    "rows": [
        MATERIAL_ROW,
        {
            "level": 1,
            "path": ["SPK-ONE-BLK", "ADP-5V2A"],
            "item_code": "ADP-5V2A",
            "parent_code": "SPK-ONE-BLK",
            "required": "0",
            "available": "0",
            "short": "0",
            "covered_on": "2026-11-28",
            "substitute_available": "0",
            "make": False,
        },
    ],
    "totals": [
        MATERIAL_TOTAL,
        {
            "item_code": "ADP-5V2A",
            "required": "0",
            "available": "0",
            "short": "0",
            "covered_on": "2026-11-28",
        },
    ],
}

BUILDABLE: dict[str, Any] = {
    "item_code": "SPK-ONE-BLK",
    "on": "2026-11-28",
    "quantity": "105",
    "limiting": ["R0402-10K", "C0402-100N"],
}
