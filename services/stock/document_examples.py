"""OpenAPI examples of the stock documents: the demo company's own data (issue #10).

Answers are copied from the demo (`make demo`, Lumen Audio), trimmed to a few list items
where a document has many lines or movements; documents the demo never posts (scraps,
returns, defective releases, opening balances, reservations) are written as the service
answers them. Requests are ones that succeed on the demo data. Pure data: the schema
modules import it, it imports nothing of theirs.
"""

from __future__ import annotations

from typing import Any

Example = dict[str, Any]

# --- locations, lots, movements, balances ----------------------------------------------------

#: `GET /v1/locations/by-code/SZ/RAW/A-01`
LOCATION: Example = {
    "id": 9,
    "code": "SZ/RAW/A-01",
    "name": "Raw store rack A-01 (ICs, passives)",
    "location_type": "storage",
    "parent_code": "SZ/RAW",
    "is_virtual": False,
    "active": True,
    "version": 1,
    "created_at": "2026-11-28T05:10:03.711968Z",
}
LOCATION_CREATE: Example = {
    "code": "SZ/RAW/D-01",
    "name": "Raw store rack D-01 (drivers, cables)",
    "location_type": "storage",
    "parent_code": "SZ/RAW",
}
#: The bad supplier lot of TI amplifiers (received on GR-00000037).
LOT: Example = {
    "id": 66,
    "item_code": "IC-AMP-TAS",
    "lot_number": "IC-AMP-TAS-L01",
    "supplier": "TI",
    "supplier_lot": "TI381179",
    "date_code": "2628",
    "purchase_order": "PO-0802",
    "receipt_date": "2026-09-05",
    "expiry_date": None,
    "work_order": "",
    "created_at": "2026-11-28T05:11:29.141593Z",
}
#: A movement's fields when it reverses nothing and names no order, supplier or customer.
_UNREFERENCED: Example = {
    "reversal_of_id": None,
    "purchase_order": "",
    "work_order": "",
    "sales_order": "",
    "supplier": "",
    "customer": "",
}
#: GR-00000037's movement: the lot arrives pending inspection.
MOVEMENT: Example = {
    "id": 2280,
    "document_type": "purchase_receipt",
    "document_id": 37,
    "item_code": "IC-AMP-TAS",
    "lot_number": "IC-AMP-TAS-L01",
    "serial_number": None,
    "quantity": "2000",
    "from_location": "VIRTUAL/SUPPLIER",
    "to_location": "SZ/RAW/A-01",
    "from_state": "pending_inspection",
    "to_state": "pending_inspection",
    "stage": "raw",
    "sequence": 2280,
    "unit_cost": "1.05",
    "value": "2100",
    "posted_at": "2026-09-05T03:30:00Z",
    "posted_by": "user:admin",
    **_UNREFERENCED,
    "purchase_order": "PO-0802",
    "supplier": "TI",
}
#: `GET /v1/balances?item_code=R0402-10K`
BALANCE: Example = {
    "item_code": "R0402-10K",
    "location_code": "SZ/RAW/A-01",
    "lot_number": "R0402-10K-L02",
    "serial_number": None,
    "quality_state": "qualified",
    "stage": "raw",
    "quantity": "1288",
    "updated_at": "2026-11-28T05:11:29.418067Z",
    "since": "2026-09-06T02:00:00Z",
    "expiry_date": None,
}

# --- purchase receipts -----------------------------------------------------------------------

#: Two reels of Yageo 10k resistors (a reel holds 10000 pcs), into a new lot.
RECEIPT_LINE_IN: Example = {
    "item_code": "R0402-10K",
    "quantity": "2",
    "uom": "reel",
    "lot_number": "R0402-10K-L03",
    "supplier_lot": "YA512884",
    "date_code": "2645",
    "unit_price": "0.0008",
}
RECEIPT_CREATE: Example = {
    "location_code": "SZ/RAW/A-01",
    "supplier": "Yageo",
    "purchase_order": "PO-1405",
    "lines": [RECEIPT_LINE_IN],
    "note": "packing list YG-2611-0385",
}
RECEIPT_LINE_OUT: Example = {
    "line_no": 1,
    "item_code": "IC-AMP-TAS",
    "lot": LOT,
    "quantity": "2000",
    "uom": "pcs",
    "entered_quantity": None,
    "entered_uom": None,
    "unit_price": "1.05",
    "serial_numbers": [],
}
#: `GET /v1/receipts/37`: GR-00000037, the TI amplifiers of PO-0802.
RECEIPT: Example = {
    "id": 37,
    "number": "GR-00000037",
    "location_code": "SZ/RAW/A-01",
    "supplier": "TI",
    "purchase_order": "PO-0802",
    "lines": [RECEIPT_LINE_OUT],
    "item_code": "IC-AMP-TAS",
    "lot": LOT,
    "quantity": "2000",
    "serial_numbers": [],
    "uom": "pcs",
    "entered_quantity": None,
    "entered_uom": None,
    "unit_price": "1.05",
    "note": "",
    "quality_state": "pending_inspection",
    "status": "posted",
    "created_at": "2026-11-28T05:11:29.144237Z",
    "created_by": "user:admin",
    "posted_at": "2026-09-05T03:30:00Z",
    "posted_by": "user:admin",
    "cancelled_at": None,
    "cancelled_by": None,
    "reversed_at": None,
    "reversed_by": None,
    "movements": [MOVEMENT],
    "approval": "not_required",
    "approval_ref": "",
    "draft_request": None,
}

# --- inspections -----------------------------------------------------------------------------

