"""OpenAPI examples of the order models (`schemas.py`): answers copied from the demo
company (`make demo`, Lumen Audio), requests that succeed on its data.

Sales orders SO-9001.., the sales plan's forecasts, the open demand view, work order
WO-14-SPK (60 speakers, its components issued), the material usage of WO-09-MCU; the
demo has no purchase orders, so the purchase order is the one firming planned order 148
of MRP run 1 (`run_examples.FIRM_OUT`) makes.
"""

from __future__ import annotations

from typing import Any

# --- sales orders ----------------------------------------------------------------------

ORDER_LINE_IN: dict[str, Any] = {
    "item_code": "SPK-ONE-BLK",
    "quantity": "500",
    "due_date": "2027-01-16",
}

SALES_ORDER_CREATE: dict[str, Any] = {
    "number": "SO-9007",
    "customer": "Maple Electronics Canada",
    "note": "spring restock",
    "lines": [ORDER_LINE_IN],
}

SALES_ORDER_LINE: dict[str, Any] = {
    "line_no": 1,
    "item_code": "SPK-ONE-BLK",
    "quantity": "300",
    "due_date": "2026-12-05",
    "shipped_quantity": "0",
    "open_quantity": "300",
}

SALES_ORDER: dict[str, Any] = {
    "id": 1,
    "number": "SO-9001",
    "customer": "JD Logistics Shenzhen DC",
    "status": "open",
    "note": "",
    "lines": [SALES_ORDER_LINE],
    "version": 1,
    "created_at": "2026-11-28T05:12:29.931898Z",
    "created_by": "user:admin",
    "updated_at": "2026-11-28T05:12:29.931898Z",
    "updated_by": "user:admin",
}

# --- forecasts -------------------------------------------------------------------------

FORECAST_IN: dict[str, Any] = {
    "item_code": "SPK-ONE-BLK",
    "quantity": "1800",
    "due_date": "2027-03-28",
    "note": "sales plan",
}

FORECAST_CREATE: dict[str, Any] = {"forecasts": [FORECAST_IN]}

FORECAST: dict[str, Any] = {
    "id": 1,
    "number": "FC-00000001",
    "item_code": "SPK-ONE-BLK",
    "quantity": "1200",
    "due_date": "2026-12-28",
    "status": "active",
    "note": "sales plan",
    "created_at": "2026-11-28T05:12:30.582495Z",
    "created_by": "user:admin",
}

#: What `FORECAST_CREATE` answers.
FORECAST_BATCH: dict[str, Any] = {
    "forecasts": [
        {
            "id": 4,
            "number": "FC-00000004",
            "item_code": "SPK-ONE-BLK",
            "quantity": "1800",
            "due_date": "2027-03-28",
            "status": "active",
            "note": "sales plan",
            "created_at": "2026-11-28T06:05:41.217630Z",
            "created_by": "user:ann",
        }
    ]
}

# --- the demand view -------------------------------------------------------------------

DEMAND: dict[str, Any] = {
    "kind": "sales_order",
    "ref": "SO-9001/1",
    "item_code": "SPK-ONE-BLK",
    "quantity": "300",
    "due_date": "2026-12-05",
}

# --- purchase orders -------------------------------------------------------------------

PURCHASE_ORDER_CREATE: dict[str, Any] = {
    "number": "PO-1502",
    "supplier": "TI",
    "note": "TAS5805MPWPR for the December builds",
    "lines": [{"item_code": "IC-AMP-TAS", "quantity": "2000", "due_date": "2026-12-12"}],
}

PURCHASE_ORDER_LINE: dict[str, Any] = {
    "line_no": 1,
    "item_code": "R0402-10K",
    "quantity": "10000",
    "due_date": "2026-11-28",
    "received_quantity": "0",
    "open_quantity": "10000",
}

PURCHASE_ORDER: dict[str, Any] = {
    "id": 1,
    "number": "PO-1501",
    "supplier": "Yageo",
    "status": "open",
    "note": "from planned order MRP-00000001/148",
    "planned_order": "MRP-00000001/148",
    "lines": [PURCHASE_ORDER_LINE],
    "version": 1,
    "created_at": "2026-11-28T06:02:11.408233Z",
    "created_by": "user:ann",
    "updated_at": "2026-11-28T06:02:11.408233Z",
    "updated_by": "user:ann",
}

# --- changes of open orders ------------------------------------------------------------

ORDER_LINE_CHANGE: dict[str, Any] = {"line_no": 1, "quantity": "300", "due_date": "2026-12-12"}

ORDER_CHANGE: dict[str, Any] = {
    "note": "moved out one week at the customer's request",
    "lines": [ORDER_LINE_CHANGE],
}

# --- work orders -----------------------------------------------------------------------

WORK_ORDER_CREATE: dict[str, Any] = {
    "number": "WO-15-SPK",
    "item_code": "SPK-ONE-BLK",
    "quantity": "200",
    "start_date": "2026-12-03",
    "due_date": "2026-12-05",
    "bom_revision": "A",
    "wip_location_code": "SZ/ASM-1",
    "output_location_code": "SZ/FG",
    "note": "for SO-9001",
    "release": True,
}

WORK_ORDER_RELEASE: dict[str, Any] = {"bom_revision": "A"}

