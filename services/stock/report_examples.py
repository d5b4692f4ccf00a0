"""OpenAPI examples of the stock reports: the demo company's own answers (issue #10).

Answers are copied from the demo (`make demo`, Lumen Audio, as of 2026-11-28), trimmed to
a few rows where a report has many; values are shown as finance and admin see them. The
report query's answers are the engine's on the demo data; a saved report definition is
written as the service answers it. Requests are ones that succeed on the demo data. Pure
data: the schema modules import it, it imports nothing of theirs.
"""

from __future__ import annotations

from typing import Any

Example = dict[str, Any]

# --- dead stock ------------------------------------------------------------------------------

#: The end-of-life amplifier, not issued since August.
DEAD_STOCK_ITEM: Example = {
    "item_code": "IC-AMP-TPA",
    "quantity": "5250",
    "value": "7087.5",
    "last_issue_at": "2026-08-24T08:40:00Z",
    "last_movement_at": "2026-08-24T08:40:00Z",
    "idle_since": "2026-08-24T08:40:00Z",
    "idle_days": 95,
    "locations": ["SZ/RAW/A-01"],
}
#: The substitute capacitor, received and never issued.
_NEVER_ISSUED: Example = {
    "item_code": "C0603-10U-SAM",
    "quantity": "8000",
    "value": "84",
    "last_issue_at": None,
    "last_movement_at": "2026-05-31T02:00:00Z",
    "idle_since": "2026-05-30T09:30:00Z",
    "idle_days": 181,
    "locations": ["SZ/RAW/A-01"],
}
#: `GET /v1/reports/dead-stock`
DEAD_STOCK: Example = {
    "idle_days": 90,
    "as_of": "2026-11-28T05:19:45.226726Z",
    "items": [DEAD_STOCK_ITEM, _NEVER_ISSUED],
    "total_items": 2,
    "total_value": "7171.5",
}

# --- aging -----------------------------------------------------------------------------------

AGING_BUCKET: Example = {"label": "0-30", "min_days": 0, "max_days": 30}
_AGING_BUCKETS = [
    AGING_BUCKET,
    {"label": "31-90", "min_days": 31, "max_days": 90},
    {"label": "91-180", "min_days": 91, "max_days": 180},
    {"label": "181-365", "min_days": 181, "max_days": 365},
    {"label": "over 365", "min_days": 366, "max_days": None},
]
_LABELS = [bucket["label"] for bucket in _AGING_BUCKETS]


def _cells(*pairs: tuple[str, str]) -> list[Example]:
    """One aging cell per band from (quantity, value) pairs, youngest first."""
    return [
        {"label": label, "quantity": quantity, "value": value}
        for label, (quantity, value) in zip(_LABELS, pairs, strict=True)
    ]


_NONE = ("0", "0")
#: IC-AMP-TAS of the bad lot IC-AMP-TAS-L01, received on 2026-09-05.
AGING_CELL: Example = {"label": "31-90", "quantity": "1230", "value": "1291.5"}
AGING_ROW: Example = {
    "key": "IC-AMP-TAS",
    "item_name": "Class-D amplifier 2x23W, digital input",
    "uom": "pcs",
    "buckets": _cells(_NONE, ("1230", "1291.5"), _NONE, _NONE, _NONE),
    "quantity": "1230",
    "value": "1291.5",
    "expired_quantity": "0",
    "expired_value": "0",
}
#: `GET /v1/reports/aging` (three of the 41 item rows)
AGING: Example = {
    "as_of": "2026-11-28T05:19:45.917346Z",
    "report_date": "2026-11-28",
    "group_by": "item",
    "buckets": _AGING_BUCKETS,
    "rows": [
        AGING_ROW,
        {
            "key": "R0402-10K",
            "item_name": "Resistor 10k 0402 1%",
            "uom": "pcs",
            "buckets": _cells(_NONE, ("1288", "1.0304"), _NONE, ("100", "0.08"), _NONE),
            "quantity": "1388",
            "value": "1.1104",
            "expired_quantity": "0",
            "expired_value": "0",
        },
        {
            "key": "SPK-ONE-BLK",
            "item_name": "Lumen One smart speaker, black",
            "uom": "pcs",
            "buckets": _cells(("40", "862.965695"), _NONE, _NONE, _NONE, _NONE),
            "quantity": "40",
            "value": "862.965695",
            "expired_quantity": "0",
            "expired_value": "0",
        },
    ],
    "totals": _cells(
        ("13323", "7557.078255"),
        ("16744", "3129.7696"),
        ("93", "9.068"),
        ("41740", "11570.298"),
        _NONE,
    ),
    "total_quantity": "71900",
    "total_value": "22266.213855",
    "expired_quantity": "0",
    "expired_value": "0",
}