DEFECT_IN: Example = {
    "code": "SCRATCH",
    "description": "Solder mask scratched next to J1",
    "quantity": 2,
}
#: PCB-LED-L06 waits for incoming inspection at SZ/RAW/B-01 (200 pcs, PO-1409).
INSPECTION_CREATE: Example = {
    "item_code": "PCB-LED",
    "lot_number": "PCB-LED-L06",
    "location_code": "SZ/RAW/B-01",
    "accepted_quantity": "198",
    "rejected_quantity": "2",
    "rejected_location_code": "SZ/QA",
    "sample_size": 20,
    "inspector": "Sun Hao",
    "defects": [DEFECT_IN],
    "note": "AQL 0.65, level II",
}
DEFECT_OUT: Example = {"code": "SCRATCH", "description": "", "quantity": 80}
_R0402_10K_L01: Example = {
    "id": 24,
    "item_code": "R0402-10K",
    "lot_number": "R0402-10K-L01",
    "supplier": "Yageo",
    "supplier_lot": "YA381003",
    "date_code": "2615",
    "purchase_order": "PO-0105",
    "receipt_date": "2026-05-30",
    "expiry_date": None,
    "work_order": "",
    "created_at": "2026-11-28T05:10:11.237732Z",
}
_INSPECTION_MOVE: Example = {
    "document_type": "inspection",
    "document_id": 36,
    "item_code": "R0402-10K",
    "lot_number": "R0402-10K-L01",
    "serial_number": None,
    "from_location": "SZ/RAW/A-01",
    "to_location": "SZ/RAW/A-01",
    "from_state": "pending_inspection",
    "stage": "raw",
    "unit_cost": "0.0008",
    "posted_at": "2026-05-31T03:00:00Z",
    "posted_by": "user:admin",
    **_UNREFERENCED,
    "purchase_order": "PO-0105",
    "supplier": "Yageo",
}
#: `GET /v1/inspections/36`: QC-00000036, 100 scratched resistors rejected.
INSPECTION: Example = {
    "id": 36,
    "number": "QC-00000036",
    "status": "posted",
    "item_code": "R0402-10K",
    "lot": _R0402_10K_L01,
    "location_code": "SZ/RAW/A-01",
    "accepted_location_code": "SZ/RAW/A-01",
    "rejected_location_code": "SZ/RAW/A-01",
    "accepted_quantity": "9900",
    "rejected_quantity": "100",
    "accepted_serial_numbers": [],
    "rejected_serial_numbers": [],
    "sample_size": 80,
    "result": "partial",
    "inspector": "Sun Hao",
    "defects": [DEFECT_OUT],
    "note": "",
    "created_at": "2026-11-28T05:10:11.356306Z",
    "created_by": "user:admin",
    "posted_at": "2026-05-31T03:00:00Z",
    "posted_by": "user:admin",
    "cancelled_at": None,
    "cancelled_by": None,
    "reversed_at": None,
    "reversed_by": None,
    "movements": [
        _INSPECTION_MOVE
        | {"id": 82, "sequence": 82, "quantity": "9900", "to_state": "qualified", "value": "7.92"},
        _INSPECTION_MOVE
        | {"id": 83, "sequence": 83, "quantity": "100", "to_state": "defective", "value": "0.08"},
    ],
    "draft_request": None,
}

# --- stock card, overview, valuation, posting period, serials ---------------------------------

#: `GET /v1/stock-card?item_code=R0402-10K&limit=3`
STOCK_CARD_ROW: Example = {
    "movement": {
        "id": 78,
        "document_type": "purchase_receipt",
        "document_id": 16,
        "item_code": "R0402-10K",
        "lot_number": "R0402-10K-L01",
        "serial_number": None,
        "quantity": "10000",
        "from_location": "VIRTUAL/SUPPLIER",
        "to_location": "SZ/RAW/A-01",
        "from_state": "pending_inspection",
        "to_state": "pending_inspection",
        "stage": "raw",
        "sequence": 78,
        "unit_cost": "0.0008",
        "value": "8",
        "posted_at": "2026-05-30T09:30:00Z",
        "posted_by": "user:admin",
        **_UNREFERENCED,
        "purchase_order": "PO-0105",
        "supplier": "Yageo",
    },
    "change": "10000",
    "balance": "10000",
}
STOCK_CARD: Example = {
    "item_code": "R0402-10K",
    "location_code": None,
    "subtree": True,
    "quality_state": None,
    "opening_balance": "0",
    "closing_balance": "10000",
    "rows": [
        STOCK_CARD_ROW,
        {
            "movement": INSPECTION["movements"][0],
            "change": "0",
            "balance": "10000",
        },
        {
            "movement": INSPECTION["movements"][1],
            "change": "0",
            "balance": "10000",
        },
    ],
    "next_cursor": "WyIyMDI2LTA1LTMxVDAzOjAwOjAwKzAwOjAwIiw4M10",
}
#: `GET /v1/stock-overview?group_by=warehouse`
OVERVIEW_CELL: Example = {
    "stage": "finished",
    "quality_state": "qualified",
    "quantity": "30",
    "value": "647.224271",
}
OVERVIEW_ROW: Example = {
    "group": {"warehouse_code": "DG"},
    "cells": [OVERVIEW_CELL],
    "total": "30",
    "value": "647.224271",
}
_SZ_CELLS = [
    {"stage": "raw", "quality_state": "pending_inspection", "quantity": "5200", "value": "1992"},
    {"stage": "raw", "quality_state": "qualified", "quantity": "65822", "value": "18090.4656"},
    {"stage": "raw", "quality_state": "defective", "quantity": "358", "value": "26.47"},
    {"stage": "wip", "quality_state": "qualified", "quantity": "480", "value": "1294.31256"},
]
OVERVIEW: Example = {
    "as_of": None,
    "group_by": "warehouse",
    "rows": [
        OVERVIEW_ROW,
        {
            "group": {"warehouse_code": "SZ"},
            "cells": [
                *_SZ_CELLS,
                {
                    "stage": "finished",
                    "quality_state": "qualified",
                    "quantity": "10",
                    "value": "215.741424",
                },
            ],
            "total": "71870",
            "value": "21618.989584",
        },
    ],
    "totals": [
        *_SZ_CELLS,
        {
            "stage": "finished",
            "quality_state": "qualified",
            "quantity": "40",
            "value": "862.965695",
        },
    ],
    "total": "71900",
    "total_value": "22266.213855",
}
#: `GET /v1/valuation?item_code=R0402-10K`
ITEM_VALUATION: Example = {
    "item_code": "R0402-10K",
    "quantity": "1388",
    "value": "1.1104",
    "average_cost": "0.0008",
}
VALUATION: Example = {
    "as_of": None,
    "items": [ITEM_VALUATION],
    "total_value": "1.1104",
    "next_cursor": None,
}
POSTING_PERIOD_IN: Example = {"closed_through": "2026-10-31"}
#: `GET /v1/posting-period`: nothing closed yet.
POSTING_PERIOD: Example = {
    "closed_through": None,
    "updated_at": "2026-11-28T05:09:40.988538Z",
    "updated_by": "system",
}
#: LS1-000700, shipped to Maple Electronics Canada on SO-0024.
SERIAL: Example = {
    "id": 700,
    "item_code": "SPK-ONE-BLK",
    "serial_number": "LS1-000700",
    "status": "shipped",
    "lot_number": None,
    "location_code": None,
    "quality_state": None,
    "first_seen_at": "2026-08-26T03:40:00Z",
    "updated_at": "2026-09-11T07:20:00Z",
}
_SPEAKER_MOVE: Example = {
    "document_type": "shipment",
    "item_code": "SPK-ONE-BLK",
    "lot_number": None,
    "quantity": "1",
    "from_location": "SZ/FG",
    "to_location": "VIRTUAL/CUSTOMER",
    "from_state": "qualified",
    "to_state": "qualified",
    "stage": "finished",
    "reversal_of_id": None,
    "purchase_order": "",
    "work_order": "",
    "supplier": "",
}
#: `GET /v1/serials/700`
SERIAL_DETAIL: Example = SERIAL | {
    "history": [
        _SPEAKER_MOVE
        | {
            "id": 2136,
            "document_type": "production_receipt",
            "document_id": 29,
            "serial_number": "LS1-000700",
            "from_location": "VIRTUAL/PRODUCTION",
            "to_location": "SZ/FG",
            "sequence": 2136,
            "unit_cost": "22.036216",
            "value": "22.036216",
            "posted_at": "2026-08-26T03:40:00Z",
            "posted_by": "user:admin",
            "work_order": "WO-07-SPK",
            "sales_order": "",
            "customer": "",
        },
        _SPEAKER_MOVE
        | {
            "id": 2474,
            "document_id": 24,
            "serial_number": "LS1-000700",
            "sequence": 2474,
            "unit_cost": "21.750042",
            "value": "21.750042",
            "posted_at": "2026-09-11T07:20:00Z",
            "posted_by": "user:admin",
            "sales_order": "SO-0024",
            "customer": "Maple Electronics Canada",
        },
    ]
}

