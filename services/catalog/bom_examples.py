"""OpenAPI examples of the routing, BOM version and approval models: the demo company's.

Answers are copied from the running demo (`make demo`: PCBA-MAIN revisions A/B/C are BOM
versions 2/3/4, SPK-ONE-BLK's is 7), trimmed to a few lines; requests are ones that
succeed on it (a new PCBA-LED revision B draft, a routing for SPK-ONE-BLK, which has none).
Used by `schemas.py` (`json_schema_extra`).
"""

from __future__ import annotations

from typing import Any

# --- routings --------------------------------------------------------------------------

_OPERATIONS_IN: list[dict[str, Any]] = [
    {
        "sequence": 10,
        "code": "ASSY",
        "name": "Fit core assembly, feet and grille",
        "work_center": "ASM-1",
        "standard_minutes": "6.5",
        "setup_minutes": "15",
    },
    {
        "sequence": 20,
        "code": "TEST",
        "name": "Acoustic sweep and Wi-Fi pairing test",
        "work_center": "ASM-1",
        "standard_minutes": "3",
        "setup_minutes": "0",
    },
    {
        "sequence": 30,
        "code": "PACK",
        "name": "Label serial number and pack",
        "work_center": "ASM-1",
        "standard_minutes": "1.5",
        "setup_minutes": "0",
    },
]
OPERATION_IN: dict[str, Any] = _OPERATIONS_IN[0]
ROUTING_IN: dict[str, Any] = {
    "description": "Final assembly, test and pack on line ASM-1",
    "operations": _OPERATIONS_IN,
}
ROUTING_CREATE: dict[str, Any] = {"item_code": "SPK-ONE-BLK", **ROUTING_IN}
OPERATION_OUT: dict[str, Any] = _OPERATIONS_IN[0]
ROUTING_OUT: dict[str, Any] = {
    "id": 1,
    "item_id": 40,
    "item_code": "SPK-ONE-BLK",
    "description": "Final assembly, test and pack on line ASM-1",
    "operations": _OPERATIONS_IN,
    "version": 1,
    "created_at": "2026-11-28T08:12:41.517204Z",
    "updated_at": "2026-11-28T08:12:41.517204Z",
}

# --- BOM versions ----------------------------------------------------------------------

SUBSTITUTE_IN: dict[str, Any] = {"component_code": "C0603-10U-SAM", "priority": 1, "ratio": "1"}
BOM_LINE_IN: dict[str, Any] = {
    "position": 70,
    "component_code": "C0603-10U",
    "quantity": "1",
    "scrap_percent": "2",
    "designators": "C7",
    "notes": "Bulk capacitor at the LED driver",
    "substitutes": [SUBSTITUTE_IN],
}
#: PCBA-LED revision A's lines (BOM version 5) and a new one: revision B.
_LED_LINES: list[dict[str, Any]] = [
    {"position": 10, "component_code": "IC-LEDDRV", "quantity": "1", "designators": "U1"},
    {
        "position": 20,
        "component_code": "LED0402-RGB",
        "quantity": "12",
        "scrap_percent": "1",
        "designators": "D1-D12",
    },
    {
        "position": 30,
        "component_code": "MIC-MEMS",
        "quantity": "4",
        "scrap_percent": "1",
        "designators": "MK1-MK4",
    },
    {
        "position": 40,
        "component_code": "R0402-4K7",
        "quantity": "4",
        "scrap_percent": "2",
        "designators": "R1-R4",
    },
    {
        "position": 50,
        "component_code": "C0402-100N",
        "quantity": "6",
        "scrap_percent": "2",
        "designators": "C1-C6",
    },
    {"position": 60, "component_code": "PCB-LED", "quantity": "1"},
    BOM_LINE_IN,
]
BOM_UPDATE: dict[str, Any] = {
    "description": "Adds a 10 uF bulk capacitor at the LED driver (C7)",
    "base_quantity": "1",
    "effective_from": "2027-01-04",
    "effective_to": None,
    "lines": _LED_LINES,
}
BOM_CREATE: dict[str, Any] = {"item_code": "PCBA-LED", "revision": "B", **BOM_UPDATE}
#: Release the draft from 2027-01-04, ending the open-ended revision A the day before.
BOM_RELEASE: dict[str, Any] = {
    "effective_from": "2027-01-04",
    "effective_to": None,
    "allow_end_of_life": False,
    "supersede": True,
}
#: `POST /v1/boms/4/revise`: PCBA-MAIN revision C copied into a draft D.
BOM_REVISE: dict[str, Any] = {"revision": "D"}

