"""OpenAPI examples of the BOM query and planning answers: the demo company's.

Copied from the running demo (`make demo`, on its day 2026-11-28), lists trimmed to a few
rows (counts such as `row_count` are the whole answer's). Used by `query_schemas.py` and
`planning_schemas.py` (`json_schema_extra`).
"""

from __future__ import annotations

from typing import Any

#: `GET /v1/boms/7/explosion` (SPK-ONE-BLK): 3 of its 42 rows.
EXPLOSION_OUT: dict[str, Any] = {
    "bom": {
        "id": 7,
        "item_id": 40,
        "item_code": "SPK-ONE-BLK",
        "item_name": "Lumen One smart speaker, black",
        "revision": "A",
        "status": "released",
        "base_quantity": "1",
        "effective_from": "2025-10-24",
        "effective_to": None,
    },
    "quantity": "1",
    "date": "2026-11-28",
    "max_levels": None,
    "row_count": 42,
    "rows": [
        {
            "level": 1,
            "path": ["SPK-ONE-BLK", "ASM-ONE-CORE"],
            "position": 10,
            "component_id": 41,
            "component_code": "ASM-ONE-CORE",
            "component_name": "Lumen One core assembly (acoustic unit)",
            "item_type": "semi_finished",
            "lifecycle": "active",
            "uom": "pcs",
            "quantity_per": "1",
            "scrap_percent": "0",
            "fixed_quantity": "0",
            "phantom": False,
            "consumable": False,
            "designators": "",
            "bom_id": 7,
            "revision": "A",
            "substitutes": [],
            "extended_quantity": "1",
            "has_children": True,
            "child_bom_id": 6,
            "child_revision": "A",
            "cycle": False,
        },
        {
            "level": 2,
            "path": ["SPK-ONE-BLK", "ASM-ONE-CORE", "PCBA-MAIN"],
            "position": 10,
            "component_id": 42,
            "component_code": "PCBA-MAIN",
            "component_name": "Main board PCBA (SoC, audio, power)",
            "item_type": "semi_finished",
            "lifecycle": "active",
            "uom": "pcs",
            "quantity_per": "1",
            "scrap_percent": "0",
            "fixed_quantity": "0",
            "phantom": False,
            "consumable": False,
            "designators": "",
            "bom_id": 6,
            "revision": "A",
            "substitutes": [],
            "extended_quantity": "1",
            "has_children": True,
            "child_bom_id": 3,
            "child_revision": "B",
            "cycle": False,
        },
        {
            "level": 3,
            "path": ["SPK-ONE-BLK", "ASM-ONE-CORE", "PCBA-MAIN", "R0402-10K"],
            "position": 80,
            "component_id": 10,
            "component_code": "R0402-10K",
            "component_name": "Resistor 10k 0402 1%",
            "item_type": "raw_material",
            "lifecycle": "active",
            "uom": "pcs",
            "quantity_per": "12",
            "scrap_percent": "2",
            "fixed_quantity": "0",
            "phantom": False,
            "consumable": False,
            "designators": "R1-R12",
            "bom_id": 3,
            "revision": "B",
            "substitutes": [],
            "extended_quantity": "12.24",
            "has_children": False,
            "child_bom_id": None,
            "child_revision": None,
            "cycle": False,
        },
    ],
}

#: `GET /v1/boms/7/requirements?quantity=60` (WO-14-SPK's 60 speakers): 3 of 41.
REQUIREMENTS_OUT: dict[str, Any] = {
    "bom": {
        "id": 7,
        "item_id": 40,
        "item_code": "SPK-ONE-BLK",
        "item_name": "Lumen One smart speaker, black",
        "revision": "A",
        "status": "released",
        "base_quantity": "1",
        "effective_from": "2025-10-24",
        "effective_to": None,
    },
    "quantity": "60",
    "date": "2026-11-28",
    "items": [
        {
            "component_id": 5,
            "component_code": "IC-AMP-TAS",
            "component_name": "Class-D amplifier 2x23W, digital input",
            "item_type": "raw_material",
            "uom": "pcs",
            "quantity": "60",
            "consumable": False,
            "sub_assembly": False,
            "occurrences": 1,
            "lowest_level": 3,
        },
        {
            "component_id": 42,
            "component_code": "PCBA-MAIN",
            "component_name": "Main board PCBA (SoC, audio, power)",
            "item_type": "semi_finished",
            "uom": "pcs",
            "quantity": "60",
            "consumable": False,
            "sub_assembly": True,
            "occurrences": 1,
            "lowest_level": 2,
        },
        {
            "component_id": 10,
            "component_code": "R0402-10K",
            "component_name": "Resistor 10k 0402 1%",
            "item_type": "raw_material",
            "uom": "pcs",
            "quantity": "734.4",
            "consumable": False,
            "sub_assembly": False,
            "occurrences": 1,
            "lowest_level": 3,
        },
    ],
}