# --- approvals -------------------------------------------------------------------------------

#: Workflow's approval of MR-00000055 (its instance workflow:2).
APPROVAL_DECISION: Example = {"decision": "approved", "reference": "workflow:2", "reason": ""}
#: What workflow sends when it activates the "Material requisitions" flow.
APPROVAL_GATE_IN: Example = {
    "required": True,
    "flow": "material_requisition flow 'Material requisitions'",
}
APPROVAL_GATE: Example = {
    "document_type": "material_requisition",
    "required": True,
    "flow": "material_requisition flow 'Material requisitions'",
    "updated_at": "2026-11-28T05:12:22.289771Z",
    "updated_by": "service:workflow",
}
#: `GET /v1/approval-gates`: only requisitions wait for approval in the demo.
APPROVAL_GATES: Example = {
    "items": [
        APPROVAL_GATE,
        *(
            {
                "document_type": kind,
                "required": False,
                "flow": "",
                "updated_at": None,
                "updated_by": None,
            }
            for kind in (
                "purchase_receipt",
                "scrap",
                "supplier_return",
                "count_variance",
                "defective_release",
            )
        ),
    ]
}
DRAFT_POSTING: Example = {"posted_at": "2026-11-28T17:30:00+08:00"}

# --- transfers -------------------------------------------------------------------------------

#: Five speakers from the Shenzhen finished-goods store to the Dongguan hub.
TRANSFER_LINE_IN: Example = {
    "item_code": "SPK-ONE-BLK",
    "quantity": "5",
    "serial_numbers": [f"LS1-{n:06d}" for n in range(1451, 1456)],
    "quality_state": "qualified",
}
TRANSFER_CREATE: Example = {
    "from_location_code": "SZ/FG",
    "to_location_code": "DG/FG",
    "note": "weekly replenishment of the Dongguan hub",
    "lines": [TRANSFER_LINE_IN],
}
TRANSFER_LINE_OUT: Example = {
    "line_no": 1,
    "item_code": "R0402-10K",
    "lot_id": 24,
    "lot_number": "R0402-10K-L01",
    "quantity": "100",
    "entered_quantity": None,
    "entered_uom": None,
    "serial_numbers": [],
    "quality_state": "defective",
}
#: `GET /v1/transfers/4`: QC-00000036's rejects moved to quarantine.
TRANSFER: Example = {
    "id": 4,
    "number": "TR-00000004",
    "status": "posted",
    "from_location_code": "SZ/RAW/A-01",
    "to_location_code": "SZ/QA",
    "note": "rejected at incoming inspection",
    "created_at": "2026-11-28T05:10:11.475977Z",
    "created_by": "user:admin",
    "posted_at": "2026-05-31T08:30:00Z",
    "posted_by": "user:admin",
    "cancelled_at": None,
    "cancelled_by": None,
    "reversed_at": None,
    "reversed_by": None,
    "lines": [TRANSFER_LINE_OUT],
    "movements": [
        {
            "id": 86,
            "document_type": "transfer",
            "document_id": 4,
            "item_code": "R0402-10K",
            "lot_number": "R0402-10K-L01",
            "serial_number": None,
            "quantity": "100",
            "from_location": "SZ/RAW/A-01",
            "to_location": "SZ/QA",
            "from_state": "defective",
            "to_state": "defective",
            "stage": "raw",
            "sequence": 86,
            "unit_cost": "0.0008",
            "value": "0.08",
            "posted_at": "2026-05-31T08:30:00Z",
            "posted_by": "user:admin",
            **_UNREFERENCED,
        }
    ],
    "draft_request": None,
}

# --- requisitions ----------------------------------------------------------------------------

