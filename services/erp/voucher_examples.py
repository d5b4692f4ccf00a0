"""OpenAPI examples of the voucher and reconciliation models: the demo company's
(`make demo`).

Answers are copied from the running demo (book LS01), trimmed to a few list items. The
demo's book is pulled by its ERP, so the push and void examples show LS01 as if it pushed
to a U8 target named `u8` (ERP_PUSH_TARGETS). Used by `schemas.py` (`json_schema_extra`)
and `api/vouchers.py`.
"""

from __future__ import annotations

from typing import Any

#: Line 2 of LS01-00000027: the speakers leave 库存商品 (SZ).
LINE_OUT: dict[str, Any] = {
    "line_no": 2,
    "summary": "销售出库 SH-00000001",
    "account": "1405",
    "currency": "CNY",
    "debit": "0",
    "credit": "991.35",
    "quantity": "45",
    "unit_price": "22.03",
    "dimensions": {"material": "SPK-ONE-BLK", "warehouse": "SZ"},
}
#: `GET /v1/vouchers/27`: the voucher of shipment SH-00000001 (601), ready to export.
VOUCHER_OUT: dict[str, Any] = {
    "id": 27,
    "number": "LS01-00000027",
    "book_code": "LS01",
    "status": "ready",
    "date": "2026-06-05",
    "year": 2026,
    "period": 6,
    "word": "记",
    "preparer": "Chen Jing",
    "attachments": 1,
    "currency": "CNY",
    "document_type": "shipment",
    "document_id": 1,
    "document_number": "SH-00000001",
    "movement_types": ["601"],
    "red_ink": False,
    "reverses_number": None,
    "total": "991.35",
    "hold_reasons": [],
    "erp_number": None,
    "exported_at": None,
    "void_reason": None,
    "voided_at": None,
    "replaces_number": None,
    "cursor": 27,
    "updated_at": "2026-11-28T05:10:16.264461Z",
    "push": None,
    "lines": [
        {
            "line_no": 1,
            "summary": "销售出库 SH-00000001",
            "account": "6401",
            "currency": "CNY",
            "debit": "991.35",
            "credit": "0",
            "quantity": None,
            "unit_price": None,
            "dimensions": {"customer": "SoundHouse Japan", "material": "SPK-ONE-BLK"},
        },
        LINE_OUT,
    ],
}
#: `GET /v1/vouchers?book=LS01&document_type=shipment&limit=2`.
VOUCHER_FEED: dict[str, Any] = {
    "items": [
        VOUCHER_OUT,
        {
            **VOUCHER_OUT,
            "id": 28,
            "number": "LS01-00000028",
            "document_id": 2,
            "document_number": "SH-00000002",
            "total": "330.45",
            "cursor": 28,
            "lines": [
                {
                    "line_no": 1,
                    "summary": "销售出库 SH-00000002",
                    "account": "6401",
                    "currency": "CNY",
                    "debit": "330.45",
                    "credit": "0",
                    "quantity": None,
                    "unit_price": None,
                    "dimensions": {"customer": "Seoul Smart Home", "material": "SPK-ONE-BLK"},
                },
                {
                    "line_no": 2,
                    "summary": "销售出库 SH-00000002",
                    "account": "1405",
                    "currency": "CNY",
                    "debit": "0",
                    "credit": "330.45",
                    "quantity": "15",
                    "unit_price": "22.03",
                    "dimensions": {"material": "SPK-ONE-BLK", "warehouse": "SZ"},
                },
            ],
        },
    ],
    "next_after": 28,
    "has_more": True,
}

#: `POST /v1/vouchers/27/ack`: the ERP saved it as 记-0012.
ACKNOWLEDGE_IN: dict[str, Any] = {"erp_number": "记-0012"}
#: The answer to `ACKNOWLEDGE_IN`: exported, and moved to the end of the feed.
VOUCHER_ACKNOWLEDGED: dict[str, Any] = {
    **VOUCHER_OUT,
    "status": "exported",
    "erp_number": "记-0012",
    "exported_at": "2026-11-28T06:20:31.917350Z",
    "cursor": 222,
    "updated_at": "2026-11-28T06:20:31.917350Z",
}