# --- turnover --------------------------------------------------------------------------------

TURNOVER_PERIOD: Example = {
    "label": "2026-11",
    "start": "2026-11-01",
    "end": "2026-11-28",
    "days": 28,
}
TURNOVER_CELL: Example = {
    "label": "2026-11",
    "issued_value": "21214.220515",
    "average_inventory_value": "20181.765957",
    "turnover": "1.0512",
    "days_of_supply": "26.6",
}
_TURNOVER_CELLS = [
    {
        "label": "2026-09",
        "issued_value": "17708.69857",
        "average_inventory_value": "18326.44896",
        "turnover": "0.9663",
        "days_of_supply": "31.0",
    },
    {
        "label": "2026-10",
        "issued_value": "16456.017225",
        "average_inventory_value": "18975.449782",
        "turnover": "0.8672",
        "days_of_supply": "35.7",
    },
    TURNOVER_CELL,
]
_TURNOVER_OVERALL: Example = {
    "label": "2026-09..2026-11",
    "issued_value": "55378.93631",
    "average_inventory_value": "19136.200661",
    "turnover": "2.8939",
    "days_of_supply": "30.8",
}
#: The speaker's row of `GET /v1/reports/turnover?periods=3&group_by=item`.
TURNOVER_ROW: Example = {
    "key": "SPK-ONE-BLK",
    "item_name": "Lumen One smart speaker, black",
    "periods": [
        {
            "label": "2026-09",
            "issued_value": "6082.45424",
            "average_inventory_value": "1828.545227",
            "turnover": "3.3264",
            "days_of_supply": "9.0",
        },
        {
            "label": "2026-10",
            "issued_value": "4533.816385",
            "average_inventory_value": "1483.730569",
            "turnover": "3.0557",
            "days_of_supply": "10.1",
        },
        {
            "label": "2026-11",
            "issued_value": "5825.902185",
            "average_inventory_value": "1903.504156",
            "turnover": "3.0606",
            "days_of_supply": "9.1",
        },
    ],
    "overall": {
        "label": "2026-09..2026-11",
        "issued_value": "16442.17281",
        "average_inventory_value": "1732.023829",
        "turnover": "9.4930",
        "days_of_supply": "9.4",
    },
}
#: `GET /v1/reports/turnover?periods=3` (the whole stock, month by month)
TURNOVER: Example = {
    "period": "month",
    "date_from": "2026-09-01",
    "date_to": "2026-11-28",
    "group_by": "total",
    "periods": [
        {"label": "2026-09", "start": "2026-09-01", "end": "2026-09-30", "days": 30},
        {"label": "2026-10", "start": "2026-10-01", "end": "2026-10-31", "days": 31},
        TURNOVER_PERIOD,
    ],
    "rows": [
        {
            "key": None,
            "item_name": None,
            "periods": _TURNOVER_CELLS,
            "overall": _TURNOVER_OVERALL,
        }
    ],
    "total_rows": 1,
    "totals": _TURNOVER_CELLS,
    "overall": _TURNOVER_OVERALL,
}

# --- stock value -----------------------------------------------------------------------------

STOCK_VALUE_CELL: Example = {
    "stage": "finished",
    "quality_state": "qualified",
    "quantity": "30",
    "value": "647.224271",
}
_SZ_VALUE_CELLS = [
    {"stage": "raw", "quality_state": "pending_inspection", "quantity": "5200", "value": "1992"},
    {"stage": "raw", "quality_state": "qualified", "quantity": "65822", "value": "18090.4656"},
    {"stage": "raw", "quality_state": "defective", "quantity": "358", "value": "26.47"},
    {"stage": "wip", "quality_state": "qualified", "quantity": "480", "value": "1294.31256"},
]
#: The Dongguan warehouse: finished speakers only.
STOCK_VALUE_ROW: Example = {
    "key": "DG",
    "item_name": None,
    "uom": "pcs",
    "cells": [STOCK_VALUE_CELL],
    "quantity": "30",
    "value": "647.224271",
}
#: `GET /v1/reports/stock-value` (per warehouse, at the end of today)
STOCK_VALUE: Example = {
    "as_of_date": "2026-11-28",
    "group_by": "warehouse",
    "rows": [
        STOCK_VALUE_ROW,
        {
            "key": "SZ",
            "item_name": None,
            "uom": "pcs",
            "cells": [
                *_SZ_VALUE_CELLS,
                {
                    "stage": "finished",
                    "quality_state": "qualified",
                    "quantity": "10",
                    "value": "215.741424",
                },
            ],
            "quantity": "71870",
            "value": "21618.989584",
        },
    ],
    "totals": [
        *_SZ_VALUE_CELLS,
        {
            "stage": "finished",
            "quality_state": "qualified",
            "quantity": "40",
            "value": "862.965695",
        },
    ],
    "total_quantity": "71900",
    "total_value": "22266.213855",
}