REQUISITION_LINE_IN: Example = {"item_code": "PKG-LABEL-SN", "quantity": "10"}
#: Ten more serial-number labels for today's speakers (the first carton's were misprinted).
REQUISITION_CREATE: Example = {
    "work_order": "WO-14-SPK",
    "to_location_code": "SZ/ASM-1",
    "from_location_code": "SZ/RAW/C-01",
    "note": "labels of the first carton misprinted",
    "lines": [REQUISITION_LINE_IN],
}
REQUISITION_LINE_OUT: Example = {
    "line_no": 1,
    "item_code": "ASM-ONE-CORE",
    "quantity": "60",
    "entered_quantity": None,
    "entered_uom": None,
    "lot_number": None,
    "serial_numbers": [],
}
_ISSUE: Example = {
    "document_type": "requisition",
    "document_id": 54,
    "serial_number": None,
    "quantity": "60",
    "to_location": "SZ/ASM-1",
    "from_state": "qualified",
    "to_state": "qualified",
    "stage": "wip",
    "posted_at": "2026-11-28T05:12:25.407144Z",
    "posted_by": "service:workflow",
    **_UNREFERENCED,
    "work_order": "WO-14-SPK",
}
#: `GET /v1/requisitions/54`: MR-00000054, today's speaker parts, posted on approval
#: (first two of its seven lines).
REQUISITION: Example = {
    "id": 54,
    "number": "MR-00000054",
    "status": "posted",
    "work_order": "WO-14-SPK",
    "to_location_code": "SZ/ASM-1",
    "from_location_code": None,
    "note": "",
    "lines": [
        REQUISITION_LINE_OUT,
        REQUISITION_LINE_OUT | {"line_no": 2, "item_code": "ADP-5V2A"},
    ],
    "created_at": "2026-11-28T05:12:23.018798Z",
    "created_by": "user:ann",
    "submitted_at": "2026-11-28T05:12:23.173759Z",
    "submitted_by": "user:ann",
    "posted_at": "2026-11-28T05:12:25.399311Z",
    "posted_by": "service:workflow",
    "cancelled_at": None,
    "cancelled_by": None,
    "reversed_at": None,
    "reversed_by": None,
    "approval": "approved",
    "approval_ref": "workflow:1",
    "movements": [
        _ISSUE
        | {
            "id": 4527,
            "item_code": "ASM-ONE-CORE",
            "lot_number": "CORE-13",
            "from_location": "SZ/SFG",
            "sequence": 4527,
            "unit_cost": "17.511876",
            "value": "1050.71256",
        },
        _ISSUE
        | {
            "id": 4528,
            "item_code": "ADP-5V2A",
            "lot_number": None,
            "from_location": "SZ/RAW/C-01",
            "sequence": 4528,
            "unit_cost": "2.3",
            "value": "138",
        },
    ],
}
REQUISITION_POSTING: Example = {"posted_at": "2026-11-28T10:10:00+08:00"}
#: `GET /v1/requisitions/55/suggestion`: WO-14-LED's parts, FEFO then FIFO (three picks).
PICK: Example = {
    "line_no": 1,
    "item_code": "IC-LEDDRV",
    "location_code": "SZ/RAW/A-01",
    "lot_number": "IC-LEDDRV-L01",
    "quantity": "100",
    "expiry_date": None,
    "serial_number": None,
}
SHORTAGE: Example = {
    "line_no": 2,
    "item_code": "LED0402-RGB",
    "available": "1000",
    "needed": "1212",
    "serial_numbers": [],
}
PICK_SUGGESTION: Example = {
    "requisition_id": 55,
    "picks": [
        PICK,
        {
            "line_no": 2,
            "item_code": "LED0402-RGB",
            "location_code": "SZ/RAW/A-01",
            "lot_number": "LED0402-RGB-L04",
            "quantity": "1212",
            "expiry_date": None,
            "serial_number": None,
        },
        {
            "line_no": 3,
            "item_code": "MIC-MEMS",
            "location_code": "SZ/RAW/B-01",
            "lot_number": "MIC-MEMS-L02",
            "quantity": "404",
            "expiry_date": "2027-10-17",
            "serial_number": None,
        },
    ],
    "shortages": [],
}

# --- production receipts ---------------------------------------------------------------------

#: WO-14-SPK's 60 speakers, new serial numbers LS1-009001 to LS1-009060.
OUTPUT_IN: Example = {
    "item_code": "SPK-ONE-BLK",
    "quantity": "60",
    "serial_numbers": [f"LS1-{n:06d}" for n in range(9001, 9061)],
    "quality_state": "qualified",
}
COMPONENT_IN: Example = {"item_code": "ASM-ONE-CORE", "quantity": "60", "lot_number": "CORE-13"}
#: Completing WO-14-SPK: what MR-00000054 issued to the assembly line is consumed.
PRODUCTION_RECEIPT_CREATE: Example = {
    "work_order": "WO-14-SPK",
    "to_location_code": "SZ/FG",
    "wip_location_code": "SZ/ASM-1",
    "outputs": [OUTPUT_IN],
    "components": [
        COMPONENT_IN,
        *(
            {"item_code": code, "quantity": "60"}
            for code in (
                "ADP-5V2A",
                "CBL-USBC-1M",
                "PKG-BOX-ONE",
                "PKG-INSERT-ONE",
                "PKG-MANUAL-ONE",
            )
        ),
        {"item_code": "PKG-LABEL-SN", "quantity": "120"},
    ],
    "note": "final assembly, shift A",
}
OUTPUT_OUT: Example = {
    "line_no": 1,
    "item_code": "PCBA-LED",
    "lot_id": 109,
    "lot_number": "LED-13",
    "quantity": "190",
    "quality_state": "qualified",
    "serial_numbers": [],
}
COMPONENT_OUT: Example = {
    "line_no": 1,
    "item_code": "IC-LEDDRV",
    "lot_id": 5,
    "lot_number": "IC-LEDDRV-L01",
    "quantity": "190",
    "backflushed": True,
    "serial_numbers": [],
}
_LED_MOVE: Example = {
    "document_type": "production_receipt",
    "document_id": 51,
    "serial_number": None,
    "from_location": "SZ/SMT-1",
    "to_location": "VIRTUAL/PRODUCTION",
    "from_state": "qualified",
    "to_state": "qualified",
    "stage": "wip",
    "posted_at": "2026-11-17T03:40:00Z",
    "posted_by": "user:admin",
    **_UNREFERENCED,
    "work_order": "WO-13-LED",
}
#: `GET /v1/production-receipts/51`: PR-00000051, WO-13-LED's LED rings (two of its six
#: components and their movements, and the output's).
PRODUCTION_RECEIPT: Example = {
    "id": 51,
    "number": "PR-00000051",
    "status": "posted",
    "work_order": "WO-13-LED",
    "to_location_code": "SZ/SFG",
    "wip_location_code": "SZ/SMT-1",
    "note": "",
    "created_at": "2026-11-28T05:12:16.007824Z",
    "created_by": "user:admin",
    "posted_at": "2026-11-17T03:40:00Z",
    "posted_by": "user:admin",
    "cancelled_at": None,
    "cancelled_by": None,
    "reversed_at": None,
    "reversed_by": None,
    "outputs": [OUTPUT_OUT],
    "components": [
        COMPONENT_OUT,
        {
            "line_no": 2,
            "item_code": "LED0402-RGB",
            "lot_id": 85,
            "lot_number": "LED0402-RGB-L04",
            "quantity": "2303",
            "backflushed": True,
            "serial_numbers": [],
        },
    ],
    "movements": [
        _LED_MOVE
        | {
            "id": 4172,
            "item_code": "IC-LEDDRV",
            "lot_number": "IC-LEDDRV-L01",
            "quantity": "190",
            "sequence": 4172,
            "unit_cost": "0.28",
            "value": "53.2",
        },
        _LED_MOVE
        | {
            "id": 4173,
            "item_code": "LED0402-RGB",
            "lot_number": "LED0402-RGB-L04",
            "quantity": "2303",
            "sequence": 4173,
            "unit_cost": "0.045",
            "value": "103.635",
        },
        _LED_MOVE
        | {
            "id": 4178,
            "item_code": "PCBA-LED",
            "lot_number": "LED-13",
            "quantity": "190",
            "from_location": "VIRTUAL/PRODUCTION",
            "to_location": "SZ/SFG",
            "stage": "semi_finished",
            "sequence": 4178,
            "unit_cost": "2.837569",
            "value": "539.13811",
        },
    ],
    "draft_request": None,
}

