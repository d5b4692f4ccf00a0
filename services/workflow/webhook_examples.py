"""OpenAPI examples of the event webhook models (`webhook_schemas.py`).

The demo company (`make demo`, Lumen Audio) has no webhooks: the subscription is the MES
taking every posted stock document (`stock.*Posted`); its delivery carries the demo's real
event, stock's `RequisitionPosted` of MR-00000054 (seq 5132, lines and movements trimmed
to one), and the replay reads the demo's stock feed from seq 5000 (138 events, 130 of
them posted documents and movements).
"""

from __future__ import annotations

from typing import Any

WEBHOOK_IN: dict[str, Any] = {
    "name": "MES inventory sync",
    "url": "https://mes.lumen-audio.example/hooks/inventory",
    "event_types": ["stock.*Posted"],
    "active": True,
    "description": "Posted receipts, issues, transfers and shipments for the MES line stock",
}

_CREATED = "2026-11-28T05:11:02.731845Z"

WEBHOOK: dict[str, Any] = {
    "id": 1,
    "name": "MES inventory sync",
    "url": "https://mes.lumen-audio.example/hooks/inventory",
    "event_types": ["stock.*Posted"],
    "active": True,
    "description": WEBHOOK_IN["description"],
    "secret_hint": "whsec_…hXOU",
    "replays": 0,
    "version": 1,
    "created_at": _CREATED,
    "created_by": "user:admin",
    "updated_at": _CREATED,
}

#: As made (POST): the signing secret is shown this once.
WEBHOOK_WITH_SECRET: dict[str, Any] = {
    **WEBHOOK,
    "secret": "whsec_HBFFZZXKWek6dRb4rpgvhHPCBNQxhXOU",
}

#: PUT /v1/webhooks/1: reversed documents and movements too.
WEBHOOK_UPDATE: dict[str, Any] = {
    **WEBHOOK_IN,
    "event_types": ["stock.*Posted", "stock.*Reversed"],
}

_UPDATED = "2026-11-30T02:40:12.118204Z"
WEBHOOK_UPDATED: dict[str, Any] = {
    **WEBHOOK,
    "event_types": WEBHOOK_UPDATE["event_types"],
    "version": 2,
    "updated_at": _UPDATED,
}

#: DELETE /v1/webhooks/1: switched off, its log kept.
WEBHOOK_DEACTIVATED: dict[str, Any] = {
    **WEBHOOK,
    "active": False,
    "version": 2,
    "updated_at": _UPDATED,
}

#: POST /v1/webhooks/1/rotate-secret: the new secret, shown this once.
WEBHOOK_ROTATED: dict[str, Any] = {
    **WEBHOOK,
    "secret_hint": "whsec_…uVwA",
    "version": 2,
    "updated_at": _UPDATED,
    "secret": "whsec_0DYFaNhgyNBkbFNTJ4xylfxyjjk2uVwA",
}

_OCCURRED = "2026-11-28T05:12:25.446806Z"
_POSTED_AT = "2026-11-28T05:12:25.407144Z"

#: Stock's event as the webhook's `data`.
REQUISITION_POSTED: dict[str, Any] = {
    "source": "stock",
    "seq": 5132,
    "event_id": "8fe167bd-bbf7-4156-9159-13a4e7f80dea",
    "type": "RequisitionPosted",
    "aggregate_type": "requisition",
    "aggregate_id": "54",
    "occurred_at": "2026-11-28T05:12:25.446806+00:00",
    "actor": "service:workflow",
    "payload": {
        "id": 54,
        "number": "MR-00000054",
        "status": "posted",
        "work_order": "WO-14-SPK",
        "to_location_code": "SZ/ASM-1",
        "from_location_code": None,
        "note": "",
        "lines": [
            {
                "line_no": 1,
                "item_code": "ASM-ONE-CORE",
                "quantity": "60",
                "entered_quantity": None,
                "entered_uom": None,
                "lot_number": None,
                "serial_numbers": [],
            }
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
            {
                "id": 4527,
                "document_type": "requisition",
                "document_id": 54,
                "item_code": "ASM-ONE-CORE",
                "lot_number": "CORE-13",
                "serial_number": None,
                "quantity": "60",
                "from_location": "SZ/SFG",
                "to_location": "SZ/ASM-1",
                "from_state": "qualified",
                "to_state": "qualified",
                "stage": "wip",
                "sequence": 4527,
                "unit_cost": "17.511876",
                "value": "1050.71256",
                "posted_at": _POSTED_AT,
                "posted_by": "service:workflow",
                "reversal_of_id": None,
                "purchase_order": "",
                "work_order": "WO-14-SPK",
                "sales_order": "",
                "supplier": "",
                "customer": "",
            }
        ],
    },
}

DELIVERY_ID = 118
_QUEUED = "2026-11-28T05:12:25.812634Z"
_DELIVERED = "2026-11-28T05:12:26.097215Z"

DELIVERY: dict[str, Any] = {
    "id": DELIVERY_ID,
    "subscription_id": 1,
    "source": "stock",
    "seq": 5132,
    "generation": 0,
    "event_id": "8fe167bd-bbf7-4156-9159-13a4e7f80dea",
    "event_type": "stock.RequisitionPosted",
    "webhook_id": "evt_stock_5132",
    "occurred_at": _OCCURRED,
    "state": "delivered",
    "attempts": 1,
    "next_attempt_at": _QUEUED,
    "last_attempt_at": _DELIVERED,
    "last_status": 200,
    "last_error": "",
    "created_at": _QUEUED,
    "delivered_at": _DELIVERED,
    "data": REQUISITION_POSTED,
}

#: POST /v1/webhooks/1/deliveries/118/retry: it had died on the MES's 503s (the MES was
#: being upgraded); pending again from its first attempt.
DELIVERY_RETRIED: dict[str, Any] = {
    **DELIVERY,
    "state": "pending",
    "attempts": 0,
    "next_attempt_at": "2026-11-30T02:44:09.530117Z",
    "last_attempt_at": "2026-11-28T17:02:31.664870Z",
    "last_status": 503,
    "last_error": "HTTP 503: Service Unavailable",
    "delivered_at": None,
}

REPLAY_IN: dict[str, Any] = {"source": "stock", "from_seq": 5000, "to_seq": None}

REPLAY: dict[str, Any] = {
    "subscription_id": 1,
    "source": "stock",
    "generation": 1,
    "from_seq": 5000,
    "through_seq": 5137,
    "scanned": 138,
    "queued": 130,
    "has_more": False,
}
