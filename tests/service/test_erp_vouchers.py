"""ERP connector (#9): vouchers from stock's feed, through the gateway, on both databases.

Catalog, stock and erp run in one process behind a real gateway. A receipt, an
inspection, a requisition, a production receipt, a shipment, a count loss, a scrap and its
reversal are posted in stock; erp pulls stock's and the catalog's feeds and must give,
under 企业会计准则 and under 小企业会计准则, exactly the hand-checked balanced vouchers
below; an ERP pulls them with its integration user and acknowledges them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import Settings as CatalogSettings
from services.erp.app import create_app as erp_app
from services.erp.clients import StockClient
from services.erp.settings import Settings as ErpSettings
from services.erp.usecases import revaluations
from services.erp.usecases import vouchers as voucher_usecases
from services.stock.app import create_app as stock_app
from services.stock.settings import Settings as StockSettings
from tests.conftest import TEST_SECRET
from tests.service.test_gateway_support import HostDispatch, gateway_stack, host_of, stub_service
from tests.wiring import started


@dataclass
class Books:
    client: httpx.AsyncClient
    admin: dict[str, str]
    finance: dict[str, str]
    erp_key: dict[str, str]
    erp: FastAPI
    tag: str

    async def post(self, path: str, body: Any = None, status: int = 201) -> Any:
        response = await self.client.post(path, json=body, headers=self.admin)
        assert response.status_code == status, response.text
        return response.json()

    async def sync(self) -> None:
        """Erp catches up with the catalog's feed, then stock's (as its consumers would)."""
        for name in ("catalog", "stock", "catalog", "stock"):
            await self.erp.state.consumers[name].catch_up()

    async def pull(self, **params: Any) -> dict[str, Any]:
        response = await self.client.get("/v1/vouchers", params=params, headers=self.erp_key)
        assert response.status_code == 200, response.text
        return dict(response.json())


@asynccontextmanager
async def stack(
    database_factory,
    *,
    erp_transport: httpx.AsyncBaseTransport | None = None,
    **erp_settings: Any,
) -> AsyncIterator[Books]:
    """Catalog, stock and erp behind a gateway; `erp_settings` and `erp_transport` (the
    ERPs erp pushes to) go to erp."""
    direct = {name: f"http://{host_of(name)}" for name in ("catalog", "stock", "erp")}
    common: dict[str, Any] = {
        "internal_token_secret": TEST_SECRET,
        "service_urls": direct,
        "http_attempts": 1,
        "run_background_tasks": False,
    }
    services = HostDispatch({})
    apps = {
        "catalog": catalog_app(
            CatalogSettings(database_url=await database_factory("catalog"), **common),
            http_transport=services,
        ),
        "stock": stock_app(
            StockSettings(database_url=await database_factory("stock"), **common),
            http_transport=services,
        ),
        "erp": erp_app(
            ErpSettings(database_url=await database_factory("erp"), **common, **erp_settings),
            http_transport=services,
            erp_transport=erp_transport,
        ),
    }
    routes = {host_of(name): httpx.ASGITransport(app=app) for name, app in apps.items()}
    services.routes.update(routes)
    stubs = {name: stub_service(name) for name in ("trace", "mrp", "workflow")}
    async with (
        started(apps),
        gateway_stack(database_factory, with_catalog=False, stubs=stubs, extra_routes=routes) as gw,
    ):
        admin = await gw.bearer()
        finance = await gw.create_user("fiona", "finance")
        key = await gw.create_key("integration", name="kingdee")
        yield Books(
            gw.client,
            admin,
            finance,
            {"X-API-Key": key["secret"]},
            apps["erp"],
            uuid.uuid4().hex[:4].upper(),
        )


async def walk_through(s: Books) -> dict[str, Any]:
    """The stock walk-through with round numbers: every figure below is checked by hand."""
    for code, kind, tracking in (("R", "raw_material", "lot"), ("SPK", "finished_good", "serial")):
        await s.post(
            "/v1/items",
            {"code": code, "name": code, "uom": "pcs", "item_type": kind, "tracking": tracking},
        )
    for body in (
        {"code": "WH1", "name": "Main", "location_type": "warehouse"},
        {"code": "WH1/RAW", "name": "Raw", "location_type": "storage", "parent_code": "WH1"},
        {"code": "WH1/FG", "name": "FG", "location_type": "finished_goods", "parent_code": "WH1"},
        {"code": "LINE-1", "name": "SMT 1", "location_type": "production_line"},
    ):
        await s.post("/v1/locations", body)
    # 101: 1,000 at 0.50 = 500.00
    receipt = await s.post(
        "/v1/receipts",
        {
            "item_code": "R",
            "location_code": "WH1/RAW",
            "lot_number": "L1",
            "quantity": "1000",
            "unit_price": "0.50",
            "supplier": "Yageo",
            "purchase_order": "PO-1",
        },
    )
    # 321: no value moves
    await s.post(
        "/v1/inspections",
        {
            "item_code": "R",
            "lot_number": "L1",
            "location_code": "WH1/RAW",
            "accepted_quantity": "1000",
            "rejected_quantity": "0",
            "sample_size": 50,
            "inspector": "QC Wang",
        },
    )
    # 261: 400 to the line = 200.00 into production cost of WO-1
    draft = await s.post(
        "/v1/requisitions",
        {
            "work_order": "WO-1",
            "to_location_code": "LINE-1",
            "lines": [{"item_code": "R", "quantity": "400"}],
        },
    )
    await s.post(f"/v1/requisitions/{draft['id']}/submit", status=200)
    await s.post(f"/v1/requisitions/{draft['id']}/post", status=200)
    # 101 with WO-1: 2 speakers from 40 resistors consumed at the line = 20.00
    production = await s.post(
        "/v1/production-receipts",
        {
            "work_order": "WO-1",
            "to_location_code": "WH1/FG",
            "wip_location_code": "LINE-1",
            "outputs": [{"item_code": "SPK", "quantity": "2", "serial_numbers": ["S1", "S2"]}],
            "components": [{"item_code": "R", "quantity": "40"}],
        },
    )
    # 601: one speaker = 10.00
    shipment = await s.post(
        "/v1/shipments",
        {
            "sales_order": "SO-1",
            "customer": "ACME",
            "from_location_code": "WH1/FG",
            "lines": [{"item_code": "SPK", "quantity": "1", "serial_numbers": ["S1"]}],
        },
    )
    # 702: 600 on the books, 590 counted: 10 lost = 5.00
    count = await s.post("/v1/stock-counts", {"location_code": "WH1/RAW", "note": "month end"})
    response = await s.client.put(
        f"/v1/stock-counts/{count['id']}/lines",
        json={
            "lines": [
                {
                    "item_code": "R",
                    "location_code": "WH1/RAW",
                    "lot_number": "L1",
                    "quality_state": "qualified",
                    "counted_quantity": "590",
                }
            ]
        },
        headers=s.admin,
    )
    assert response.status_code == 200, response.text
    await s.post(f"/v1/stock-counts/{count['id']}/post", status=200)
    # 551: 6 scrapped = 3.00; then the scrap reversed (552, red ink)
    scrap = await s.post(
        "/v1/scraps",
        {
            "location_code": "WH1/RAW",
            "reason": "bent leads",
            "lines": [
                {
                    "item_code": "R",
                    "lot_number": "L1",
                    "quantity": "6",
                    "quality_state": "qualified",
                }
            ],
        },
    )
    await s.post(f"/v1/scraps/{scrap['id']}/reverse", status=200)
    return {
        "receipt": receipt,
        "requisition": draft,
        "production": production,
        "shipment": shipment,
        "count": count,
        "scrap": scrap,
    }


def line(account: str, debit: str, credit: str, qty: str | None, **dims: str) -> tuple:
    return (account, Decimal(debit), Decimal(credit), None if qty is None else Decimal(qty), dims)


def expected(production: str, cost_of_sales: str) -> list[tuple[str, list[tuple]]]:
    """(document type, lines) of every voucher, in posting order."""
    return [
        (
            "purchase_receipt",
            [
                line("1403", "500", "0", "1000", material="R", warehouse="WH1"),
                line("2202.02", "0", "500", None, supplier="Yageo"),
            ],
        ),
        (
            "requisition",
            [
                line(production, "200", "0", None, work_order="WO-1", material="R"),
                line("1403", "0", "200", "400", material="R", warehouse="WH1"),
            ],
        ),
        (
            "production_receipt",
            [
                line("1405", "20", "0", "2", material="SPK", warehouse="WH1"),
                line(production, "0", "20", None, work_order="WO-1", material="SPK"),
            ],
        ),
        (
            "shipment",
            [
                line(cost_of_sales, "10", "0", None, customer="ACME", material="SPK"),
                line("1405", "0", "10", "1", material="SPK", warehouse="WH1"),
            ],
        ),
        (
            "stock_count",
            [
                line("1901", "5", "0", None, warehouse="WH1"),
                line("1403", "0", "5", "10", material="R", warehouse="WH1"),
            ],
        ),
        (
            "scrap",
            [
                line("1901", "3", "0", None, warehouse="WH1"),
                line("1403", "0", "3", "6", material="R", warehouse="WH1"),
            ],
        ),
        (
            "scrap",
            [
                line("1901", "-3", "0", None, warehouse="WH1"),
                line("1403", "0", "-3", "-6", material="R", warehouse="WH1"),
            ],
        ),
    ]


def shape(voucher: dict[str, Any]) -> tuple[str, list[tuple]]:
    return (
        voucher["document_type"],
        [
            (
                ln["account"],
                Decimal(ln["debit"]),
                Decimal(ln["credit"]),
                None if ln["quantity"] is None else Decimal(ln["quantity"]),
                ln["dimensions"],
            )
            for ln in voucher["lines"]
        ],
    )


async def test_each_document_gives_its_balanced_voucher_under_both_standards(
    database_factory,
) -> None:
    async with stack(database_factory) as s:
        for code, template in (("CAS", "cas"), ("SBAS", "sbas")):
            response = await s.client.post(
                "/v1/books",
                json={"code": code, "name": code, "template": template},
                headers=s.finance,
            )
            assert response.status_code == 201, response.text
        docs = await walk_through(s)
        await s.sync()
        for book, production, sales in (("CAS", "5001", "6401"), ("SBAS", "4001", "5401")):
            page = await s.pull(book=book, limit=50)
            vouchers = page["items"]
            assert [shape(v) for v in vouchers] == expected(production, sales), book
            for v in vouchers:
                assert v["status"] == "ready" and v["hold_reasons"] == []
                debit = sum(Decimal(ln["debit"]) for ln in v["lines"])
                credit = sum(Decimal(ln["credit"]) for ln in v["lines"])
                assert debit == credit == Decimal(v["total"])
                assert (v["word"], v["currency"], v["attachments"]) == ("记", "CNY", 1)
                assert v["number"].startswith(f"{book}-")
            receipt, requisition = vouchers[0], vouchers[1]
            assert receipt["document_number"] == docs["receipt"]["number"]
            assert receipt["movement_types"] == ["101"]
            assert receipt["lines"][0]["unit_price"] == "0.5"
            assert receipt["lines"][0]["summary"] == f"收货 {docs['receipt']['number']}"
            assert requisition["movement_types"] == ["261"]
            # the production receipt's consumption from the line gave no lines: 261/wip
            assert vouchers[2]["movement_types"] == ["101", "261"]
            scrap, reversal = vouchers[5], vouchers[6]
            assert (scrap["red_ink"], reversal["red_ink"]) == (False, True)
            assert reversal["reverses_number"] == scrap["number"]
            assert reversal["movement_types"] == ["552"]
            today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
            assert {(v["date"], v["year"], v["period"]) for v in vouchers} == {
                (today.isoformat(), today.year, today.month)
            }


async def test_pulling_acknowledging_and_replaying_the_feed_post_each_voucher_once(
    database_factory,
) -> None:
    async with stack(database_factory) as s:
        await s.client.post(
            "/v1/books", json={"code": "CAS", "name": "CAS", "template": "cas"}, headers=s.finance
        )
        await walk_through(s)
        await s.sync()
        await s.sync()  # nothing new: nothing built twice
        first = await s.pull(limit=4)
        assert len(first["items"]) == 4 and first["has_more"] is True
        rest = await s.pull(after=first["next_after"], limit=50)
        assert len(rest["items"]) == 3 and rest["has_more"] is False
        everything = first["items"] + rest["items"]
        assert len({v["number"] for v in everything}) == 7
        again = await s.pull(limit=50)  # re-pulling is harmless: the same vouchers
        assert [v["number"] for v in again["items"]] == [v["number"] for v in everything]

        receipt = everything[0]
        acked = await s.client.post(
            f"/v1/vouchers/{receipt['id']}/ack", json={"erp_number": "记-0001"}, headers=s.erp_key
        )
        assert acked.status_code == 200, acked.text
        assert acked.json()["status"] == "exported" and acked.json()["erp_number"] == "记-0001"
        same = await s.client.post(
            f"/v1/vouchers/{receipt['id']}/ack", json={"erp_number": "记-0001"}, headers=s.erp_key
        )
        assert same.status_code == 200
        other = await s.client.post(
            f"/v1/vouchers/{receipt['id']}/ack", json={"erp_number": "记-0002"}, headers=s.erp_key
        )
        assert other.status_code == 409
        # the acknowledged voucher moved to the end of the feed; the rest stay ready
        moved = await s.pull(after=rest["next_after"])
        assert [v["number"] for v in moved["items"]] == [receipt["number"]]
        ready = await s.pull(status="ready", limit=50)
        assert len(ready["items"]) == 6
        denied = await s.client.get("/v1/vouchers", headers=s.admin | {"Authorization": ""})
        assert denied.status_code == 401


async def test_an_unmapped_movement_holds_its_voucher_until_the_map_is_fixed(
    database_factory,
) -> None:
    async with stack(database_factory) as s:
        await s.client.post(
            "/v1/books", json={"code": "CAS", "name": "CAS", "template": "cas"}, headers=s.finance
        )
        rows = (
            await s.client.get(
                "/v1/books/CAS/account-map",
                params={"movement_type": "601", "limit": 10},
                headers=s.finance,
            )
        ).json()["items"]
        finished = next(r for r in rows if r["valuation_class"] == "finished_good")
        deleted = await s.client.delete(
            f"/v1/books/CAS/account-map/{finished['id']}", headers=s.finance
        )
        assert deleted.status_code == 204
        await walk_through(s)
        await s.sync()
        held = (await s.pull(status="held"))["items"]
        assert [v["document_type"] for v in held] == ["shipment"]
        assert held[0]["lines"] == [] and held[0]["total"] == "0"
        assert "no account rule for 601/finished_good/-" in held[0]["hold_reasons"][0]
        cursor = (await s.pull(limit=100))["next_after"]

        fixed = await s.client.put(
            "/v1/books/CAS/account-map",
            json={
                "movement_type": "601",
                "valuation_class": "finished_good",
                "debit_account": "6401",
                "credit_account": "1405",
                "debit_dimensions": ["customer"],
                "credit_dimensions": ["material", "warehouse"],
            },
            headers=s.finance,
        )
        assert fixed.status_code == 201, fixed.text
        released = (await s.pull(after=cursor))["items"]
        assert [(v["number"], v["status"]) for v in released] == [(held[0]["number"], "ready")]
        assert shape(released[0])[1] == [
            line("6401", "10", "0", None, customer="ACME"),
            line("1405", "0", "10", "1", material="SPK", warehouse="WH1"),
        ]
        assert released[0]["hold_reasons"] == []
        assert (await s.pull(status="held"))["items"] == []


async def test_a_daily_summary_book_sums_a_day_per_movement_type_once_the_day_is_over(
    database_factory,
) -> None:
    async with stack(database_factory) as s:
        await s.client.post(
            "/v1/books",
            json={
                "code": "DAY",
                "name": "Daily",
                "template": "cas",
                "voucher_mode": "daily_summary",
                "warehouses": ["WH1"],
            },
            headers=s.finance,
        )
        await walk_through(s)
        await s.post(
            "/v1/receipts",
            {
                "item_code": "R",
                "location_code": "WH1/RAW",
                "lot_number": "L2",
                "quantity": "100",
                "unit_price": "0.40",
                "supplier": "Yageo",
            },
        )
        await s.sync()
        assert (await s.pull())["items"] == []  # the day is not over
        async with s.erp.state.db.uow(actor="test") as uow:
            closed = await voucher_usecases.close_due(
                uow.session, datetime.now(UTC) + timedelta(days=1)
            )
            await uow.commit()
        assert closed == 6  # 101 (receipts and the work order's output), 261, 601, 702,
        # 551 and its reversal, 552 in red ink
        by_type = {
            (tuple(v["movement_types"]), v["red_ink"]): v for v in (await s.pull(limit=50))["items"]
        }
        receipts = by_type[(("101",), False)]
        # both receipts of the day and the work order's output: one debit line per
        # account, item and warehouse, one credit line per supplier or work order, summed
        assert shape(receipts)[1] == [
            line("1403", "540", "0", "1100", material="R", warehouse="WH1"),
            line("1405", "20", "0", "2", material="SPK", warehouse="WH1"),
            line("2202.02", "0", "540", None, supplier="Yageo"),
            line("5001", "0", "20", None, work_order="WO-1", material="SPK"),
        ]
        assert receipts["attachments"] == 3 and receipts["document_type"] is None
        assert receipts["lines"][0]["summary"].endswith("汇总")
        assert receipts["lines"][0]["unit_price"] == "0.490909"
        assert Decimal(by_type[(("552",), True)]["total"]) == Decimal("-3")
        assert {v["status"] for v in by_type.values()} == {"ready"}


async def test_reconciliation_ties_stock_value_to_the_vouchers_and_names_what_is_held(
    database_factory,
) -> None:
    async with stack(database_factory) as s:
        for code in ("CAS", "HELD"):
            response = await s.client.post(
                "/v1/books", json={"code": code, "name": code, "template": "cas"}, headers=s.finance
            )
            assert response.status_code == 201, response.text
        rows = (
            await s.client.get(
                "/v1/books/HELD/account-map",
                params={"movement_type": "601", "limit": 10},
                headers=s.finance,
            )
        ).json()["items"]
        finished = next(r for r in rows if r["valuation_class"] == "finished_good")
        await s.client.delete(f"/v1/books/HELD/account-map/{finished['id']}", headers=s.finance)
        await walk_through(s)
        await s.sync()

        tied = await s.client.get("/v1/reconciliation", params={"book": "CAS"}, headers=s.finance)
        assert tied.status_code == 200, tied.text
        by_account = {a["account"]: a for a in tied.json()["accounts"]}
        # 590 resistors in the store, 360 at the line, 1 speaker: at 0.50 and 10.00
        assert {
            code: (a["stock_value"], a["voucher_balance"], a["difference"])
            for code, a in by_account.items()
        } == {
            "1403": ("295", "295", "0"),
            "1405": ("10", "10", "0"),
            "5001": ("180", "180", "0"),
        }
        assert by_account["1403"]["name"] == "原材料"
        assert tied.json()["total_difference"] == "0" and tied.json()["documents"] == []

        held = (
            await s.client.get("/v1/reconciliation", params={"book": "HELD"}, headers=s.finance)
        ).json()
        finished_goods = next(a for a in held["accounts"] if a["account"] == "1405")
        # the shipment's voucher is held: the books still hold the speaker it took
        assert (finished_goods["stock_value"], finished_goods["voucher_balance"]) == ("10", "20")
        assert held["total_difference"] == "-10"
        [document] = held["documents"]
        assert (document["document_type"], document["state"], document["value"]) == (
            "shipment",
            "held",
            "10",
        )
        assert "601/finished_good" in document["reasons"][0]

        denied = await s.client.get("/v1/reconciliation", params={"book": "CAS"}, headers=s.erp_key)
        assert denied.status_code == 403
        future = await s.client.get(
            "/v1/reconciliation",
            params={"book": "CAS", "as_of_date": "2999-01-01"},
            headers=s.finance,
        )
        assert future.status_code == 422
        assert [e["field"] for e in future.json()["errors"]] == ["query.as_of_date"]
        missing = await s.client.get(
            "/v1/reconciliation", params={"book": "NOPE"}, headers=s.finance
        )
        assert missing.status_code == 404
        # a book for a warehouse stock has no location for yet: it holds nothing there
        later = await s.client.post(
            "/v1/books",
            json={"code": "LATER", "name": "later", "template": "cas", "warehouses": ["NEW"]},
            headers=s.finance,
        )
        assert later.status_code == 201, later.text
        empty = await s.client.get(
            "/v1/reconciliation", params={"book": "LATER"}, headers=s.finance
        )
        assert empty.status_code == 200, empty.text
        assert {a["stock_value"] for a in empty.json()["accounts"]} == {"0"}


async def test_a_back_dated_receipt_revalues_an_issue_and_erp_posts_the_difference(
    database_factory,
) -> None:
    async with stack(database_factory) as s:
        await s.client.post(
            "/v1/books", json={"code": "CAS", "name": "CAS", "template": "cas"}, headers=s.finance
        )
        await s.post(
            "/v1/items",
            {
                "code": "R",
                "name": "R",
                "uom": "pcs",
                "item_type": "raw_material",
                "tracking": "lot",
            },
        )
        for body in (
            {"code": "WH1", "name": "Main", "location_type": "warehouse"},
            {"code": "WH1/RAW", "name": "Raw", "location_type": "storage", "parent_code": "WH1"},
            {"code": "LINE-1", "name": "SMT 1", "location_type": "production_line"},
        ):
            await s.post("/v1/locations", body)
        now = datetime.now(UTC)

        async def receipt(lot: str, price: str, hours_ago: int) -> None:
            await s.post(
                "/v1/receipts",
                {
                    "item_code": "R",
                    "location_code": "WH1/RAW",
                    "lot_number": lot,
                    "quantity": "100",
                    "unit_price": price,
                    "supplier": "Yageo",
                    "posted_at": (now - timedelta(hours=hours_ago)).isoformat(),
                },
            )
            await s.post(
                "/v1/inspections",
                {
                    "item_code": "R",
                    "lot_number": lot,
                    "location_code": "WH1/RAW",
                    "accepted_quantity": "100",
                    "rejected_quantity": "0",
                    "sample_size": 5,
                    "inspector": "QC",
                },
            )

        await receipt("L1", "1.00", 3)
        draft = await s.post(
            "/v1/requisitions",
            {
                "work_order": "WO-1",
                "to_location_code": "LINE-1",
                "lines": [{"item_code": "R", "quantity": "50"}],
            },
        )
        await s.post(f"/v1/requisitions/{draft['id']}/submit", status=200)
        await s.post(f"/v1/requisitions/{draft['id']}/post", status=200)  # 50 at 1.00
        await receipt("L2", "3.00", 2)  # before the issue: it was worth 2.00 each
        await s.sync()
        stock = StockClient(s.erp.state.client)
        assert await revaluations.run_once(s.erp.state.db, stock) == 1
        assert await revaluations.run_once(s.erp.state.db, stock) == 0  # once

        vouchers = (await s.pull(limit=50))["items"]
        correction = [v for v in vouchers if v["document_type"] == "revaluation"]
        assert len(correction) == 1
        assert shape(correction[0])[1] == [
            line("5001", "50", "0", None, work_order="WO-1", material="R"),
            line("1403", "0", "50", "50", material="R", warehouse="WH1"),
        ]
        assert correction[0]["lines"][0]["summary"] == "重估 R"
        tied = (
            await s.client.get("/v1/reconciliation", params={"book": "CAS"}, headers=s.finance)
        ).json()
        assert {a["account"]: a["difference"] for a in tied["accounts"]} == {
            "1403": "0",
            "1405": "0",
            "5001": "0",
        }
