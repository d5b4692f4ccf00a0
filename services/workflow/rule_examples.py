"""OpenAPI examples of the rule and to-do models (`schemas.py`): answers copied from the
demo company (`make demo`, Lumen Audio), requests that succeed on its data.

The shipped `safety_stock` rule (switched on by the demo), dry-run on IC-ESP32S3 (469
available, 800 safety stock, bought in lots of at least 500: the buyer zhou is told and
gets a to-do for 500); the shipped `pending_inspection` rule previewed and run on the
day after the demo's deliveries (PCB-LED and MIC-MEMS waiting at SZ/RAW/B-01). The demo
has no to-dos yet: the to-do is the one the safety-stock rule opens for IC-ESP32S3.
"""

from __future__ import annotations

from typing import Any

# --- rules -----------------------------------------------------------------------------

BALANCE_TRIGGER: dict[str, Any] = {
    "kind": "balance_changed",
    "at": None,
    "calendar": "standard",
    "working_days_only": False,
    "source": None,
    "days": 30,
}
SCHEDULE_TRIGGER: dict[str, Any] = {
    "kind": "schedule",
    "at": "08:00",
    "calendar": "standard",
    "working_days_only": False,
    "source": "pending_inspection",
    "days": 30,
}
EVERYTHING: dict[str, Any] = {"categories": [], "item_types": []}
IC_PARTS: dict[str, Any] = {"categories": ["IC"], "item_types": ["raw_material"]}

_SAFETY_VALUES = {
    "item_code": "subject.item_code",
    "item_name": "facts.item.name",
    "available": "facts.availability.available",
    "safety_stock": "facts.item.safety_stock",
    "shortage": "facts.shortage",
    "suggested_quantity": "facts.suggested_quantity",
}
_ACTION_DEFAULTS: dict[str, Any] = {
    "channel": None,
    "template": None,
    "values": {},
    "to_role": None,
    "todo_type": None,
    "assignee_role": None,
    "assignee": None,
    "title": None,
    "quantity": None,
    "event_type": "rule.fired",
    "amount": None,
    "link": None,
}
NOTIFY_BUYERS: dict[str, Any] = {
    "kind": "notify",
    **_ACTION_DEFAULTS,
    "channel": "buyers",
    "template": "safety_stock",
    "values": _SAFETY_VALUES,
    "to_role": "buyer",
}
PURCHASE_TODO: dict[str, Any] = {
    "kind": "todo",
    **_ACTION_DEFAULTS,
    "todo_type": "purchase",
    "assignee_role": "buyer",
    "title": '"补货 Replenish " + subject.item_code + ": " + string(facts.suggested_quantity)',
    "quantity": "facts.suggested_quantity",
}
_AVAILABILITY_LINK = '"/v1/availability?item_code=" + subject.item_code'

#: A new rule (POST): ICs whose stock and open purchase orders together fall short.
RULE_IN: dict[str, Any] = {
    "code": "ic_cover",
    "name": "ICs not covered by stock and open orders (IC 覆盖不足)",
    "trigger": BALANCE_TRIGGER,
    "scope": IC_PARTS,
    "facts": ["item", "availability", "open_purchase"],
    "condition": "facts.item.safety_stock > 0 && "
    "facts.availability.available + facts.open_purchase < facts.item.safety_stock",
    "key": "subject.item_code",
    "actions": [
        {
            "kind": "notify",
            "channel": "buyers",
            "template": "safety_stock",
            "values": _SAFETY_VALUES,
            "to_role": "buyer",
            "link": _AVAILABILITY_LINK,
        }
    ],
    "active": False,
}

_SAFETY_STOCK: dict[str, Any] = {
    "code": "safety_stock",
    "name": "Below safety stock (低于安全库存)",
    "trigger": BALANCE_TRIGGER,
    "scope": EVERYTHING,
    "facts": ["item", "availability", "open_purchase"],
    "condition": "facts.item.safety_stock > 0 && "
    "facts.availability.available < facts.item.safety_stock",
    "key": "subject.item_code",
    "actions": [NOTIFY_BUYERS, PURCHASE_TODO],
    "active": True,
}