SUBSTITUTE_OUT: dict[str, Any] = {
    "component_id": 17,
    "component_code": "C0603-10U-SAM",
    "priority": 1,
    "ratio": "1",
}
_LINE_OUT_DEFAULTS: dict[str, Any] = {
    "uom": "pcs",
    "fixed_quantity": "0",
    "rounding_multiple": None,
    "phantom": False,
    "consumable": False,
    "backflush": False,
    "operation_code": None,
    "notes": "",
}
#: Three of PCBA-MAIN revision B's 18 lines (`GET /v1/boms/3`).
_MAIN_B_LINES: list[dict[str, Any]] = [
    {
        "position": 40,
        "component_id": 5,
        "component_code": "IC-AMP-TAS",
        "component_name": "Class-D amplifier 2x23W, digital input",
        "quantity": "1",
        "scrap_percent": "0",
        "designators": "U4",
        "designator_count": 1,
        "substitutes": [],
        **_LINE_OUT_DEFAULTS,
    },
    {
        "position": 80,
        "component_id": 10,
        "component_code": "R0402-10K",
        "component_name": "Resistor 10k 0402 1%",
        "quantity": "12",
        "scrap_percent": "2",
        "designators": "R1-R12",
        "designator_count": 12,
        "substitutes": [],
        **_LINE_OUT_DEFAULTS,
    },
    {
        "position": 130,
        "component_id": 16,
        "component_code": "C0603-10U",
        "component_name": "Capacitor 10uF 25V 0603 X5R",
        "quantity": "4",
        "scrap_percent": "2",
        "designators": "C25-C28",
        "designator_count": 4,
        "substitutes": [SUBSTITUTE_OUT],
        **_LINE_OUT_DEFAULTS,
    },
]
BOM_LINE_OUT: dict[str, Any] = _MAIN_B_LINES[2]
BOM_SUMMARY: dict[str, Any] = {
    "id": 3,
    "item_id": 42,
    "item_code": "PCBA-MAIN",
    "revision": "B",
    "status": "released",
    "effective_from": "2026-09-05",
    "effective_to": "2026-12-11",
    "base_quantity": "1",
    "description": "ECN-0412: TAS5805M digital amplifier, fewer passives",
    "revised_from_id": None,
    "released_at": "2026-11-28T05:10:04.202559Z",
    "released_by": "user:admin",
    "line_count": 18,
    "version": 3,
    "created_at": "2026-11-28T05:10:04.159326Z",
    "updated_at": "2026-11-28T05:10:04.286804Z",
}
BOM_OUT: dict[str, Any] = {
    **BOM_SUMMARY,
    "approval": "not_required",
    "approval_ref": "",
    "release_request": None,
    "lines": _MAIN_B_LINES,
}

# --- approvals -------------------------------------------------------------------------

#: Workflow approves a held release (`reference`: its instance, `workflow:<id>`).
APPROVAL_DECISION: dict[str, Any] = {
    "decision": "approved",
    "reference": "workflow:12",
    "reason": "",
}
APPROVAL_GATE_IN: dict[str, Any] = {"required": True, "flow": "BOM release approval"}
#: The demo's gate: open (no flow decides BOM releases).
APPROVAL_GATE_OUT: dict[str, Any] = {
    "document_type": "bom_release",
    "required": False,
    "flow": "",
    "updated_at": None,
    "updated_by": None,
}
