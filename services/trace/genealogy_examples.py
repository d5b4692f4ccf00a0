"""OpenAPI examples of the genealogy and recall models: the demo company's (`make demo`).

Answers are copied from the running demo (Lumen Audio), trimmed: a backward trace of the
speaker LS1-000700 (shipped to Maple Electronics Canada) keeps one branch per level, and
the forward trace and recall report of the bad amplifier lot IC-AMP-TAS-L01 keep a few
nodes, customers and shipments. The quarantine answer is the guided tour's (after MES
reported WO-14-SPK's 60 speakers). Used by `schemas.py` (`json_schema_extra`) and
`api/genealogy.py`.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

_NOT_PURCHASED = {
    "supplier": "",
    "supplier_lot": "",
    "date_code": "",
    "purchase_order": "",
    "receipt_number": "",
}
_NOT_SOLD = {"sales_order": "", "customer": ""}


def _made_lot(
    node_id: int, item_code: str, lot: str, work_order: str, day: str, revision: str = "A"
) -> dict[str, Any]:
    """A lot a work order made (to BOM `revision`), consumed since."""
    return {
        "id": node_id,
        "kind": "lot",
        "item_code": item_code,
        "lot_number": lot,
        "serial_number": None,
        "work_order": work_order,
        "bom_revision": revision,
        **_NOT_PURCHASED,
        "receipt_date": day,
        "expiry_date": None,
        "status": "consumed",
        "in_stock": [],
        **_NOT_SOLD,
    }


def _speaker(node_id: int, serial: str, work_order: str, **where: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "kind": "serial",
        "item_code": "SPK-ONE-BLK",
        "lot_number": None,
        "serial_number": serial,
        "work_order": work_order,
        "bom_revision": "A",
        **_NOT_PURCHASED,
        "receipt_date": None,
        "expiry_date": None,
        "status": "shipped",
        "in_stock": [],
        **_NOT_SOLD,
        **where,
    }


# --- nodes -------------------------------------------------------------------------------

#: Where IC-AMP-TAS-L01 is now.
PLACE_OUT: dict[str, Any] = {
    "location_code": "SZ/RAW/A-01",
    "quality_state": "qualified",
    "quantity": "1230",
}
#: The incoming inspection of IC-AMP-TAS-L01 (it passed: TI's ESD notice came later).
QC_RECORD_OUT: dict[str, Any] = {
    "kind": "inspection",
    "document_number": "QC-00000074",
    "result": "accepted",
    "inspector": "Sun Hao",
    "accepted_quantity": "2000",
    "rejected_quantity": "0",
    "occurred_at": "2026-09-06T02:00:00Z",
}
#: The pack-out MES reported to mrp for WO-14-SPK (the guided tour's completion).
STEP_OUT: dict[str, Any] = {
    "record_id": "mrp:MES-WO14-1",
    "source": "mrp",
    "operation": "0090 Pack-out",
    "station": "ASM-1",
    "operator": "Zhao",
    "result": "ok",
    "started_at": None,
    "finished_at": None,
}
#: The bad supplier lot: TI's TI381179, received on GR-00000037 for PO-0802.
NODE_OUT: dict[str, Any] = {
    "id": 816,
    "kind": "lot",
    "item_code": "IC-AMP-TAS",
    "lot_number": "IC-AMP-TAS-L01",
    "serial_number": None,
    "work_order": None,
    "bom_revision": None,
    "supplier": "TI",
    "supplier_lot": "TI381179",
    "date_code": "2628",
    "purchase_order": "PO-0802",
    "receipt_number": "GR-00000037",
    "receipt_date": "2026-09-05",
    "expiry_date": None,
    "status": "in_stock",
    "in_stock": [PLACE_OUT],
    **_NOT_SOLD,
}
#: The lot's receipt, first in its history.
HISTORY_OUT: dict[str, Any] = {
    "seq": 2620,
    "action": "received",
    "document_type": "purchase_receipt",
    "document_number": "GR-00000037",
    "from_location": "VIRTUAL/SUPPLIER",
    "to_location": "SZ/RAW/A-01",
    "from_state": "pending_inspection",
    "to_state": "pending_inspection",
    "quantity": "2000",
    "work_order": "",
    **_NOT_SOLD,
    "occurred_at": "2026-09-05T03:30:00Z",
}
#: `GET /v1/genealogy/node?item_code=IC-AMP-TAS&lot_number=IC-AMP-TAS-L01` (history trimmed).
NODE_DETAIL: dict[str, Any] = {
    **NODE_OUT,
    "history": [  # received, inspected, first issued to the SMT line (of 14 movements)
        HISTORY_OUT,
        {
            "seq": 2622,
            "action": "inspected",
            "document_type": "inspection",
            "document_number": "QC-00000074",
            "from_location": "SZ/RAW/A-01",
            "to_location": "SZ/RAW/A-01",
            "from_state": "pending_inspection",
            "to_state": "qualified",
            "quantity": "2000",
            "work_order": "",
            **_NOT_SOLD,
            "occurred_at": "2026-09-06T02:00:00Z",
        },
        {
            "seq": 2634,
            "action": "issued",
            "document_type": "requisition",
            "document_number": "MR-00000030",
            "from_location": "SZ/RAW/A-01",
            "to_location": "SZ/SMT-1",
            "from_state": "qualified",
            "to_state": "qualified",
            "quantity": "110",
            "work_order": "WO-08-MAIN",
            **_NOT_SOLD,
            "occurred_at": "2026-09-07T00:10:00Z",
        },
    ],
    "steps": [],
    "qc_records": [QC_RECORD_OUT],
}

# --- backward: LS1-000700 down to the supplier lots ---------------------------------------

_LS1_000700 = _speaker(
    765, "LS1-000700", "WO-07-SPK", sales_order="SO-0024", customer="Maple Electronics Canada"
)
_CORE_07 = _made_lot(684, "ASM-ONE-CORE", "CORE-07", "WO-07-CORE", "2026-08-25")
_MAIN_07 = _made_lot(683, "PCBA-MAIN", "MAIN-07", "WO-07-MAIN", "2026-08-24")
_MCU_07 = _made_lot(682, "IC-MCU-PRG", "MCU-07", "WO-07-MCU", "2026-08-24")
#: The Espressif lot programmed into MCU-07: a leaf of LS1-000700's trace.
SUPPLIER_LOT_OUT: dict[str, Any] = {
    "id": 143,
    "kind": "lot",
    "item_code": "IC-ESP32S3",
    "lot_number": "IC-ESP32S3-L02",
    "serial_number": None,
    "work_order": None,
    "bom_revision": None,
    "supplier": "Espressif",
    "supplier_lot": "ES318504",
    "date_code": "2621",
    "purchase_order": "PO-0309",
    "receipt_number": "GR-00000017",
    "receipt_date": "2026-06-27",
    "expiry_date": None,
    "status": "consumed",
    "in_stock": [],
    **_NOT_SOLD,
}
_ESP32_QC = {
    "kind": "inspection",
    "document_number": "QC-00000039",
    "result": "accepted",
    "inspector": "Sun Hao",
    "accepted_quantity": "500",
    "rejected_quantity": "0",
    "occurred_at": "2026-06-28T02:00:00Z",
}
#: (node, work order joining it to its parent, quantity along that link, QC records)
_CHAIN: list[tuple[dict[str, Any], str | None, str | None, list[dict[str, Any]]]] = [
    (_LS1_000700, None, None, []),
    (_CORE_07, "WO-07-SPK", "130", []),
    (_MAIN_07, "WO-07-CORE", "130", []),
    (_MCU_07, "WO-07-MAIN", "130", []),
    (SUPPLIER_LOT_OUT, "WO-07-MCU", "242", [_ESP32_QC]),
]


def _tree(depth: int = 0) -> dict[str, Any]:
    node, via, quantity, qc_records = _CHAIN[depth]
    return {
        **node,
        "depth": depth,
        "via_work_order": via,
        "link": "consumed" if via else None,
        "quantity": quantity,
        "steps": [],
        "qc_records": qc_records,
        "repeated": False,
        "children": [_tree(depth + 1)] if depth + 1 < len(_CHAIN) else [],
    }


#: LS1-000700 and one branch per level: CORE-07, MAIN-07, MCU-07, IC-ESP32S3-L02.
TRACE_NODE_OUT: dict[str, Any] = _tree()
#: C0402-100N-L02 met again under MAIN-07 (shown in full under LED-07).
TRACE_REF_OUT: dict[str, Any] = {
    "id": 224,
    "kind": "lot",
    "item_code": "C0402-100N",
    "lot_number": "C0402-100N-L02",
    "serial_number": None,
    "depth": 3,
    "via_work_order": "WO-07-MAIN",
    "link": "consumed",
    "quantity": "2387",
    "repeated": True,
}
#: `GET /v1/genealogy/backward?item_code=SPK-ONE-BLK&serial_number=LS1-000700` (35 nodes,
#: 30 supplier lots; trimmed).
BACKWARD_TRACE_OUT: dict[str, Any] = {
    "root": TRACE_NODE_OUT,
    "depth_limit": None,
    "complete": True,
    "node_count": 35,
    "supplier_lots": [SUPPLIER_LOT_OUT],
}
#: A node of the graph: MCU-07, three links below LS1-000700.
GRAPH_NODE_OUT: dict[str, Any] = {**_MCU_07, "depth": 3, "steps": [], "qc_records": []}
#: MAIN-07 consumed MCU-07 (130) on WO-07-MAIN.
GRAPH_EDGE_OUT: dict[str, Any] = {
    "parent_id": 683,
    "child_id": 682,
    "work_order": "WO-07-MAIN",
    "link": "consumed",
    "quantity": "130",
}
#: The same trace with `&shape=graph` (trimmed to the same branch).
BACKWARD_GRAPH_OUT: dict[str, Any] = {
    "root_id": 765,
    "depth_limit": None,
    "complete": True,
    "node_count": 35,
    "nodes": [
        {**node, "depth": depth, "steps": [], "qc_records": qc_records}
        for depth, (node, _via, _quantity, qc_records) in enumerate(_CHAIN)
    ],
    "edges": [
        {
            "parent_id": parent[0]["id"],
            "child_id": child[0]["id"],
            "work_order": child[1],
            "link": "consumed",
            "quantity": child[2],
        }
        for parent, child in pairwise(_CHAIN)
    ],
    "supplier_lots": [SUPPLIER_LOT_OUT],
}

# --- forward and recall: IC-AMP-TAS-L01 up to the speakers --------------------------------

_LS1_000751 = _speaker(
    820, "LS1-000751", "WO-08-SPK", sales_order="SO-0025", customer="Dubai Tech Souq"
)
_LS1_001376 = _speaker(
    1486,
    "LS1-001376",
    "WO-13-SPK",
    status="in_stock",
    in_stock=[{"location_code": "DG/FG", "quality_state": "qualified", "quantity": "1"}],
)
_CORE_13 = {
    **_made_lot(1438, "ASM-ONE-CORE", "CORE-13", "WO-13-CORE", "2026-11-17"),
    "status": "in_stock",
    "in_stock": [{"location_code": "SZ/ASM-1", "quality_state": "qualified", "quantity": "60"}],
}
#: A shipped speaker with the bad amplifier inside, three levels up.
FORWARD_NODE_OUT: dict[str, Any] = {**_LS1_000751, "depth": 3, "via_work_order": "WO-08-SPK"}
_FORWARD_NODES = [
    {
        **_made_lot(819, "PCBA-MAIN", "MAIN-08", "WO-08-MAIN", "2026-09-07", "B"),
        "depth": 1,
        "via_work_order": "WO-08-MAIN",
    },
    {
        **_made_lot(818, "ASM-ONE-CORE", "CORE-08", "WO-08-CORE", "2026-09-07"),
        "depth": 2,
        "via_work_order": "WO-08-CORE",
    },
    FORWARD_NODE_OUT,
]
#: LS1-000751 on shipment SH-00000025.
SHIPMENT_OUT: dict[str, Any] = {
    "node_id": 820,
    "item_code": "SPK-ONE-BLK",
    "lot_number": None,
    "serial_number": "LS1-000751",
    "quantity": "1",
    "sales_order": "SO-0025",
    "customer": "Dubai Tech Souq",
    "document_number": "SH-00000025",
    "shipped_at": "2026-09-11T08:20:00Z",
}
#: `GET /v1/genealogy/forward?item_code=IC-AMP-TAS&lot_number=IC-AMP-TAS-L01` (722 nodes and
#: 670 shipments; trimmed).
FORWARD_TRACE_OUT: dict[str, Any] = {
    "start": NODE_OUT,
    "depth_limit": None,
    "complete": True,
    "nodes": _FORWARD_NODES,
    "shipments": [SHIPMENT_OUT],
}
STATE_COUNT: dict[str, Any] = {"status": "shipped", "nodes": 670}
#: A customer with speakers of the bad lot.
CUSTOMER_IMPACT: dict[str, Any] = {
    "customer": "Dubai Tech Souq",
    "sales_orders": ["SO-0025", "SO-0045"],
    "units": 65,
    "quantity": "65",
}
#: `GET /v1/recalls/report?item_code=IC-AMP-TAS&lot_number=IC-AMP-TAS-L01` (710 finished,
#: 20 customers, 670 shipments, 42 to quarantine; trimmed).
RECALL_REPORT_OUT: dict[str, Any] = {
    "start": NODE_OUT,
    "counts": [
        {"status": "consumed", "nodes": 11},
        {"status": "in_stock", "nodes": 41},
        STATE_COUNT,
    ],
    "finished": [
        FORWARD_NODE_OUT,
        {**_LS1_001376, "depth": 3, "via_work_order": "WO-13-SPK"},
    ],
    "customers": [
        {
            "customer": "Audio Plaza Taipei",
            "sales_orders": ["SO-0038"],
            "units": 40,
            "quantity": "40",
        },
        CUSTOMER_IMPACT,
        {
            "customer": "Maple Electronics Canada",
            "sales_orders": ["SO-0044"],
            "units": 20,
            "quantity": "20",
        },
    ],
    "shipments": [SHIPMENT_OUT],
    "quarantine_locations": ["DG/QA", "SZ/QA"],
    "to_quarantine": [
        {**NODE_OUT, "depth": 0, "via_work_order": None},
        {**_CORE_13, "depth": 2, "via_work_order": "WO-13-CORE"},
        {**_LS1_001376, "depth": 3, "via_work_order": "WO-13-SPK"},
    ],
    "quarantined": [],
}

#: `POST /v1/recalls/quarantine`: everything of the bad lot still ours, to Shenzhen's QA.
QUARANTINE_IN: dict[str, Any] = {
    "item_code": "IC-AMP-TAS",
    "lot_number": "IC-AMP-TAS-L01",
    "to_location_code": "SZ/QA",
    "note": "TI ESD notice",
}
#: The lot itself, moved from the raw material store.
QUARANTINE_TRANSFER: dict[str, Any] = {
    "from_location_code": "SZ/RAW/A-01",
    "transfer_number": "TR-00000021",
    "lines": 1,
    "quantity": "1230",
}
#: The answer to `QUARANTINE_IN`: one transfer per location holding recalled stock.
QUARANTINE_OUT: dict[str, Any] = {
    "start": NODE_OUT,
    "to_location_code": "SZ/QA",
    "transfers": [
        {
            "from_location_code": "DG/FG",
            "transfer_number": "TR-00000019",
            "lines": 1,
            "quantity": "30",
        },
        {
            "from_location_code": "SZ/FG",
            "transfer_number": "TR-00000020",
            "lines": 1,
            "quantity": "70",
        },
        QUARANTINE_TRANSFER,
    ],
    "already_there": 0,
}

#: `POST /v1/genealogy/rebuild` on the demo: both feeds replayed from their start.
REBUILD_OUT: dict[str, Any] = {
    "events_applied": {"stock": 5137, "mrp": 322},
    "mes_records": 0,
    "nodes": 1572,
    "links": 2279,
}
