"""ERP connector (#9), first part: movement types and account determination, through the
gateway, on both databases.

Every stock movement kind stock's feed carries is classified into the SAP code finance
expects; a firm adds its own type; a book made from 企业会计准则 or 小企业会计准则 maps each
(movement type, valuation class, modifier) to the hand-checked debit and credit accounts;
bad edits are refused naming every bad field and change nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from services.erp.app import create_app as erp_app
from services.erp.settings import Settings as ErpSettings
from tests.conftest import TEST_SECRET
from tests.service.test_gateway_support import GatewayStack, gateway_stack, host_of, stub_service
from tests.wiring import started

SUPPLIER, PRODUCTION, CUSTOMER = "VIRTUAL/SUPPLIER", "VIRTUAL/PRODUCTION", "VIRTUAL/CUSTOMER"
COUNT, SCRAPPED, OPENING = "VIRTUAL/COUNT-ADJUSTMENT", "VIRTUAL/SCRAPPED", "VIRTUAL/OPENING"


@dataclass
class Erp:
    client: httpx.AsyncClient
    finance: dict[str, str]
    planner: dict[str, str]

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.finance)

    async def ok(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        response = await self.client.request(
            method, path, json=body, headers={**self.finance, **headers}
        )
        assert response.status_code in (200, 201), response.text
        return response.json()


@asynccontextmanager
async def erp_stack(database_factory) -> AsyncIterator[Erp]:
    app = erp_app(
        ErpSettings(
            database_url=await database_factory("erp"),
            internal_token_secret=TEST_SECRET,
            run_background_tasks=False,
        )
    )
    stubs = {"trace": stub_service("trace")}
    routes = {host_of("erp"): httpx.ASGITransport(app=app)}
    async with (
        started({"erp": app}),
        gateway_stack(database_factory, with_catalog=False, stubs=stubs, extra_routes=routes) as gw,
    ):
        yield await _erp(gw)


async def _erp(gw: GatewayStack) -> Erp:
    finance = await gw.create_user("fiona", "finance")
    planner = await gw.create_user("pete", "planner")
    return Erp(gw.client, finance, planner)


def movement(
    document_type: str,
    from_location: str,
    to_location: str,
    *,
    stage: str = "raw",
    from_state: str = "qualified",
    to_state: str = "qualified",
    reversal: bool = False,
) -> dict[str, Any]:
    """A `MovementPosted` payload as stock's feed sends it (with fields classify ignores)."""
    return {
        "id": 7,
        "document_type": document_type,
        "document_id": 3,
        "item_code": "R-10K",
        "lot_number": "L1",
        "quantity": "5",
        "from_location": from_location,
        "to_location": to_location,
        "from_state": from_state,
        "to_state": to_state,
        "stage": stage,
        "sequence": 12,
        "reversal_of_id": 6 if reversal else None,
        "posted_at": "2026-11-28T08:00:00Z",
        "posted_by": "user:wh",
    }


