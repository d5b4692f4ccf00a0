"""OpenAPI examples of the unit, category and item models: the demo company's (`make demo`).

Answers are copied from the running demo (Lumen Audio), trimmed to a few list items;
requests are ones that succeed on it. Used by `schemas.py` (`json_schema_extra`).
"""

from __future__ import annotations

from typing import Any

# --- units -----------------------------------------------------------------------------

UNIT_CREATE: dict[str, Any] = {
    "code": "kpcs",
    "name": "Thousand pieces",
    "decimals": 3,
    "rounding": "half_up",
    "base_unit": "pcs",
    "factor_to_base": "1000",
}
UNIT_OUT: dict[str, Any] = {
    "id": 3,
    "code": "reel",
    "name": "Reels",
    "decimals": 0,
    "rounding": "up",
    "base_unit": None,
    "factor_to_base": None,
    "version": 1,
}
UNIT_LIST: dict[str, Any] = {
    "items": [
        {
            "id": 11,
            "code": "g",
            "name": "Grams",
            "decimals": 3,
            "rounding": "half_up",
            "base_unit": "kg",
            "factor_to_base": "0.001",
            "version": 1,
        },
        {
            "id": 1,
            "code": "pcs",
            "name": "Pieces",
            "decimals": 0,
            "rounding": "up",
            "base_unit": None,
            "factor_to_base": None,
            "version": 1,
        },
        UNIT_OUT,
    ]
}
#: `GET /v1/items/10/convert?quantity=2&from_uom=reel&to_uom=pcs` (R0402-10K: 1 reel = 10,000).
CONVERSION_OUT: dict[str, Any] = {
    "item_code": "R0402-10K",
    "quantity": "2",
    "from_uom": "reel",
    "to_uom": "pcs",
    "factor": "10000",
    "exact": "20000",
    "rounded": "20000",
}

# --- categories ------------------------------------------------------------------------

_IC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "package": {"type": "string", "maxLength": 40},
        "msl": {"type": "integer", "minimum": 1, "maximum": 6},
    },
}
CATEGORY_CREATE: dict[str, Any] = {
    "code": "SEN",
    "name": "Sensors",
    "attribute_schema": {
        "type": "object",
        "properties": {"interface": {"type": "string", "enum": ["I2C", "SPI", "analog"]}},
    },
}
CATEGORY_UPDATE: dict[str, Any] = {
    "name": "Integrated circuits",
    "attribute_schema": _IC_SCHEMA,
}
CATEGORY_OUT: dict[str, Any] = {
    "id": 5,
    "code": "IC",
    "name": "Integrated circuits",
    "attribute_schema": {"type": "object"},
    "version": 1,
    "created_at": "2026-11-28T05:09:58.063666Z",
    "updated_at": "2026-11-28T05:09:58.063666Z",
}

# --- items -----------------------------------------------------------------------------

LOT_SIZING_IN: dict[str, Any] = {"policy": "minimum", "multiple": "10000"}
LOT_SIZING_OUT: dict[str, Any] = {
    "policy": "minimum",
    "fixed_quantity": None,
    "minimum_quantity": "2000",
    "multiple": None,
}
ITEM_CREATE: dict[str, Any] = {
    "code": "R0402-47K",
    "name": "Resistor 47k 0402 1%",
    "specification": "0402 1% 1/16W",
    "uom": "pcs",
    "item_type": "raw_material",
    "procurement": "buy",
    "tracking": "lot",
    "category": "RES",
    "safety_stock": "0",
    "lead_time_days": 21,
    "lot_sizing": LOT_SIZING_IN,
    "lifecycle": "active",
    "attributes": {},
}
#: What a planner changes on IC-AMP-TAS (item 5); finance sends only `standard_cost`.
ITEM_UPDATE: dict[str, Any] = {
    "safety_stock": "800",
    "lead_time_days": 56,
}
#: `GET /v1/items/5` as finance or admin read it (others get no `standard_cost`).
ITEM_OUT: dict[str, Any] = {
    "id": 5,
    "code": "IC-AMP-TAS",
    "name": "Class-D amplifier 2x23W, digital input",
    "specification": "HTSSOP-28",
    "uom": "pcs",
    "item_type": "raw_material",
    "procurement": "buy",
    "tracking": "lot",
    "shelf_life_days": None,
    "category": "IC",
    "safety_stock": "600",
    "lead_time_days": 42,
    "lot_sizing": LOT_SIZING_OUT,
    "lifecycle": "active",
    "standard_cost": "1.05",
    "attributes": {},
    "version": 1,
    "created_at": "2026-11-28T05:09:59.244486Z",
    "updated_at": "2026-11-28T05:09:59.244486Z",
}

UNIT_CONVERSION_IN: dict[str, Any] = {"uom": "reel", "factor": "10000"}
UNIT_CONVERSION_OUT: dict[str, Any] = {"uom": "reel", "factor": "10000"}
UNIT_CONVERSION_LIST: dict[str, Any] = {
    "item_code": "R0402-10K",
    "stock_uom": "pcs",
    "items": [UNIT_CONVERSION_OUT],
}

#: A second source for R0402-10K (item 10).
MANUFACTURER_PART_CREATE: dict[str, Any] = {
    "manufacturer": "UNI-ROYAL",
    "mpn": "0402WGF1002TCE",
    "approved": True,
    "priority": 2,
    "notes": "Second source for the SMT line",
}
MANUFACTURER_PART_UPDATE: dict[str, Any] = {
    "approved": True,
    "priority": 2,
    "notes": "Qualified on PCBA-MAIN rev C",
}
_TI_PART: dict[str, Any] = {
    "id": 5,
    "item_id": 5,
    "item_code": "IC-AMP-TAS",
    "manufacturer": "TI",
    "mpn": "TAS5805MPWPR",
    "approved": True,
    "priority": 1,
    "notes": "",
    "created_at": "2026-11-28T05:09:59.736649Z",
}
MANUFACTURER_PART_OUT: dict[str, Any] = {
    "id": 1617,
    "item_id": 5,
    "item_code": "IC-AMP-TAS",
    "manufacturer": "Awinic",
    "mpn": "AW88298",
    "approved": True,
    "priority": 2,
    "notes": "",
    "created_at": "2026-11-28T05:10:00.308735Z",
}
MANUFACTURER_PART_LIST: dict[str, Any] = {"items": [_TI_PART, MANUFACTURER_PART_OUT]}