# --- shipments -------------------------------------------------------------------------------

#: Five speakers against SO-9001's line 1 (300 open).
SHIPMENT_LINE_IN: Example = {
    "item_code": "SPK-ONE-BLK",
    "quantity": "5",
    "serial_numbers": [f"LS1-{n:06d}" for n in range(1456, 1461)],
    "sales_order_line": "1",
}
SHIPMENT_CREATE: Example = {
    "sales_order": "SO-9001",
    "customer": "JD Logistics Shenzhen DC",
    "from_location_code": "SZ/FG",
    "carrier": "SF Express",
    "tracking_number": "SF1420398817265",
    "note": "partial delivery, rest by 2026-12-05",
    "lines": [SHIPMENT_LINE_IN],
}
SHIPMENT_LINE_OUT: Example = {
    "line_no": 1,
    "sales_order_line": None,
    "item_code": "SPK-ONE-BLK",
    "lot_id": None,
    "lot_number": None,
    "quantity": "45",
    "serial_numbers": [f"LS1-{n:06d}" for n in range(1, 46)],
}
#: `GET /v1/shipments/1`: SH-00000001 to SoundHouse Japan (two of its 45 movements).
SHIPMENT: Example = {
    "id": 1,
    "number": "SH-00000001",
    "status": "posted",
    "sales_order": "SO-0001",
    "customer": "SoundHouse Japan",
    "from_location_code": "SZ/FG",
    "carrier": "DHL",
    "tracking_number": "",
    "note": "",
    "created_at": "2026-11-28T05:10:15.644258Z",
    "created_by": "user:admin",
    "posted_at": "2026-06-05T07:20:00Z",
    "posted_by": "user:admin",
    "cancelled_at": None,
    "cancelled_by": None,
    "reversed_at": None,
    "reversed_by": None,
    "lines": [SHIPMENT_LINE_OUT],
    "movements": [
        _SPEAKER_MOVE
        | {
            "id": 284 + n,
            "document_id": 1,
            "serial_number": f"LS1-{n:06d}",
            "sequence": 284 + n,
            "unit_cost": "22.026767",
            "value": "22.026767",
            "posted_at": "2026-06-05T07:20:00Z",
            "posted_by": "user:admin",
            "sales_order": "SO-0001",
            "customer": "SoundHouse Japan",
        }
        for n in (1, 2)
    ],
    "draft_request": None,
}

# --- scraps, supplier returns, customer returns -----------------------------------------------

#: QC-00000036's 100 scratched resistors, waiting in quarantine.
SCRAP_LINE_IN: Example = {
    "item_code": "R0402-10K",
    "lot_number": "R0402-10K-L01",
    "quantity": "100",
    "quality_state": "defective",
}
SCRAP_CREATE: Example = {
    "location_code": "SZ/QA",
    "reference": "QC-00000036",
    "reason": "Scratched terminations, not placeable",
    "lines": [SCRAP_LINE_IN],
}
#: QC-00000069's 80 mismarked Murata capacitors, back to the supplier.
SUPPLIER_RETURN_LINE_IN: Example = {
    "item_code": "C0402-100N",
    "lot_number": "C0402-100N-L03",
    "quantity": "80",
    "quality_state": "defective",
}
SUPPLIER_RETURN_CREATE: Example = {
    "location_code": "SZ/QA",
    "counterparty": "Murata",
    "reference": "PO-0706",
    "reason": "Wrong marking (QC-00000069)",
    "lines": [SUPPLIER_RETURN_LINE_IN],
}
#: LS1-000700 comes back from Maple Electronics Canada.
CUSTOMER_RETURN_LINE_IN: Example = {
    "item_code": "SPK-ONE-BLK",
    "quantity": "1",
    "serial_numbers": ["LS1-000700"],
}
CUSTOMER_RETURN_CREATE: Example = {
    "location_code": "SZ/QA",
    "counterparty": "Maple Electronics Canada",
    "reference": "SO-0024",
    "reason": "No sound from the left channel (RMA-0031)",
    "lines": [CUSTOMER_RETURN_LINE_IN],
}
SCRAP_RETURN_LINE_OUT: Example = {
    "line_no": 1,
    "item_code": "R0402-10K",
    "lot_id": 24,
    "lot_number": "R0402-10K-L01",
    "quantity": "100",
    "serial_numbers": [],
    "quality_state": "defective",
}
#: SC-00000001: SCRAP_CREATE as posted.
SCRAP: Example = {
    "id": 1,
    "number": "SC-00000001",
    "kind": "scrap",
    "status": "posted",
    "location_code": "SZ/QA",
    "counterparty": "",
    "reference": "QC-00000036",
    "reason": "Scratched terminations, not placeable",
    "note": "",
    "created_at": "2026-11-28T06:20:41.512734Z",
    "created_by": "user:wang",
    "posted_at": "2026-11-28T06:20:41.512734Z",
    "posted_by": "user:wang",
    "cancelled_at": None,
    "cancelled_by": None,
    "reversed_at": None,
    "reversed_by": None,
    "lines": [SCRAP_RETURN_LINE_OUT],
    "movements": [
        {
            "id": 4535,
            "document_type": "scrap",
            "document_id": 1,
            "item_code": "R0402-10K",
            "lot_number": "R0402-10K-L01",
            "serial_number": None,
            "quantity": "100",
            "from_location": "SZ/QA",
            "to_location": "VIRTUAL/SCRAPPED",
            "from_state": "defective",
            "to_state": "defective",
            "stage": "raw",
            "sequence": 4535,
            "unit_cost": "0.0008",
            "value": "0.08",
            "posted_at": "2026-11-28T06:20:41.512734Z",
            "posted_by": "user:wang",
            **_UNREFERENCED,
        }
    ],
    "approval": "not_required",
    "approval_ref": "",
    "draft_request": None,
}
#: RS-00000002: SUPPLIER_RETURN_CREATE as posted.
SUPPLIER_RETURN: Example = SCRAP | {
    "id": 2,
    "number": "RS-00000002",
    "kind": "supplier_return",
    "counterparty": "Murata",
    "reference": "PO-0706",
    "reason": "Wrong marking (QC-00000069)",
    "created_at": "2026-11-28T06:31:05.204416Z",
    "posted_at": "2026-11-28T06:31:05.204416Z",
    "lines": [
        SCRAP_RETURN_LINE_OUT
        | {
            "item_code": "C0402-100N",
            "lot_id": 61,
            "lot_number": "C0402-100N-L03",
            "quantity": "80",
        }
    ],
    "movements": [
        SCRAP["movements"][0]
        | {
            "id": 4536,
            "document_type": "supplier_return",
            "document_id": 2,
            "item_code": "C0402-100N",
            "lot_number": "C0402-100N-L03",
            "quantity": "80",
            "to_location": "VIRTUAL/SUPPLIER",
            "sequence": 4536,
            "unit_cost": "0.0021",
            "value": "0.168",
            "posted_at": "2026-11-28T06:31:05.204416Z",
            "supplier": "Murata",
        }
    ],
}
#: RC-00000003: CUSTOMER_RETURN_CREATE as posted; the speaker waits for inspection.
CUSTOMER_RETURN: Example = SCRAP | {
    "id": 3,
    "number": "RC-00000003",
    "kind": "customer_return",
    "counterparty": "Maple Electronics Canada",
    "reference": "SO-0024",
    "reason": "No sound from the left channel (RMA-0031)",
    "created_at": "2026-11-28T06:45:17.880921Z",
    "posted_at": "2026-11-28T06:45:17.880921Z",
    "lines": [
        {
            "line_no": 1,
            "item_code": "SPK-ONE-BLK",
            "lot_id": None,
            "lot_number": None,
            "quantity": "1",
            "serial_numbers": ["LS1-000700"],
            "quality_state": "pending_inspection",
        }
    ],
    "movements": [
        SCRAP["movements"][0]
        | {
            "id": 4537,
            "document_type": "customer_return",
            "document_id": 3,
            "item_code": "SPK-ONE-BLK",
            "lot_number": None,
            "serial_number": "LS1-000700",
            "quantity": "1",
            "from_location": "VIRTUAL/CUSTOMER",
            "to_location": "SZ/QA",
            "from_state": "pending_inspection",
            "to_state": "pending_inspection",
            "stage": "finished",
            "sequence": 4537,
            "unit_cost": "21.574142",
            "value": "21.574142",
            "posted_at": "2026-11-28T06:45:17.880921Z",
            "customer": "Maple Electronics Canada",
        }
    ],
}