#: The safety-stock rule replaced (PUT /v1/rules/safety_stock): its message links to the
#: item's availability.
RULE_UPDATE: dict[str, Any] = {
    **_SAFETY_STOCK,
    "actions": [{**NOTIFY_BUYERS, "link": _AVAILABILITY_LINK}, PURCHASE_TODO],
}

RULE: dict[str, Any] = {
    **_SAFETY_STOCK,
    "id": 1,
    "version": 2,
    "created_at": "2026-11-27T00:00:00Z",
    "updated_at": "2026-11-28T05:12:31.306782Z",
    "open_episodes": 0,
    "next_run_at": None,
    "last_run": None,
}

_SAVED = "2026-11-30T01:25:49.630512Z"
_NEW_RULE = {"id": 7, "version": 1, "created_at": _SAVED, "updated_at": _SAVED}
_NO_RUN = {"open_episodes": 0, "next_run_at": None, "last_run": None}

#: Answers of POST and PUT with the bodies above.
RULE_CREATED: dict[str, Any] = {
    **RULE_IN,
    "actions": [{**NOTIFY_BUYERS, "link": _AVAILABILITY_LINK}],
    **_NEW_RULE,
    **_NO_RUN,
}
RULE_UPDATED: dict[str, Any] = {**RULE, **RULE_UPDATE, "version": 3, "updated_at": _SAVED}

#: `pending_inspection` run by hand the day after the deliveries: both lots waited > 24 h.
RUN: dict[str, Any] = {
    "at": "2026-11-28T06:00:00.412387Z",
    "subjects": 2,
    "fired": 2,
    "closed": 0,
    "problem": "",
}

# --- dry runs and previews -------------------------------------------------------------

DRY_RUN_IN: dict[str, Any] = {"item_code": "IC-ESP32S3"}

_ESP32 = "SoC ESP32-S3 dual-core Wi-Fi/BLE"
NOTIFY_PLANNED: dict[str, Any] = {
    "kind": "notify",
    "detail": {
        "channel": "buyers",
        "template": "safety_stock",
        "values": {
            "item_code": "IC-ESP32S3",
            "item_name": _ESP32,
            "available": "469",
            "safety_stock": "800",
            "shortage": "331",
            "suggested_quantity": "500",
        },
        "people": ["zhou"],
        "link": "",
    },
}

DRY_RUN: dict[str, Any] = {
    "rule": "safety_stock",
    "key": "IC-ESP32S3",
    "subject": {},
    "facts": {
        "item": {
            "id": 1,
            "code": "IC-ESP32S3",
            "name": _ESP32,
            "specification": "QFN-56, 8 MB PSRAM",
            "uom": "pcs",
            "item_type": "raw_material",
            "procurement": "buy",
            "tracking": "lot",
            "shelf_life_days": None,
            "category": "IC",
            "safety_stock": 800.0,
            "lead_time_days": 42,
            "lot_sizing": {
                "policy": "minimum",
                "fixed_quantity": None,
                "minimum_quantity": "500",
                "multiple": None,
            },
            "lifecycle": "active",
            "standard_cost": "3.1",
            "attributes": {},
            "version": 1,
            "created_at": "2026-11-28T05:09:59.244486Z",
            "updated_at": "2026-11-28T05:09:59.244486Z",
        },
        "availability": {
            "qualified": 469.0,
            "pending_inspection": 0.0,
            "defective": 0.0,
            "wip": 0.0,
            "reserved": 0.0,
            "available": 469.0,
        },
        "open_purchase": 0.0,
        "shortage": 331.0,
        "suggested_quantity": 500.0,
    },
    "condition": True,
    "episode_open": False,
    "would_fire": True,
    "actions": [
        NOTIFY_PLANNED,
        {
            "kind": "todo",
            "detail": {
                "todo_type": "purchase",
                "title": "补货 Replenish IC-ESP32S3: 500",
                "item_code": "IC-ESP32S3",
                "quantity": "500.000000",
                "assignee": "",
                "assignee_role": "buyer",
            },
        },
    ],
    "problem": "",
}