#: (movement, expected type, modifier, reversal): one of every kind stock posts
CASES = [
    (
        movement("purchase_receipt", SUPPLIER, "WH1/RECV", to_state="pending_inspection"),
        "101",
        "",
        False,
    ),
    (movement("purchase_receipt", "WH1/RECV", SUPPLIER, reversal=True), "102", "", True),
    (
        movement("production_receipt", PRODUCTION, "WH1/FG", stage="finished"),
        "101",
        "work_order",
        False,
    ),
    (
        movement("production_receipt", "WH1/FG", PRODUCTION, stage="finished", reversal=True),
        "102",
        "work_order",
        True,
    ),
    (movement("production_receipt", "WH1/LINE1", PRODUCTION, stage="wip"), "261", "wip", False),
    (movement("production_receipt", "WH1/RAW/A", PRODUCTION), "261", "", False),
    (
        movement("production_receipt", PRODUCTION, "WH1/LINE1", stage="wip", reversal=True),
        "262",
        "wip",
        True,
    ),
    (movement("requisition", "WH1/RAW/A", "WH1/LINE1", stage="wip"), "261", "", False),
    (movement("requisition", "WH1/LINE1", "WH1/RAW/A", reversal=True), "262", "", True),
    (movement("transfer", "WH1/RAW/A", "WH1/RAW/B"), "311", "", False),
    (
        movement("inspection", "WH1/RECV", "WH1/RECV", from_state="pending_inspection"),
        "321",
        "",
        False,
    ),
    (
        movement(
            "inspection", "WH1/RECV", "WH1/RECV", to_state="pending_inspection", reversal=True
        ),
        "322",
        "",
        True,
    ),
    (
        movement(
            "inspection",
            "WH1/RECV",
            "WH1/RECV",
            from_state="pending_inspection",
            to_state="defective",
        ),
        "350",
        "",
        False,
    ),
    (
        movement("defective_release", "WH1/QUAR", "WH1/RAW/A", from_state="defective"),
        "343",
        "",
        False,
    ),
    (
        movement("scrap", "WH1/QUAR", SCRAPPED, from_state="defective", to_state="defective"),
        "551",
        "",
        False,
    ),
    (movement("shipment", "WH1/FG", CUSTOMER, stage="finished"), "601", "", False),
    (movement("shipment", CUSTOMER, "WH1/FG", stage="finished", reversal=True), "602", "", True),
    (
        movement(
            "customer_return", CUSTOMER, "WH1/RECV", stage="finished", to_state="pending_inspection"
        ),
        "651",
        "",
        False,
    ),
    (movement("supplier_return", "WH1/RAW/A", SUPPLIER), "122", "", False),
    (movement("stock_count", COUNT, "WH1/RAW/A"), "701", "", False),
    (movement("stock_count", "WH1/RAW/A", COUNT), "702", "", False),
    (movement("stock_count", "WH1/RAW/A", COUNT, reversal=True), "701", "", True),
    (movement("opening_balance", OPENING, "WH1/RAW/A"), "561", "", False),
]


async def test_every_kind_of_stock_movement_gets_its_sap_movement_type(database_factory) -> None:
    async with erp_stack(database_factory) as erp:
        for body, code, modifier, reversal in CASES:
            got = await erp.ok("POST", "/v1/movement-types/classify", body)
            assert (got["movement_type"], got["modifier"], got["reversal"]) == (
                code,
                modifier,
                reversal,
            ), (body, got)
            assert got["matched"] and got["rule"]["specificity"] >= 1
        # value-neutral and opening-balance types give no vouchers unless a firm says so
        neutral = await erp.ok("POST", "/v1/movement-types/classify", CASES[9][0])
        opening = await erp.ok("POST", "/v1/movement-types/classify", CASES[-1][0])
        receipt = await erp.ok("POST", "/v1/movement-types/classify", CASES[0][0])
        assert (neutral["posts_voucher"], opening["posts_voucher"], receipt["posts_voucher"]) == (
            False,
            False,
            True,
        )
        unknown = await erp.ok("POST", "/v1/movement-types/classify", movement("kitting", "A", "B"))
        assert unknown["matched"] is False and unknown["movement_type"] is None

        listed = (await erp.get("/v1/movement-types", limit=100)).json()
        codes = [t["code"] for t in listed["items"]]
        for code in (
            "101",
            "102",
            "122",
            "261",
            "262",
            "311",
            "321",
            "344",
            "350",
            "551",
            "561",
            "601",
            "602",
            "651",
            "701",
            "702",
        ):
            assert code in codes
        assert all(t["builtin"] for t in listed["items"])
        assert (await erp.get("/v1/movement-types/102")).json()["reverses"] == "101"