# --- defective releases ----------------------------------------------------------------------

#: Two passive radiators of DRV-PASSIVE-L09 rejected at inspection, reworked.
DEFECTIVE_RELEASE_CREATE: Example = {
    "item_code": "DRV-PASSIVE",
    "lot_number": "DRV-PASSIVE-L09",
    "location_code": "SZ/QA",
    "to_location_code": "SZ/RAW/B-01",
    "quantity": "2",
    "reason": "rework",
    "note": "surround re-glued, passed the sweep test",
}
_DRV_PASSIVE_L09: Example = {
    "id": 103,
    "item_code": "DRV-PASSIVE",
    "lot_number": "DRV-PASSIVE-L09",
    "supplier": "Goertek",
    "supplier_lot": "GO778589",
    "date_code": "2640",
    "purchase_order": "PO-1307",
    "receipt_date": "2026-11-14",
    "expiry_date": "2027-11-14",
    "work_order": "",
    "created_at": "2026-11-28T05:12:09.271213Z",
}
#: DR-00000001: DEFECTIVE_RELEASE_CREATE as posted.
DEFECTIVE_RELEASE: Example = {
    "id": 1,
    "number": "DR-00000001",
    "status": "posted",
    "item_code": "DRV-PASSIVE",
    "lot": _DRV_PASSIVE_L09,
    "location_code": "SZ/QA",
    "to_location_code": "SZ/RAW/B-01",
    "quantity": "2",
    "serial_numbers": [],
    "reason": "rework",
    "note": "surround re-glued, passed the sweep test",
    "created_at": "2026-11-28T07:02:33.419086Z",
    "created_by": "user:sun",
    "posted_at": "2026-11-28T07:02:33.419086Z",
    "posted_by": "user:sun",
    "cancelled_at": None,
    "cancelled_by": None,
    "reversed_at": None,
    "reversed_by": None,
    "movements": [
        {
            "id": 4538,
            "document_type": "defective_release",
            "document_id": 1,
            "item_code": "DRV-PASSIVE",
            "lot_number": "DRV-PASSIVE-L09",
            "serial_number": None,
            "quantity": "2",
            "from_location": "SZ/QA",
            "to_location": "SZ/RAW/B-01",
            "from_state": "defective",
            "to_state": "qualified",
            "stage": "raw",
            "sequence": 4538,
            "unit_cost": "0.55",
            "value": "1.1",
            "posted_at": "2026-11-28T07:02:33.419086Z",
            "posted_by": "user:sun",
            **_UNREFERENCED,
        }
    ],
    "approval": "not_required",
    "approval_ref": "",
    "draft_request": None,
}

# --- stock counts ----------------------------------------------------------------------------