def _waiting(code: str, name: str, category: str, lot: str, quantity: int, since: str) -> Any:
    """What `pending_inspection` would do for a lot waiting at SZ/RAW/B-01."""
    where = "SZ/RAW/B-01"
    return {
        "rule": "pending_inspection",
        "key": f"{code}/{lot}@{where}",
        "subject": {
            "item_code": code,
            "lot_number": lot,
            "location_code": where,
            "quantity": float(quantity),
            "since": f"2026-11-27 {since}",
            "hours_waiting": 28.5 if since == "09:30" else 27.5,
            "item_name": name,
            "category": category,
            "item_type": "raw_material",
        },
        "facts": {},
        "condition": True,
        "episode_open": False,
        "would_fire": True,
        "actions": [
            {
                "kind": "notify",
                "detail": {
                    "channel": "quality",
                    "template": "inspection_waiting",
                    "values": {
                        "document_number": f"{code} {lot}",
                        "item_code": code,
                        "item_name": name,
                        "quantity": str(quantity),
                        "received_at": f"2026-11-27 {since}",
                    },
                    "people": [],
                    "link": "",
                },
            },
            {
                "kind": "todo",
                "detail": {
                    "todo_type": "inspect",
                    "title": f"Inspect 检验 {code} {lot} at {where}",
                    "item_code": code,
                    "quantity": f"{quantity}.000000",
                    "assignee": "",
                    "assignee_role": "inspector",
                },
            },
        ],
        "problem": "",
    }


#: `pending_inspection` previewed at 14:00 the day after the deliveries.
PREVIEW: dict[str, Any] = {
    "rule": "pending_inspection",
    "subjects": 2,
    "would_fire": [
        _waiting("PCB-LED", "LED ring bare PCB, 2 layers", "PCB", "PCB-LED-L06", 200, "09:30"),
        _waiting("MIC-MEMS", "MEMS microphone, bottom port", "ACOU", "MIC-MEMS-L03", 5000, "10:30"),
    ],
    "would_close": [],
    "problem": "",
}

# --- to-dos ----------------------------------------------------------------------------

#: A to-do opened by hand (POST): the four feet the month-end count missed.
TODO_IN: dict[str, Any] = {
    "todo_type": "recount",
    "title": "Recount MEC-FOOT at SZ/RAW/C-01: 4 missing at the month-end count",
    "item_code": "MEC-FOOT",
    "quantity": "4",
    "link": "/v1/stock-counts/1",
    "assignee": "wang",
    "assignee_role": None,
    "due_date": "2026-12-01T10:00:00Z",
    "note": "PI-00000001",
}

#: The answer of POST with `TODO_IN`.
TODO_CREATED: dict[str, Any] = {
    "id": 2,
    "todo_type": "recount",
    "title": TODO_IN["title"],
    "item_code": "MEC-FOOT",
    "quantity": "4",
    "link": "/v1/stock-counts/1",
    "assignee": "wang",
    "assignee_role": "",
    "due_date": "2026-12-01T10:00:00Z",
    "status": "open",
    "detail": {},
    "source": "",
    "created_at": "2026-11-30T01:31:12.045873Z",
    "created_by": "user:admin",
    "closed_at": None,
    "closed_by": "",
    "note": "PI-00000001",
}

#: The purchase to-do the safety-stock rule opens for IC-ESP32S3.
TODO: dict[str, Any] = {
    "id": 1,
    "todo_type": "purchase",
    "title": "补货 Replenish IC-ESP32S3: 500",
    "item_code": "IC-ESP32S3",
    "quantity": "500",
    "link": "",
    "assignee": "",
    "assignee_role": "buyer",
    "due_date": None,
    "status": "open",
    "detail": {"rule": "safety_stock", "key": "IC-ESP32S3"},
    "source": "rule:1:IC-ESP32S3:1",
    "created_at": "2026-11-30T01:42:17.503214Z",
    "created_by": "rule:safety_stock",
    "closed_at": None,
    "closed_by": "",
    "note": "",
}

_CLOSED = {"closed_at": "2026-11-30T03:05:51.220873Z", "closed_by": "user:zhou"}
TODO_DONE: dict[str, Any] = {**TODO, "status": "done", **_CLOSED}
TODO_CANCELLED: dict[str, Any] = {**TODO, "status": "cancelled", **_CLOSED}