async def test_a_firm_adds_its_own_type_and_bad_ones_are_refused(database_factory) -> None:
    async with erp_stack(database_factory) as erp:
        lab = {
            "code": "Z55",
            "name": "实验室报废 Lab scrap",
            "reverses": None,
            "rules": [{"document_type": "scrap", "reversal": False, "from_location": "LAB/*"}],
        }
        denied = await erp.client.post("/v1/movement-types", json=lab, headers=erp.planner)
        assert denied.status_code == 403
        created = await erp.ok("POST", "/v1/movement-types", lab)
        assert created["builtin"] is False and created["rules"][0]["specificity"] == 3
        assert (
            await erp.client.post("/v1/movement-types", json=lab, headers=erp.finance)
        ).status_code == 409

        lab_scrap = movement("scrap", "LAB/BENCH-2", SCRAPPED)
        store_scrap = movement("scrap", "WH1/RAW/A", SCRAPPED)
        assert (await erp.ok("POST", "/v1/movement-types/classify", lab_scrap))[
            "movement_type"
        ] == "Z55"
        assert (await erp.ok("POST", "/v1/movement-types/classify", store_scrap))[
            "movement_type"
        ] == "551"

        bad = {
            "code": "Z56",
            "name": "bad",
            "reverses": "Z99",
            "rules": [
                {},
                {"document_type": "scrap", "reversal": False},  # exactly 551's criteria
                {"to_location": "WH*/A"},
            ],
        }
        refused = await erp.client.post("/v1/movement-types", json=bad, headers=erp.finance)
        assert refused.status_code == 422
        fields = {e["field"] for e in refused.json()["errors"]}
        assert fields == {
            "body.reverses",
            "body.rules.0",
            "body.rules.1",
            "body.rules.2.to_location",
        }, refused.json()
        assert (await erp.get("/v1/movement-types/Z56")).status_code == 404

        # replacing needs the ETag; a built-in type can be edited (opening balances on)
        opening = await erp.get("/v1/movement-types/561")
        body = {
            k: opening.json()[k]
            for k in ("code", "name", "description", "reverses", "value_change")
        }
        body |= {
            "posts_voucher": True,
            "rules": [
                {k: v for k, v in r.items() if k not in ("id", "specificity")}
                for r in opening.json()["rules"]
            ],
        }
        missing = await erp.client.put("/v1/movement-types/561", json=body, headers=erp.finance)
        assert missing.status_code == 428
        edited = await erp.ok(
            "PUT", "/v1/movement-types/561", body, **{"If-Match": opening.headers["ETag"]}
        )
        assert edited["posts_voucher"] is True and edited["version"] == 2
        stale = await erp.client.put(
            "/v1/movement-types/561",
            json=body,
            headers={**erp.finance, "If-Match": opening.headers["ETag"]},
        )
        assert stale.status_code == 412

        assert (
            await erp.client.delete("/v1/movement-types/551", headers=erp.finance)
        ).status_code == 409
        await erp.ok("POST", "/v1/books", {"code": "B1", "name": "Book", "template": "cas"})
        await erp.ok(
            "PUT",
            "/v1/books/B1/account-map",
            {
                "movement_type": "Z55",
                "debit_account": "1901",
                "credit_account": "1403",
                "debit_dimensions": ["warehouse"],
                "credit_dimensions": ["material"],
            },
        )
        in_use = await erp.client.delete("/v1/movement-types/Z55", headers=erp.finance)
        assert in_use.status_code == 409 and "B1" in in_use.json()["detail"]
        rule = (await erp.get("/v1/books/B1/account-map", movement_type="Z55")).json()["items"][0]
        deleted = await erp.client.delete(
            f"/v1/books/B1/account-map/{rule['id']}", headers=erp.finance
        )
        assert deleted.status_code == 204
        gone = await erp.client.delete("/v1/movement-types/Z55", headers=erp.finance)
        assert gone.status_code == 204
        assert (await erp.ok("POST", "/v1/movement-types/classify", lab_scrap))[
            "movement_type"
        ] == "551"