#: `GET /v1/items/5/where-used` (IC-AMP-TAS): PCBA-MAIN revisions B and C.
WHERE_USED_OUT: dict[str, Any] = {
    "item": {
        "id": 5,
        "code": "IC-AMP-TAS",
        "name": "Class-D amplifier 2x23W, digital input",
        "item_type": "raw_material",
        "lifecycle": "active",
    },
    "multi_level": False,
    "date": None,
    "rows": [
        {
            "level": 1,
            "path": ["IC-AMP-TAS", "PCBA-MAIN"],
            "parent_item_id": 42,
            "parent_item_code": "PCBA-MAIN",
            "parent_item_name": "Main board PCBA (SoC, audio, power)",
            "parent_item_type": "semi_finished",
            "bom_id": 3,
            "revision": "B",
            "effective_from": "2026-09-05",
            "effective_to": "2026-12-11",
            "base_quantity": "1",
            "position": 40,
            "used_as": "component",
            "quantity": "1",
            "uom": "pcs",
            "priority": None,
            "ratio": None,
            "top_product": False,
            "cycle": False,
        },
        {
            "level": 1,
            "path": ["IC-AMP-TAS", "PCBA-MAIN"],
            "parent_item_id": 42,
            "parent_item_code": "PCBA-MAIN",
            "parent_item_name": "Main board PCBA (SoC, audio, power)",
            "parent_item_type": "semi_finished",
            "bom_id": 4,
            "revision": "C",
            "effective_from": "2026-12-12",
            "effective_to": None,
            "base_quantity": "1",
            "position": 40,
            "used_as": "component",
            "quantity": "1",
            "uom": "pcs",
            "priority": None,
            "ratio": None,
            "top_product": False,
            "cycle": False,
        },
    ],
    "top_products": [],
}

#: `GET /v1/low-level-codes`: 3 of the 1,988 items.
LOW_LEVEL_CODES_OUT: dict[str, Any] = {
    "graph_stamp": 10,
    "max_level": 4,
    "item_count": 1988,
    "cyclic_item_codes": [],
    "items": [
        {"item_id": 1, "item_code": "IC-ESP32S3", "low_level_code": 4},
        {"item_id": 40, "item_code": "SPK-ONE-BLK", "low_level_code": 0},
        {"item_id": 42, "item_code": "PCBA-MAIN", "low_level_code": 2},
    ],
}

#: `GET /v1/boms/3/cost-rollup` (PCBA-MAIN B, as finance): 3 of 18 lines.
COST_ROLLUP_OUT: dict[str, Any] = {
    "bom": {
        "id": 3,
        "item_id": 42,
        "item_code": "PCBA-MAIN",
        "item_name": "Main board PCBA (SoC, audio, power)",
        "revision": "B",
        "status": "released",
        "base_quantity": "1",
        "effective_from": "2026-09-05",
        "effective_to": "2026-12-11",
    },
    "date": "2026-11-28",
    "cost_per_unit": "8.030936",
    "cost_per_base_quantity": "8.030936",
    "fixed_cost_per_order": "0",
    "complete": True,
    "lines": [
        {
            "position": 10,
            "component_id": 44,
            "component_code": "IC-MCU-PRG",
            "component_name": "ESP32-S3 programmed with Lumen firmware",
            "uom": "pcs",
            "stock_uom": "pcs",
            "quantity_per_unit": "1",
            "stock_quantity_per_unit": "1",
            "fixed_quantity": "0",
            "cost_source": "rolled_up",
            "unit_cost": "3.1155",
            "cost_per_unit": "3.1155",
            "fixed_cost_per_order": "0",
            "child_bom_id": 1,
            "child_revision": "A",
            "complete": True,
        },
        {
            "position": 40,
            "component_id": 5,
            "component_code": "IC-AMP-TAS",
            "component_name": "Class-D amplifier 2x23W, digital input",
            "uom": "pcs",
            "stock_uom": "pcs",
            "quantity_per_unit": "1",
            "stock_quantity_per_unit": "1",
            "fixed_quantity": "0",
            "cost_source": "standard",
            "unit_cost": "1.05",
            "cost_per_unit": "1.05",
            "fixed_cost_per_order": "0",
            "child_bom_id": None,
            "child_revision": None,
            "complete": True,
        },
        {
            "position": 80,
            "component_id": 10,
            "component_code": "R0402-10K",
            "component_name": "Resistor 10k 0402 1%",
            "uom": "pcs",
            "stock_uom": "pcs",
            "quantity_per_unit": "12.24",
            "stock_quantity_per_unit": "12.24",
            "fixed_quantity": "0",
            "cost_source": "standard",
            "unit_cost": "0.0008",
            "cost_per_unit": "0.009792",
            "fixed_cost_per_order": "0",
            "child_bom_id": None,
            "child_revision": None,
            "complete": True,
        },
    ],
    "missing": [],
}