# --- movement summary ------------------------------------------------------------------------

#: Every kind in November so far.
MOVEMENT_MEASURES: Example = {
    "uom": "pcs",
    "received_quantity": "18310",
    "received_value": "24259.31845",
    "issued_quantity": "35493",
    "issued_value": "21214.340515",
    "moved_in_quantity": "49881",
    "moved_out_quantity": "49881",
    "net_quantity": "-17183",
    "net_value": "3044.977935",
    "movements": 1031,
}
#: The speakers shipped in November.
MOVEMENT_SUMMARY_ROW: Example = {
    "uom": "pcs",
    "received_quantity": "0",
    "received_value": "0",
    "issued_quantity": "270",
    "issued_value": "5825.902185",
    "moved_in_quantity": "0",
    "moved_out_quantity": "0",
    "net_quantity": "-270",
    "net_value": "-5825.902185",
    "movements": 270,
    "kind": "shipment",
    "key": None,
    "item_name": None,
}
#: `GET /v1/reports/movement-summary` (this month; three of its seven kinds)
MOVEMENT_SUMMARY: Example = {
    "date_from": "2026-11-01",
    "date_to": "2026-11-28",
    "group_by": "kind",
    "rows": [
        {
            "uom": "pcs",
            "received_quantity": "17000",
            "received_value": "8871",
            "issued_quantity": "0",
            "issued_value": "0",
            "moved_in_quantity": "0",
            "moved_out_quantity": "0",
            "net_quantity": "17000",
            "net_value": "8871",
            "movements": 17,
            "kind": "purchase_receipt",
            "key": None,
            "item_name": None,
        },
        {
            "uom": "pcs",
            "received_quantity": "0",
            "received_value": "0",
            "issued_quantity": "0",
            "issued_value": "0",
            "moved_in_quantity": "35699",
            "moved_out_quantity": "35699",
            "net_quantity": "0",
            "net_value": "0",
            "movements": 184,
            "kind": "requisition",
            "key": None,
            "item_name": None,
        },
        MOVEMENT_SUMMARY_ROW,
    ],
    "totals": MOVEMENT_MEASURES,
}

# --- inventory health ------------------------------------------------------------------------

STAGE_VALUE: Example = {"stage": "raw", "value": "20108.9356"}
HEALTH_STOCK_VALUE: Example = {
    "as_of_date": "2026-11-28",
    "total_value": "22266.213855",
    "stages": [
        {"stage": "finished", "value": "862.965695"},
        STAGE_VALUE,
        {"stage": "wip", "value": "1294.31256"},
    ],
}
BELOW_SAFETY_ITEM: Example = {
    "item_code": "IC-ESP32S3",
    "item_name": "SoC ESP32-S3 dual-core Wi-Fi/BLE",
    "uom": "pcs",
    "safety_stock": "800",
    "available": "469",
    "shortage": "331",
    "shortage_percent": "41.38",
}
BELOW_SAFETY_STOCK: Example = {
    "count": 3,
    "items": [
        BELOW_SAFETY_ITEM,
        {
            "item_code": "DRV-WOOFER",
            "item_name": "Woofer 57 mm 4 ohm 15 W",
            "uom": "pcs",
            "safety_stock": "300",
            "available": "280",
            "shortage": "20",
            "shortage_percent": "6.67",
        },
        {
            "item_code": "PCB-MAIN",
            "item_name": "Main board bare PCB, 4 layers",
            "uom": "pcs",
            "safety_stock": "300",
            "available": "280",
            "shortage": "20",
            "shortage_percent": "6.67",
        },
    ],
}
HEALTH_DEAD_STOCK: Example = {
    "idle_days": 90,
    "total_items": 2,
    "total_value": "7171.5",
    "top": [DEAD_STOCK_ITEM, _NEVER_ISSUED],
}
HEALTH_AGED: Example = {"older_than_days": 180, "value": "11570.298", "share_percent": "51.96"}
#: A kept workbook's link token (`GET /v1/report-files/{token}`).
REPORT_FILE_TOKEN = "dDUNgOViGv-ilw42_SSi4cromiysHnHDDAIq6YgeVvk"
REPORT_FILE: Example = {
    "url": f"/v1/report-files/{REPORT_FILE_TOKEN}",
    "filename": "inventory-health-2026-11-28.xlsx",
    "expires_at": "2026-12-05T05:19:53.674049Z",
}
#: `GET /v1/reports/inventory-health`
INVENTORY_HEALTH: Example = {
    "as_of": "2026-11-28T05:19:53.674049Z",
    "stock_value": HEALTH_STOCK_VALUE,
    "below_safety_stock": BELOW_SAFETY_STOCK,
    "dead_stock": HEALTH_DEAD_STOCK,
    "aged": HEALTH_AGED,
    "file": None,
}
#: `POST /v1/reports/inventory-health/files`: the same check, with its kept workbook.
INVENTORY_HEALTH_FILE: Example = INVENTORY_HEALTH | {"file": REPORT_FILE}