#: Reschedule WO-14-SPK as MRP run 1's `postpone` message suggests.
WORK_ORDER_CHANGE: dict[str, Any] = {
    "due_date": "2026-12-05",
    "note": "postponed: first needed on 2026-12-05 (MRP-00000001)",
}


def _component(position: int, code: str, per: int, consumed: int = 0) -> dict[str, Any]:
    """A component of WO-14-SPK (60 speakers), issued in full by MR-00000054."""
    required = str(60 * per)
    return {
        "position": position,
        "item_code": code,
        "quantity_per": str(per),
        "fixed_quantity": "0",
        "required_quantity": required,
        "backflush": False,
        "reserved_quantity": "0",
        "issued_quantity": required,
        "consumed_quantity": str(consumed * per),
        "open_quantity": "0",
    }


WORK_ORDER_COMPONENT: dict[str, Any] = _component(10, "ASM-ONE-CORE", 1)

#: WO-14-SPK (3 of its 7 components).
WORK_ORDER: dict[str, Any] = {
    "id": 54,
    "number": "WO-14-SPK",
    "item_code": "SPK-ONE-BLK",
    "quantity": "60",
    "status": "in_progress",
    "start_date": "2026-11-28",
    "due_date": "2026-11-30",
    "bom_id": 7,
    "bom_revision": "A",
    "wip_location_code": "SZ/ASM-1",
    "output_location_code": "SZ/FG",
    "produced_quantity": "0",
    "scrapped_quantity": "0",
    "open_quantity": "60",
    "planned_order": "",
    "note": "",
    "components": [
        WORK_ORDER_COMPONENT,
        _component(20, "ADP-5V2A", 1),
        _component(70, "PKG-LABEL-SN", 2),
    ],
    "released_at": "2026-11-28T05:12:22.896991Z",
    "version": 2,
    "created_at": "2026-11-28T05:12:22.897157Z",
    "created_by": "user:admin",
    "updated_at": "2026-11-28T05:12:26.446046Z",
    "updated_by": "user:admin",
}

#: WO-14-SPK once MES reported its 60 speakers (`completion_examples.COMPLETION_IN`):
#: components backflushed from SZ/ASM-1 by PR-00000054.
WORK_ORDER_COMPLETED: dict[str, Any] = WORK_ORDER | {
    "status": "completed",
    "produced_quantity": "60",
    "open_quantity": "0",
    "components": [
        _component(10, "ASM-ONE-CORE", 1, consumed=60),
        _component(20, "ADP-5V2A", 1, consumed=60),
        _component(70, "PKG-LABEL-SN", 2, consumed=60),
    ],
    "version": 3,
    "updated_at": "2026-11-28T08:45:07.312845Z",
    "updated_by": "user:mes",
}

# --- material usage (用料差异) -----------------------------------------------------------

MATERIAL_USAGE_LINE: dict[str, Any] = {
    "position": 10,
    "item_code": "IC-ESP32S3",
    "in_bom": True,
    "quantity_per": "1.005",
    "fixed_quantity": "0",
    "standard_quantity": "211.05",
    "issued_quantity": "212",
    "consumed_quantity": "212",
    "variance_quantity": "0.95",
    "variance_percent": "0.45",
    "unit_cost": "3.1",
    "standard_value": "654.255",
    "actual_value": "657.2",
    "variance_value": "2.945",
}

#: WO-09-MCU, as finance and admin see it (the other roles: no value fields).
MATERIAL_USAGE: dict[str, Any] = {
    "work_order_id": 35,
    "number": "WO-09-MCU",
    "item_code": "IC-MCU-PRG",
    "status": "completed",
    "quantity": "210",
    "bom_revision": "A",
    "produced_quantity": "210",
    "scrapped_quantity": "0",
    "standard_basis_quantity": "210",
    "components": [MATERIAL_USAGE_LINE],
    "components_over": 1,
    "components_under": 0,
    "standard_value": "654.255",
    "actual_value": "657.2",
    "variance_value": "2.945",
    "values_complete": True,
}

USAGE_VARIANCE_ROW: dict[str, Any] = {
    "work_order_id": 35,
    "number": "WO-09-MCU",
    "item_code": "IC-MCU-PRG",
    "status": "completed",
    "quantity": "210",
    "produced_quantity": "210",
    "scrapped_quantity": "0",
    "updated_at": "2026-11-28T05:11:42.413152Z",
    "components_over": 1,
    "components_under": 0,
    "largest_variance_percent": "0.45",
    "standard_value": "654.255",
    "actual_value": "657.2",
    "variance_value": "2.945",
    "values_complete": True,
}

USAGE_VARIANCES: dict[str, Any] = {
    "items": [
        USAGE_VARIANCE_ROW,
        {
            "work_order_id": 29,
            "number": "WO-07-MCU",
            "item_code": "IC-MCU-PRG",
            "status": "completed",
            "quantity": "240",
            "produced_quantity": "240",
            "scrapped_quantity": "0",
            "updated_at": "2026-11-28T05:11:23.425299Z",
            "components_over": 1,
            "components_under": 0,
            "largest_variance_percent": "0.33",
            "standard_value": "747.72",
            "actual_value": "750.2",
            "variance_value": "2.48",
            "values_complete": True,
        },
    ],
    "sorted_by": "variance_value",
    "more": True,
}