#: `GET /v1/boms/3/diff?against=2`: PCBA-MAIN revision A to B (ECN-0412).
BOM_DIFF_OUT: dict[str, Any] = {
    "before": {
        "id": 2,
        "item_id": 42,
        "item_code": "PCBA-MAIN",
        "item_name": "Main board PCBA (SoC, audio, power)",
        "revision": "A",
        "status": "released",
        "base_quantity": "1",
        "effective_from": "2025-10-24",
        "effective_to": "2026-09-04",
    },
    "after": {
        "id": 3,
        "item_id": 42,
        "item_code": "PCBA-MAIN",
        "item_name": "Main board PCBA (SoC, audio, power)",
        "revision": "B",
        "status": "released",
        "base_quantity": "1",
        "effective_from": "2026-09-05",
        "effective_to": "2026-12-11",
    },
    "header_changes": [
        {"field": "effective_from", "before": "2025-10-24", "after": "2026-09-05"},
        {"field": "effective_to", "before": "2026-09-04", "after": "2026-12-11"},
    ],
    "added": [
        {
            "position": 40,
            "component_id": 5,
            "component_code": "IC-AMP-TAS",
            "component_name": "Class-D amplifier 2x23W, digital input",
            "quantity": "1",
            "uom": "pcs",
            "scrap_percent": "0",
            "fixed_quantity": "0",
            "phantom": False,
            "consumable": False,
            "designators": "U4",
            "operation_code": None,
            "substitutes": [],
        }
    ],
    "removed": [
        {
            "position": 40,
            "component_id": 4,
            "component_code": "IC-AMP-TPA",
            "component_name": "Class-D amplifier 2x20W (rev A)",
            "quantity": "1",
            "uom": "pcs",
            "scrap_percent": "0",
            "fixed_quantity": "0",
            "phantom": False,
            "consumable": False,
            "designators": "U4",
            "operation_code": None,
            "substitutes": [],
        }
    ],
    "changed": [
        {
            "component_id": 12,
            "component_code": "R0402-22R",
            "component_name": "Resistor 22 ohm 0402 1%",
            "before_position": 100,
            "after_position": 100,
            "changes": [
                {"field": "quantity", "before": "6", "after": "4"},
                {"field": "quantity_per", "before": "6", "after": "4"},
            ],
            "designators_added": [],
            "designators_removed": ["R21", "R22"],
            "substitutes_added": [],
            "substitutes_removed": [],
            "substitutes_changed": [],
        },
        {
            "component_id": 18,
            "component_code": "C0805-22U",
            "component_name": "Capacitor 22uF 25V 0805 X5R",
            "before_position": 140,
            "after_position": 140,
            "changes": [
                {"field": "quantity", "before": "4", "after": "2"},
                {"field": "quantity_per", "before": "4", "after": "2"},
            ],
            "designators_added": [],
            "designators_removed": ["C31", "C32"],
            "substitutes_added": [],
            "substitutes_removed": [],
            "substitutes_changed": [],
        },
        {
            "component_id": 19,
            "component_code": "L-4U7-PWR",
            "component_name": "Power inductor 4.7uH 3A",
            "before_position": 150,
            "after_position": 150,
            "changes": [
                {"field": "quantity", "before": "2", "after": "1"},
                {"field": "quantity_per", "before": "2", "after": "1"},
            ],
            "designators_added": [],
            "designators_removed": ["L2"],
            "substitutes_added": [],
            "substitutes_removed": [],
            "substitutes_changed": [],
        },
    ],
    "unchanged_count": 14,
}