#: A push U8 confirmed.
PUSH_OUT: dict[str, Any] = {
    "target": "u8",
    "state": "confirmed",
    "attempts": 1,
    "last_error": None,
    "erp_number": "记-0012",
    "next_attempt_at": "2026-11-28T06:20:31.402117Z",
}
#: `POST /v1/vouchers/27/push`: U8 had refused it (the material was missing there); once
#: finance added it in U8, the voucher is ready and its push pending again.
VOUCHER_PUSH_RETRIED: dict[str, Any] = {
    **VOUCHER_OUT,
    "cursor": 222,
    "updated_at": "2026-11-28T06:31:08.240671Z",
    "push": {
        "target": "u8",
        "state": "pending",
        "attempts": 1,
        "last_error": "U8 40001: 辅助项 inventory_code SPK-ONE-BLK 不存在",
        "erp_number": None,
        "next_attempt_at": "2026-11-28T06:31:08.240671Z",
    },
}

#: `POST /v1/vouchers/release?book=LS01`: the demo's book has none held.
RELEASE_OUT: dict[str, Any] = {"released": 0, "still_held": 0}

#: `POST /v1/vouchers/27/void`: a voucher pushed to U8 and confirmed there.
VOID_IN: dict[str, Any] = {
    "reason": "Changed by hand in U8 after the push; voided and sent again as built from stock"
}
#: The answer to `VOID_IN`: 27 voided in U8, its correction LS01-00000222 to be pushed.
VOID_OUT: dict[str, Any] = {
    "voided": {
        **VOUCHER_ACKNOWLEDGED,
        "status": "voided",
        "void_reason": VOID_IN["reason"],
        "voided_at": "2026-11-28T07:02:45.118032Z",
        "cursor": 223,
        "updated_at": "2026-11-28T07:02:45.118032Z",
        "push": PUSH_OUT,
    },
    "replacement": {
        **VOUCHER_OUT,
        "id": 222,
        "number": "LS01-00000222",
        "replaces_number": "LS01-00000027",
        "cursor": 224,
        "updated_at": "2026-11-28T07:02:45.118032Z",
        "push": {
            "target": "u8",
            "state": "pending",
            "attempts": 0,
            "last_error": None,
            "erp_number": None,
            "next_attempt_at": "2026-11-28T07:02:45.118032Z",
        },
    },
}

# --- reconciliation ------------------------------------------------------------------------

#: Raw material: stock value beside the vouchers' balance on 1403 (less than a cent apart:
#: vouchers are to the cent, stock values are not).
ACCOUNT_RECONCILIATION: dict[str, Any] = {
    "account": "1403",
    "name": "原材料",
    "stock_value": "20108.9356",
    "voucher_balance": "20108.93",
    "difference": "0.0056",
}
#: A receipt whose voucher is held, had LS01's map no row for 101 and raw material.
UNEXPLAINED_DOCUMENT: dict[str, Any] = {
    "document_type": "purchase_receipt",
    "document_id": 37,
    "document_number": "GR-00000037",
    "voucher_number": "LS01-00000222",
    "state": "held",
    "value": "2100",
    "reasons": [
        "movement 2280 (IC-AMP-TAS, purchase_receipt 37): no account rule for "
        "101/raw_material/- in book LS01"
    ],
}
#: Stock no account takes, had LS01's map no 101 row for raw material.
UNPLACED_STOCK: dict[str, Any] = {
    "item_code": "IC-AMP-TAS",
    "stage": "raw",
    "value": "1291.5",
    "reason": "no account rule places raw_material stock",
}
#: `GET /v1/reconciliation?book=LS01` on the demo: nothing held, nothing unread.
RECONCILIATION_OUT: dict[str, Any] = {
    "book_code": "LS01",
    "as_of_date": "2026-11-28",
    "accounts": [
        ACCOUNT_RECONCILIATION,
        {
            "account": "1405",
            "name": "库存商品",
            "stock_value": "862.965695",
            "voucher_balance": "864.32",
            "difference": "-1.354305",
        },
        {
            "account": "5001",
            "name": "生产成本",
            "stock_value": "1294.31256",
            "voucher_balance": "1293.53",
            "difference": "0.78256",
        },
    ],
    "total_difference": "-0.566145",
    "documents": [],
    "unplaced_stock": [],
}