#: (movement type, valuation class, modifier) -> debit, credit, red ink; hand-checked
#: against 企业会计准则 (cas) and 小企业会计准则 (sbas)
DETERMINED = {
    "cas": [
        ("101", "raw_material", "", "1403", "2202.02", False),
        ("101", "finished_good", "work_order", "1405", "5001", False),
        ("101", "semi_finished", "work_order", "1405", "5001", False),
        ("102", "raw_material", "", "1403", "2202.02", True),
        ("102", "finished_good", "work_order", "1405", "5001", True),
        ("261", "raw_material", "", "5001", "1403", False),
        ("261", "semi_finished", "", "5001", "1405", False),
        ("262", "raw_material", "", "5001", "1403", True),
        ("601", "finished_good", "", "6401", "1405", False),
        ("601", "raw_material", "", "6402", "1403", False),
        ("602", "finished_good", "", "6401", "1405", True),
        ("651", "finished_good", "", "1405", "6401", False),
        ("122", "raw_material", "", "2202.02", "1403", False),
        ("551", "raw_material", "", "1901", "1403", False),
        ("701", "raw_material", "", "1403", "1901", False),
        ("702", "finished_good", "", "1901", "1405", False),
    ],
    "sbas": [
        ("101", "raw_material", "", "1403", "2202.02", False),
        ("101", "finished_good", "work_order", "1405", "4001", False),
        ("261", "raw_material", "", "4001", "1403", False),
        ("601", "finished_good", "", "5401", "1405", False),
        ("601", "raw_material", "", "5402", "1403", False),
        ("651", "finished_good", "", "1405", "5401", False),
        ("702", "raw_material", "", "1901", "1403", False),
    ],
}


async def test_books_from_both_templates_determine_the_hand_checked_accounts(
    database_factory,
) -> None:
    async with erp_stack(database_factory) as erp:
        for template in ("cas", "sbas"):
            book = await erp.ok(
                "POST",
                "/v1/books",
                {"code": f"CN-{template}", "name": "深圳工厂", "template": template},
            )
            assert (book["account_count"], book["rule_count"]) == (9, 27)
            assert book["voucher_word"] == "记" and book["voucher_mode"] == "per_document"
            for code, cls, modifier, debit, credit, red in DETERMINED[template]:
                got = await erp.get(
                    f"/v1/books/CN-{template}/account-map/determine",
                    movement_type=code,
                    valuation_class=cls,
                    modifier=modifier,
                    reversal=str(red).lower(),
                )
                assert got.status_code == 200, got.text
                found = got.json()
                assert (
                    found["rule"]["debit_account"],
                    found["rule"]["credit_account"],
                    found["red_ink"],
                    found["posts"],
                ) == (debit, credit, red, True), (template, code, cls, found)
            accounts = {
                a["code"]: a
                for a in (await erp.get(f"/v1/books/CN-{template}/accounts", limit=100)).json()[
                    "items"
                ]
            }
            assert accounts["1403"]["tracks_quantity"] is True
            assert accounts["2202.02"]["name"] == "应付账款-暂估应付款"
        # the receipt's supplier goes on the provisional payable; the stock side names
        # material and warehouse
        receipt = (
            await erp.get(
                "/v1/books/CN-cas/account-map/determine",
                movement_type="101",
                valuation_class="raw_material",
            )
        ).json()["rule"]
        assert receipt["debit_dimensions"] == ["material", "warehouse"]
        assert receipt["credit_dimensions"] == ["supplier"]
        # consuming work in progress is deliberately no voucher; transfers are unmapped
        wip = (
            await erp.get(
                "/v1/books/CN-cas/account-map/determine",
                movement_type="261",
                valuation_class="raw_material",
                modifier="wip",
            )
        ).json()
        assert wip["posts"] is False and wip["found_under"] == ["261", "", "wip"]
        unmapped = await erp.get("/v1/books/CN-cas/account-map/determine", movement_type="311")
        assert unmapped.status_code == 404 and unmapped.json()["code"] == "unmapped"
        assert "311/*/*" in unmapped.json()["detail"]