#: `GET /v1/planning-data?root=PCBA-LED`: 2 of its 7 items, 2 of 6 lines.
PLANNING_DATA_OUT: dict[str, Any] = {
    "graph_stamp": 10,
    "items": [
        {
            "id": 21,
            "code": "MIC-MEMS",
            "name": "MEMS microphone, bottom port",
            "uom": "pcs",
            "item_type": "raw_material",
            "procurement": "buy",
            "lead_time_days": 21,
            "safety_stock": "2000",
            "lot_sizing": {
                "policy": "lot_for_lot",
                "fixed_quantity": None,
                "minimum_quantity": None,
                "multiple": None,
            },
            "lifecycle": "active",
            "low_level_code": 3,
        },
        {
            "id": 43,
            "code": "PCBA-LED",
            "name": "LED and microphone ring PCBA",
            "uom": "pcs",
            "item_type": "semi_finished",
            "procurement": "make",
            "lead_time_days": 3,
            "safety_stock": "0",
            "lot_sizing": {
                "policy": "lot_for_lot",
                "fixed_quantity": None,
                "minimum_quantity": None,
                "multiple": None,
            },
            "lifecycle": "active",
            "low_level_code": 2,
        },
    ],
    "boms": [
        {
            "id": 5,
            "item_id": 43,
            "item_code": "PCBA-LED",
            "revision": "A",
            "effective_from": "2025-10-24",
            "effective_to": None,
            "base_quantity": "1",
            "lines": [
                {
                    "position": 20,
                    "component_id": 20,
                    "component_code": "LED0402-RGB",
                    "quantity": "12",
                    "uom": "pcs",
                    "quantity_per": "12",
                    "scrap_percent": "1",
                    "fixed_quantity": "0",
                    "rounding_multiple": None,
                    "phantom": False,
                    "backflush": False,
                    "operation_code": None,
                    "substitutes": [],
                    "conversion_problem": None,
                },
                {
                    "position": 30,
                    "component_id": 21,
                    "component_code": "MIC-MEMS",
                    "quantity": "4",
                    "uom": "pcs",
                    "quantity_per": "4",
                    "scrap_percent": "1",
                    "fixed_quantity": "0",
                    "rounding_multiple": None,
                    "phantom": False,
                    "backflush": False,
                    "operation_code": None,
                    "substitutes": [],
                    "conversion_problem": None,
                },
            ],
        }
    ],
}

# --- the parts, for the models they are made of ---------------------------------------

BOM_REF: dict[str, Any] = EXPLOSION_OUT["bom"]
ITEM_REF: dict[str, Any] = WHERE_USED_OUT["item"]
SUBSTITUTE_REF: dict[str, Any] = {
    "component_id": 17,
    "component_code": "C0603-10U-SAM",
    "priority": 1,
    "ratio": "1",
}
EXPLOSION_ROW_OUT: dict[str, Any] = EXPLOSION_OUT["rows"][2]
REQUIREMENT_OUT: dict[str, Any] = REQUIREMENTS_OUT["items"][0]
WHERE_USED_ROW_OUT: dict[str, Any] = WHERE_USED_OUT["rows"][0]
LOW_LEVEL_CODE_OUT: dict[str, Any] = LOW_LEVEL_CODES_OUT["items"][0]
COST_LINE_OUT: dict[str, Any] = COST_ROLLUP_OUT["lines"][2]
FIELD_CHANGE_OUT: dict[str, Any] = BOM_DIFF_OUT["changed"][0]["changes"][0]
DIFF_LINE_OUT: dict[str, Any] = BOM_DIFF_OUT["added"][0]
LINE_CHANGE_OUT: dict[str, Any] = BOM_DIFF_OUT["changed"][0]

PLANNING_ITEM_OUT: dict[str, Any] = PLANNING_DATA_OUT["items"][0]
PLANNING_LOT_SIZING_OUT: dict[str, Any] = PLANNING_ITEM_OUT["lot_sizing"]
PLANNING_BOM_OUT: dict[str, Any] = PLANNING_DATA_OUT["boms"][0]
PLANNING_LINE_OUT: dict[str, Any] = PLANNING_BOM_OUT["lines"][0]
PLANNING_SUBSTITUTE_OUT: dict[str, Any] = SUBSTITUTE_REF
#: Not in the demo, whose costs are all known, nor do its revisions re-rank a substitute:
#: the new R0402-47K (created without a standard cost) on a PCBA-MAIN draft, and the
#: Samsung capacitor moved to second place.
MISSING_COST_OUT: dict[str, Any] = {
    "component_id": 1989,
    "component_code": "R0402-47K",
    "component_name": "Resistor 47k 0402 1%",
    "paths": [["PCBA-MAIN", "R0402-47K"]],
}
SUBSTITUTE_CHANGE_OUT: dict[str, Any] = {
    "component_id": 17,
    "component_code": "C0603-10U-SAM",
    "before_priority": 1,
    "after_priority": 2,
    "before_ratio": "1",
    "after_ratio": "1",
}
