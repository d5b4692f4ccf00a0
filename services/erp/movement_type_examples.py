"""OpenAPI examples of the movement type models: the demo company's (`make demo`).

Answers are copied from the running demo (Lumen Audio); requests are ones that succeed on
it. Used by `schemas.py` (`json_schema_extra`) and `api/movement_types.py`.
"""

from __future__ import annotations

from typing import Any

_ANY = {"from_location": "", "to_location": "", "from_state": "", "to_state": "", "stage": ""}

#: A firm's own rule: transfers from Shenzhen to the Dongguan hub.
RULE_IN: dict[str, Any] = {
    "document_type": "transfer",
    "reversal": False,
    "from_location": "SZ/*",
    "to_location": "DG/*",
    "from_state": "",
    "to_state": "",
    "stage": "",
    "modifier": "",
}
#: Rule 3 of 101: a work order's output into stock.
RULE_OUT: dict[str, Any] = {
    "document_type": "production_receipt",
    "reversal": False,
    "from_location": "VIRTUAL/PRODUCTION",
    "to_location": "",
    "from_state": "",
    "to_state": "",
    "stage": "",
    "modifier": "work_order",
    "id": 3,
    "specificity": 3,
}

#: `POST /v1/movement-types`: a firm's own type (it takes those transfers over from 311).
TYPE_IN: dict[str, Any] = {
    "code": "Z01",
    "name": "调拨到东莞 Replenishment of the Dongguan hub",
    "description": "Transfers from Shenzhen to Dongguan, told apart from other transfers",
    "reverses": None,
    "value_change": False,
    "posts_voucher": False,
    "rules": [RULE_IN],
}
#: The answer to `TYPE_IN` (201).
TYPE_CREATED: dict[str, Any] = {
    **{key: value for key, value in TYPE_IN.items() if key != "rules"},
    "builtin": False,
    "rules": [{**RULE_IN, "id": 34, "specificity": 4}],
    "version": 1,
    "updated_at": "2026-11-28T06:05:12.804113Z",
}
#: `GET /v1/movement-types/101`.
TYPE_OUT: dict[str, Any] = {
    "code": "101",
    "name": "收货 Goods receipt",
    "description": "A purchase receipt, or a work order's output into stock",
    "reverses": None,
    "value_change": True,
    "posts_voucher": True,
    "builtin": True,
    "rules": [
        {
            "document_type": "purchase_receipt",
            "reversal": False,
            **_ANY,
            "modifier": "",
            "id": 1,
            "specificity": 2,
        },
        RULE_OUT,
    ],
    "version": 1,
    "updated_at": "2026-11-28T05:09:42.444009Z",
}

_OPENING = {"document_type": "opening_balance", "reversal": False, **_ANY, "modifier": ""}
#: `PUT /v1/movement-types/561`: a book wants vouchers for opening balances (a built-in
#: type edited; by default 561 gives none).
TYPE_561_IN: dict[str, Any] = {
    "code": "561",
    "name": "期初入库 Opening balance",
    "description": "Stock taken over when the firm starts; the GL's opening balances carry "
    "its value, so no voucher unless a book wants one",
    "reverses": None,
    "value_change": True,
    "posts_voucher": True,
    "rules": [_OPENING],
}
#: The answer to `TYPE_561_IN`.
TYPE_561_OUT: dict[str, Any] = {
    **{key: value for key, value in TYPE_561_IN.items() if key != "rules"},
    "builtin": True,
    "rules": [{**_OPENING, "id": 35, "specificity": 2}],
    "version": 2,
    "updated_at": "2026-11-28T06:07:40.112508Z",
}

#: A requisition of IC-AMP-TAS-L01 to the SMT line (MR-00000030), as stock's feed has it.
FACTS_IN: dict[str, Any] = {
    "document_type": "requisition",
    "reversal_of_id": None,
    "from_location": "SZ/RAW/A-01",
    "to_location": "SZ/SMT-1",
    "from_state": "qualified",
    "to_state": "qualified",
    "stage": "wip",
}
#: The answer to `FACTS_IN`: 261, by rule 5.
CLASSIFICATION_OUT: dict[str, Any] = {
    "matched": True,
    "movement_type": "261",
    "name": "发料到工单 Goods issue to a work order",
    "modifier": "",
    "reversal": False,
    "posts_voucher": True,
    "rule": {
        "document_type": "requisition",
        "reversal": False,
        **_ANY,
        "modifier": "",
        "id": 5,
        "specificity": 2,
    },
}