#: The month-end count of the mechanical rack.
STOCK_COUNT_CREATE: Example = {
    "location_code": "SZ/RAW/C-01",
    "item_codes": ["MEC-FOOT", "SCR-M2X5"],
    "blind": False,
    "note": "month-end cycle count",
}
#: Four rubber feet missing.
COUNT_LINE_IN: Example = {
    "item_code": "MEC-FOOT",
    "location_code": "SZ/RAW/C-01",
    "quality_state": "qualified",
    "counted_quantity": "1916",
}
COUNT_LINES_IN: Example = {
    "lines": [
        COUNT_LINE_IN,
        COUNT_LINE_IN | {"item_code": "SCR-M2X5", "counted_quantity": "2468"},
    ]
}
STOCK_COUNT_LINE: Example = {
    "line_no": 1,
    "item_code": "MEC-FOOT",
    "location_code": "SZ/RAW/C-01",
    "lot_number": None,
    "serial_number": None,
    "quality_state": "qualified",
    "book_quantity": "1920",
    "counted_quantity": "1916",
    "difference": "-4",
    "found": False,
    "counted_at": "2026-11-28T05:12:29.679848Z",
    "counted_by": "user:admin",
}
#: `GET /v1/stock-counts`: PI-00000001, posted.
STOCK_COUNT_SUMMARY: Example = {
    "id": 1,
    "number": "PI-00000001",
    "status": "posted",
    "location_code": "SZ/RAW/C-01",
    "item_codes": ["MEC-FOOT", "SCR-M2X5"],
    "blind": False,
    "book_visible": True,
    "note": "month-end cycle count",
    "line_count": 2,
    "counted_lines": 2,
    "uncounted_lines": 0,
    "lines_with_difference": 1,
    "created_at": "2026-11-28T05:12:29.351135Z",
    "created_by": "user:admin",
    "posted_at": "2026-11-28T05:12:29.799993Z",
    "posted_by": "user:admin",
    "cancelled_at": None,
    "cancelled_by": None,
    "reversed_at": None,
    "reversed_by": None,
    "approval": "not_required",
    "approval_ref": "",
}
#: `GET /v1/stock-counts/1`
STOCK_COUNT: Example = STOCK_COUNT_SUMMARY | {
    "lines": [
        STOCK_COUNT_LINE,
        STOCK_COUNT_LINE
        | {
            "line_no": 2,
            "item_code": "SCR-M2X5",
            "book_quantity": "2468",
            "counted_quantity": "2468",
            "difference": "0",
        },
    ],
    "movements": [
        {
            "id": 4534,
            "document_type": "stock_count",
            "document_id": 1,
            "item_code": "MEC-FOOT",
            "lot_number": None,
            "serial_number": None,
            "quantity": "4",
            "from_location": "SZ/RAW/C-01",
            "to_location": "VIRTUAL/COUNT-ADJUSTMENT",
            "from_state": "qualified",
            "to_state": "qualified",
            "stage": "raw",
            "sequence": 4534,
            "unit_cost": "0.03",
            "value": "0.12",
            "posted_at": "2026-11-28T05:12:29.799993Z",
            "posted_by": "user:admin",
            **_UNREFERENCED,
        }
    ],
}

# --- uploaded sheets: count sheets and opening balances ---------------------------------------


def _headers(*columns: tuple[str, str]) -> list[Example]:
    """Matched header cells, column A first: (header text, field)."""
    return [
        {"column": chr(ord("A") + index), "header": header, "field": field, "reason": None}
        for index, (header, field) in enumerate(columns)
    ]


#: PI-00000001's sheet (`GET .../sheet.xlsx`) as filled in, header by header.
_COUNT_SHEET_HEADERS = _headers(
    ("行号 Line", "line_no"),
    ("库位 Location", "location_code"),
    ("物料编码 Item Code", "item_code"),
    ("批号 Lot", "lot_number"),
    ("序列号 Serial Number", "serial_number"),
    ("质量状态 Quality State", "quality_state"),
    ("账面数量 Book Quantity", "book_quantity"),
    ("实盘数量 Counted Quantity", "counted_quantity"),
)
SHEET_HEADER: Example = _COUNT_SHEET_HEADERS[7]
SHEET_ERROR: Example = {
    "row": 3,
    "column": "H",
    "header": "实盘数量 Counted Quantity",
    "field": "counted_quantity",
    "reason": "'2468 pcs' is not a number",
}
#: A dry run of PI-00000001's filled-in sheet.
SHEET_REPORT: Example = {
    "dry_run": True,
    "file_type": "xlsx",
    "sheet": "PI-00000001",
    "header_row": 1,
    "matched": _COUNT_SHEET_HEADERS,
    "unmatched": [],
    "missing": [],
    "errors": [],
    "rows": 2,
}
COUNT_SHEET_RESULT: Example = SHEET_REPORT | {"counted": 2, "skipped": 0, "count": None}
#: One row of opening-balance-DG.xlsx (the template's columns).
OPENING_ROW_IN: Example = {
    "item_code": "C0402-100N",
    "location_code": "DG/RAW",
    "lot_number": "C0402-100N-OB01",
    "quality_state": "qualified",
    "quantity": "10000",
    "unit_cost": "0.0009",
    "supplier": "Murata",
    "supplier_lot": "MU118820",
    "date_code": "2608",
}
OPENING_LINE_OUT: Example = {
    "line_no": 1,
    "row": 2,
    "item_code": "C0402-100N",
    "location_code": "DG/RAW",
    "lot_number": "C0402-100N-OB01",
    "serial_numbers": [],
    "quality_state": "qualified",
    "quantity": "10000",
    "unit_cost": "0.0009",
}
#: OB-00000001: the Dongguan hub's stock from before the system (opening-balance-DG.xlsx:
#: a reel of capacitors and three pilot-run speakers).
OPENING_BALANCE_SUMMARY: Example = {
    "id": 1,
    "number": "OB-00000001",
    "status": "posted",
    "file_name": "opening-balance-DG.xlsx",
    "file_sha256": "4d05b8b64ec5288f0b90f2085912bc66c7ad0d6a03880c2c44a9658b6241ec9d",
    "note": "Dongguan hub, stock before go-live",
    "line_count": 2,
    "serial_count": 3,
    "posted_at": "2026-11-28T07:15:48.226105Z",
    "posted_by": "user:wang",
    "reversed_at": None,
    "reversed_by": None,
}
_OPENING_MOVE: Example = {
    "document_type": "opening_balance",
    "document_id": 1,
    "from_location": "VIRTUAL/OPENING",
    "from_state": "qualified",
    "to_state": "qualified",
    "posted_at": "2026-11-28T07:15:48.226105Z",
    "posted_by": "user:wang",
    **_UNREFERENCED,
}
#: `GET /v1/opening-balances/1` (two of its four movements).
OPENING_BALANCE: Example = OPENING_BALANCE_SUMMARY | {
    "lines": [
        OPENING_LINE_OUT,
        {
            "line_no": 2,
            "row": 3,
            "item_code": "SPK-ONE-BLK",
            "location_code": "DG/FG",
            "lot_number": None,
            "serial_numbers": ["LS1-P00001", "LS1-P00002", "LS1-P00003"],
            "quality_state": "qualified",
            "quantity": "3",
            "unit_cost": "21.5",
        },
    ],
    "movements": [
        _OPENING_MOVE
        | {
            "id": 4539,
            "item_code": "C0402-100N",
            "lot_number": "C0402-100N-OB01",
            "serial_number": None,
            "quantity": "10000",
            "to_location": "DG/RAW",
            "stage": "raw",
            "sequence": 4539,
            "unit_cost": "0.0009",
            "value": "9",
        },
        _OPENING_MOVE
        | {
            "id": 4540,
            "item_code": "SPK-ONE-BLK",
            "lot_number": None,
            "serial_number": "LS1-P00001",
            "quantity": "1",
            "to_location": "DG/FG",
            "stage": "finished",
            "sequence": 4540,
            "unit_cost": "21.5",
            "value": "21.5",
        },
    ],
}
#: A dry run of opening-balance-DG.xlsx (`POST /v1/opening-balances?dry_run=true`).
OPENING_IMPORT_RESULT: Example = {
    "dry_run": True,
    "file_type": "xlsx",
    "sheet": "期初库存 Opening",
    "header_row": 1,
    "matched": _headers(
        ("物料编码 Item Code", "item_code"),
        ("库位 Location", "location_code"),
        ("批号 Lot", "lot_number"),
        ("序列号 Serial Number", "serial_numbers"),
        ("质量状态 Quality State", "quality_state"),
        ("数量 Quantity", "quantity"),
        ("单价 Unit Cost", "unit_cost"),
        ("供应商 Supplier", "supplier"),
        ("供应商批号 Supplier Lot", "supplier_lot"),
        ("日期码 Date Code", "date_code"),
        ("入库日期 Receipt Date", "receipt_date"),
        ("有效期 Expiry Date", "expiry_date"),
    ),
    "unmatched": [],
    "missing": [],
    "errors": [],
    "rows": 2,
    "valid": 2,
    "items": 2,
    "serials": 3,
    "new_lots": ["C0402-100N/C0402-100N-OB01"],
    "opening_balance": None,
}