# --- report query and definitions ------------------------------------------------------------

REPORT_FILTERS: Example = {"date_from": "2026-09-01", "date_to": "2026-11-27", "category": ["IC"]}
SORT_KEY: Example = {"by": "month", "direction": "asc"}
#: `POST /v1/reports/query`: the ICs issued, and their stock value, month by month.
REPORT_QUERY: Example = {
    "measures": ["issued_quantity", "issued_value", "value"],
    "dimensions": ["month"],
    "filters": REPORT_FILTERS,
    "sort": [SORT_KEY],
    "limit": 100,
}
REPORT_SERIES: Example = {"name": "issued_quantity", "data": ["1522", "1622", "2031"]}
REPORT_CHART: Example = {
    "labels": ["2026-09", "2026-10", "2026-11"],
    "series": [
        REPORT_SERIES,
        {"name": "issued_value", "data": ["1250.6", "1419.6", "1447.2"]},
        {"name": "value", "data": ["12986.5", "11566.9", "11669.7"]},
    ],
}
#: The answer to `REPORT_QUERY`.
REPORT_RESULT: Example = {
    "measures": ["issued_quantity", "issued_value", "value"],
    "dimensions": ["month"],
    "columns": ["month", "issued_quantity", "issued_value", "value"],
    "date_from": "2026-09-01",
    "date_to": "2026-11-27",
    "rows": [
        {
            "month": "2026-09",
            "issued_quantity": "1522",
            "issued_value": "1250.6",
            "value": "12986.5",
        },
        {
            "month": "2026-10",
            "issued_quantity": "1622",
            "issued_value": "1419.6",
            "value": "11566.9",
        },
        {
            "month": "2026-11",
            "issued_quantity": "2031",
            "issued_value": "1447.2",
            "value": "11669.7",
        },
    ],
    "total_rows": 3,
    "chart": REPORT_CHART,
}
_DEFINITION_QUERY: Example = {
    "measures": ["issued_quantity", "quantity"],
    "dimensions": ["month"],
    "filters": {"date_from": "2026-09-01", "item_code": ["IC-AMP-TAS"]},
}
#: `POST /v1/report-definitions` by ann (planner): the amplifier's use, shared with the
#: warehouse (quantities only, so every role it is shared with may run it).
REPORT_DEFINITION_IN: Example = {
    "name": "IC-AMP-TAS use by month",
    "description": "TAS5805M amplifiers issued to production and left in stock, per month",
    "query": _DEFINITION_QUERY,
    "format": "json",
    "shared_with_roles": ["warehouse"],
}
#: The saved definition: its query as checked, defaults filled in.
REPORT_DEFINITION: Example = {
    "id": 1,
    "name": "IC-AMP-TAS use by month",
    "description": "TAS5805M amplifiers issued to production and left in stock, per month",
    "query": {
        "measures": ["issued_quantity", "quantity"],
        "dimensions": ["month"],
        "filters": {
            "date_from": "2026-09-01",
            "date_to": None,
            "item_code": ["IC-AMP-TAS"],
            "category": None,
            "item_type": None,
            "stage": None,
            "quality_state": None,
            "warehouse": None,
            "location_code": None,
            "kind": None,
            "supplier": None,
            "customer": None,
        },
        "sort": [],
        "limit": 1000,
    },
    "format": "json",
    "shared_with_roles": ["warehouse"],
    "owner": "user:ann",
    "version": 1,
    "created_at": "2026-11-28T06:02:11.532871Z",
    "updated_at": "2026-11-28T06:02:11.532871Z",
}
#: `GET /v1/report-definitions/1/result`: the definition run today (its date_to: today).
REPORT_DEFINITION_RESULT: Example = {
    "measures": ["issued_quantity", "quantity"],
    "dimensions": ["month"],
    "columns": ["month", "issued_quantity", "quantity"],
    "date_from": "2026-09-01",
    "date_to": "2026-11-28",
    "rows": [
        {"month": "2026-09", "issued_quantity": "220", "quantity": "1780"},
        {"month": "2026-10", "issued_quantity": "220", "quantity": "1560"},
        {"month": "2026-11", "issued_quantity": "330", "quantity": "1230"},
    ],
    "total_rows": 3,
    "chart": {
        "labels": ["2026-09", "2026-10", "2026-11"],
        "series": [
            {"name": "issued_quantity", "data": ["220", "220", "330"]},
            {"name": "quantity", "data": ["1780", "1560", "1230"]},
        ],
    },
}