async def test_account_map_edits_are_checked_and_bad_ones_change_nothing(
    database_factory,
) -> None:
    async with erp_stack(database_factory) as erp:
        book = await erp.ok("POST", "/v1/books", {"code": "B1", "name": "Book", "template": "cas"})
        before = (await erp.get("/v1/books/B1/account-map", limit=200)).json()["items"]
        unreadable = {
            "movement_type": "551",
            "debit_account": "1901",
            "credit_account": "1403",
            "credit_dimensions": ["supplier", "planet"],
        }
        refused = await erp.client.put(
            "/v1/books/B1/account-map", json=unreadable, headers=erp.finance
        )
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["body.credit_dimensions.1"]
        bad = {
            "movement_type": "999",
            "valuation_class": "raw_material",
            "debit_account": "9999",
            "credit_account": None,
            "debit_dimensions": ["customer"],
            "credit_dimensions": ["supplier"],
        }
        refused = await erp.client.put("/v1/books/B1/account-map", json=bad, headers=erp.finance)
        assert refused.status_code == 422
        assert {e["field"] for e in refused.json()["errors"]} == {
            "body.movement_type",
            "body.credit_account",
            "body.credit_dimensions",
            "body.debit_account",
        }, refused.json()
        wrong_dims = {
            "movement_type": "551",
            "valuation_class": "raw_material",
            "debit_account": "1901",
            "credit_account": "1403",
            "debit_dimensions": ["customer"],
            "credit_dimensions": ["material", "material"],
        }
        refused = await erp.client.put(
            "/v1/books/B1/account-map", json=wrong_dims, headers=erp.finance
        )
        assert {e["field"] for e in refused.json()["errors"]} == {
            "body.debit_dimensions.0",
            "body.credit_dimensions.1",
        }, refused.json()
        one_sided = {
            **wrong_dims,
            "credit_account": None,
            "debit_dimensions": [],
            "credit_dimensions": [],
        }
        refused = await erp.client.put(
            "/v1/books/B1/account-map", json=one_sided, headers=erp.finance
        )
        assert [e["field"] for e in refused.json()["errors"]] == ["body.credit_account"]
        assert (await erp.get("/v1/books/B1/account-map", limit=200)).json()["items"] == before

        # a firm books scrap of raw material to 6711 营业外支出 instead: a new account first
        unknown = {
            **wrong_dims,
            "debit_account": "6711",
            "debit_dimensions": [],
            "credit_dimensions": ["material"],
        }
        refused = await erp.client.put(
            "/v1/books/B1/account-map", json=unknown, headers=erp.finance
        )
        assert [e["field"] for e in refused.json()["errors"]] == ["body.debit_account"]
        added = await erp.client.put(
            "/v1/books/B1/accounts/6711",
            json={"name": "营业外支出", "dimensions": ["department"]},
            headers=erp.finance,
        )
        assert added.status_code == 201
        replaced = await erp.client.put(
            "/v1/books/B1/account-map", json=unknown, headers=erp.finance
        )
        assert replaced.status_code == 200 and replaced.json()["debit_account"] == "6711"
        found = (
            await erp.get(
                "/v1/books/B1/account-map/determine",
                movement_type="551",
                valuation_class="raw_material",
            )
        ).json()
        assert found["rule"]["debit_account"] == "6711"
        new_row = await erp.client.put(
            "/v1/books/B1/account-map",
            json={**unknown, "valuation_class": "", "modifier": "lab"},
            headers=erp.finance,
        )
        assert new_row.status_code == 201

        # an account the map uses keeps its dimensions and stays on
        off = await erp.client.put(
            "/v1/books/B1/accounts/1403",
            json={
                "name": "原材料",
                "tracks_quantity": True,
                "dimensions": ["warehouse"],
                "active": False,
            },
            headers=erp.finance,
        )
        assert off.status_code == 409
        assert "switched off" in off.json()["detail"] and "material" in off.json()["detail"]

        # the book's template is fixed; its settings change with the ETag
        etag = (await erp.get("/v1/books/B1")).headers["ETag"]
        changed = {
            k: book[k]
            for k in (
                "code",
                "name",
                "template",
                "currency",
                "voucher_mode",
                "voucher_word",
                "preparer",
            )
        }
        to_sbas = await erp.client.put(
            "/v1/books/B1",
            json={**changed, "template": "sbas"},
            headers={**erp.finance, "If-Match": etag},
        )
        assert to_sbas.status_code == 422
        assert [e["field"] for e in to_sbas.json()["errors"]] == ["body.template"]
        daily = await erp.ok(
            "PUT",
            "/v1/books/B1",
            {**changed, "voucher_mode": "daily_summary"},
            **{"If-Match": etag},
        )
        assert daily["voucher_mode"] == "daily_summary" and daily["version"] == 2
        stale = await erp.client.put(
            "/v1/books/B1", json=changed, headers={**erp.finance, "If-Match": etag}
        )
        assert stale.status_code == 412
        denied = await erp.client.put("/v1/books/B1/account-map", json=unknown, headers=erp.planner)
        assert denied.status_code == 403
