"""OpenAPI examples of the company book models: the demo company's (`make demo`).

Answers are copied from the running demo (book LS01, 企业会计准则); requests are ones
that succeed on it. Used by `schemas.py` (`json_schema_extra`) and `api/books.py`.
"""

from __future__ import annotations

from typing import Any

#: `PUT /v1/books/LS01`: its settings as they are.
BOOK_IN: dict[str, Any] = {
    "code": "LS01",
    "name": "灵声科技 深圳工厂",
    "template": "cas",
    "currency": "CNY",
    "voucher_mode": "per_document",
    "voucher_word": "记",
    "preparer": "Chen Jing",
    "timezone": "Asia/Shanghai",
    "warehouses": [],
    "push_target": None,
}
#: `GET /v1/books/LS01`.
BOOK_OUT: dict[str, Any] = {
    **BOOK_IN,
    "template_name": "企业会计准则",
    "account_count": 9,
    "rule_count": 27,
    "version": 1,
    "created_at": "2026-11-28T05:10:04.571975Z",
}
#: `POST /v1/books`: a second book for the Dongguan hub.
BOOK_CREATE: dict[str, Any] = {
    "code": "LS02",
    "name": "灵声科技 东莞分公司",
    "template": "sbas",
    "currency": "CNY",
    "voucher_mode": "daily_summary",
    "voucher_word": "记",
    "preparer": "Chen Jing",
    "timezone": "Asia/Shanghai",
    "warehouses": ["DG"],
    "push_target": None,
}
#: The answer to `BOOK_CREATE` (201): the template filled its 9 accounts and 27 map rows.
BOOK_CREATED: dict[str, Any] = {
    **BOOK_CREATE,
    "template_name": "小企业会计准则",
    "account_count": 9,
    "rule_count": 27,
    "version": 1,
    "created_at": "2026-11-28T06:12:03.551208Z",
}
#: `PUT /v1/books/LS01/accounts/1403`: 原材料 as it is.
ACCOUNT_IN: dict[str, Any] = {
    "name": "原材料",
    "tracks_quantity": True,
    "dimensions": ["material", "warehouse"],
    "active": True,
}
#: The answer to `ACCOUNT_IN` (200: replaced).
ACCOUNT_OUT: dict[str, Any] = {**ACCOUNT_IN, "code": "1403"}
#: `PUT /v1/books/LS01/account-map`: raw material sold goes to 其他业务成本 (6402), as the
#: template has it (200: replaced).
RULE_IN: dict[str, Any] = {
    "movement_type": "601",
    "valuation_class": "raw_material",
    "modifier": "",
    "debit_account": "6402",
    "credit_account": "1403",
    "debit_dimensions": ["customer", "material"],
    "credit_dimensions": ["material", "warehouse"],
}
#: Row 7 of LS01's account map (`GET /v1/books/LS01/account-map`), which `RULE_IN` sets.
RULE_OUT: dict[str, Any] = {**RULE_IN, "id": 7, "updated_at": "2026-11-28T05:10:04.580353Z"}
#: `GET /v1/books/LS01/account-map/determine?movement_type=101&valuation_class=raw_material`.
DETERMINATION_OUT: dict[str, Any] = {
    "book_code": "LS01",
    "movement_type": "101",
    "valuation_class": "raw_material",
    "modifier": "",
    "rule": {
        "movement_type": "101",
        "valuation_class": "raw_material",
        "modifier": "",
        "debit_account": "1403",
        "credit_account": "2202.02",
        "debit_dimensions": ["material", "warehouse"],
        "credit_dimensions": ["supplier"],
        "id": 1,
        "updated_at": "2026-11-28T05:10:04.580353Z",
    },
    "found_under": ["101", "raw_material", ""],
    "red_ink": False,
    "posts": True,
}
