"""OpenAPI examples of the MES operation and test record models: the demo company's
(`make demo`).

The demo has no MES records of its own: the record is one MES would send for the first
speaker of WO-14-SPK (built on the assembly line from ASM-ONE-CORE lot CORE-13, which was
issued to it); `OPERATION_FROM_MRP` is the pack-out MES reported to mrp in the guided tour,
as trace keeps it. Used by `schemas.py` (`json_schema_extra`) and `api/operations.py`.
"""

from __future__ import annotations

from typing import Any

#: Output power at 1 kHz, above its lower limit.
MEASUREMENT_IN: dict[str, Any] = {
    "name": "output_power",
    "value": "3.02",
    "unit": "W",
    "low": "2.8",
    "high": "",
    "result": "pass",
}
#: The core assembly that went into the speaker: one of lot CORE-13.
COMPONENT_IN: dict[str, Any] = {
    "item_code": "ASM-ONE-CORE",
    "lot_number": "CORE-13",
    "quantity": "1",
}
#: `POST /v1/operations`: the end-of-line test of LS1-009001.
OPERATION_IN: dict[str, Any] = {
    "record_id": "MES-WO14-EOL-LS1-009001",
    "kind": "test",
    "work_order": "WO-14-SPK",
    "item_code": "SPK-ONE-BLK",
    "serial_number": "LS1-009001",
    "operation": "0080 End-of-line test",
    "station": "ASM-1 EOL-2",
    "operator": "Zhao",
    "result": "pass",
    "started_at": "2026-11-28T14:02:10+08:00",
    "finished_at": "2026-11-28T14:03:25+08:00",
    "measurements": [
        MEASUREMENT_IN,
        {
            "name": "thd_1khz",
            "value": "0.42",
            "unit": "%",
            "low": "",
            "high": "1.0",
            "result": "pass",
        },
    ],
    "components": [COMPONENT_IN],
    "note": "",
}
#: The answer to `OPERATION_IN` (201): times in UTC (the speaker belongs to no lot).
OPERATION_OUT: dict[str, Any] = {
    "id": 1,
    "record_id": "MES-WO14-EOL-LS1-009001",
    "source": "mes",
    "kind": "test",
    "work_order": "WO-14-SPK",
    "item_code": "SPK-ONE-BLK",
    "serial_number": "LS1-009001",
    "lot_number": None,
    "operation": "0080 End-of-line test",
    "station": "ASM-1 EOL-2",
    "operator": "Zhao",
    "result": "pass",
    "started_at": "2026-11-28T06:02:10Z",
    "finished_at": "2026-11-28T06:03:25Z",
    "measurements": OPERATION_IN["measurements"],
    "components": [
        {
            "item_code": "ASM-ONE-CORE",
            "lot_number": "CORE-13",
            "serial_number": None,
            "quantity": "1",
        }
    ],
    "note": "",
    "recorded_at": "2026-11-28T06:03:26.481207Z",
}
#: `GET /v1/operations/mrp:MES-WO14-1`: WO-14-SPK's pack-out, from mrp's feed.
OPERATION_FROM_MRP: dict[str, Any] = {
    "id": 2,
    "record_id": "mrp:MES-WO14-1",
    "source": "mrp",
    "kind": "operation",
    "work_order": "WO-14-SPK",
    "item_code": None,
    "serial_number": None,
    "lot_number": None,
    "operation": "0090 Pack-out",
    "station": "ASM-1",
    "operator": "Zhao",
    "result": "ok",
    "started_at": None,
    "finished_at": None,
    "measurements": [],
    "components": [],
    "note": "",
    "recorded_at": "2026-11-28T06:15:02.733914Z",
}