# --- reservations and availability ------------------------------------------------------------

RESERVATION_LINE_IN: Example = {"item_code": "PCB-LED", "quantity": "100"}
#: WO-14-LED's boards and drivers, held in the Shenzhen plant until its requisition issues.
RESERVATION_CREATE: Example = {
    "work_order": "WO-14-LED",
    "location_code": "SZ",
    "required_date": "2026-11-29",
    "note": "held until MR-00000055 is approved",
    "lines": [RESERVATION_LINE_IN, {"item_code": "IC-LEDDRV", "quantity": "100"}],
}
RESERVATION_CHANGE: Example = {"quantity": "120", "required_date": "2026-11-30"}
#: RS-00000001: the first line of RESERVATION_CREATE.
RESERVATION: Example = {
    "id": 1,
    "number": "RS-00000001",
    "status": "open",
    "work_order": "WO-14-LED",
    "item_code": "PCB-LED",
    "location_code": "SZ",
    "quantity": "100",
    "issued": "0",
    "remaining": "100",
    "required_date": "2026-11-29",
    "note": "held until MR-00000055 is approved",
    "created_at": "2026-11-28T07:30:12.605839Z",
    "created_by": "user:ann",
    "updated_at": "2026-11-28T07:30:12.605839Z",
    "updated_by": "user:ann",
}
RESERVATION_BATCH: Example = {
    "work_order": "WO-14-LED",
    "reservations": [
        RESERVATION,
        RESERVATION | {"id": 2, "number": "RS-00000002", "item_code": "IC-LEDDRV"},
    ],
}
RESERVATION_PAGE: Example = {"items": [RESERVATION], "next_cursor": None}
#: `GET /v1/availability?item_code=IC-AMP-TAS&item_code=R0402-10K&item_code=SPK-ONE-BLK`
AVAILABILITY: Example = {
    "item_code": "R0402-10K",
    "qualified": "1288",
    "pending_inspection": "0",
    "defective": "100",
    "wip": "0",
    "reserved": "0",
    "available": "1288",
}
AVAILABILITY_PAGE: Example = {
    "items": [
        AVAILABILITY
        | {"item_code": "IC-AMP-TAS", "qualified": "1230", "defective": "0", "available": "1230"},
        AVAILABILITY,
        AVAILABILITY
        | {"item_code": "SPK-ONE-BLK", "qualified": "40", "defective": "0", "available": "40"},
    ],
    "next_cursor": None,
    "location_code": None,
}
#: `GET /v1/availability/snapshot?location_code=SZ` (its first three items of 41).
AVAILABILITY_SNAPSHOT: Example = {
    "items": [
        {
            "item_code": "ADP-5V2A",
            "qualified": "279",
            "pending_inspection": "0",
            "defective": "1",
            "wip": "60",
            "reserved": "0",
            "available": "279",
        },
        {
            "item_code": "ASM-ONE-CORE",
            "qualified": "0",
            "pending_inspection": "0",
            "defective": "0",
            "wip": "60",
            "reserved": "0",
            "available": "0",
        },
        {
            "item_code": "C0402-100N",
            "qualified": "2582",
            "pending_inspection": "0",
            "defective": "200",
            "wip": "0",
            "reserved": "0",
            "available": "2582",
        },
    ],
    "location_code": "SZ",
    "ledger_sequence": 4534,
}

# --- path parameters: the demo's documents ---------------------------------------------------

#: GR-00000037 (TI amplifiers, the bad lot).
RECEIPT_ID = 37
#: QC-00000036 (R0402-10K-L01, 100 rejected).
INSPECTION_ID = 36
#: TR-00000004 (rejects to quarantine).
TRANSFER_ID = 4
#: MR-00000055: WO-14-LED's, waiting for the team leader's approval.
REQUISITION_ID = 55
#: MR-00000054: WO-14-SPK's, posted on approval.
POSTED_REQUISITION_ID = 54
#: PR-00000051 (WO-13-LED).
PRODUCTION_RECEIPT_ID = 51
#: SH-00000001 (SoundHouse Japan).
SHIPMENT_ID = 1
#: SC-00000001, RS-00000002, RC-00000003: the examples above, once posted.
SCRAP_ID = 1
SUPPLIER_RETURN_ID = 2
CUSTOMER_RETURN_ID = 3
#: DR-00000001.
DEFECTIVE_RELEASE_ID = 1
#: OB-00000001.
OPENING_BALANCE_ID = 1
#: PI-00000001 (the month-end count of SZ/RAW/C-01).
STOCK_COUNT_ID = 1
#: RS-00000001.
RESERVATION_ID = 1
