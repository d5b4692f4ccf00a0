"""Inventory health (`/v1/reports/inventory-health`): stock value, items below safety stock,
the dead-stock top and the value aged over 180 days, with hand-computed numbers; the
workbook (read back: sheets, numbers, charts), the kept file behind its token, roles and
bad parameters; SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

import openpyxl

from tests.conftest import auth
from tests.service.test_stock_dead_stock_and_since import accept, ago, locations, receive, scrap
from tests.service.test_thin_slice_inprocess import Slice, make_item

D = Decimal
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def world(s: Slice) -> dict[str, str]:
    """short: safety 500, 300 qualified at 2 received today (600, 40% short);
    fine: safety 100, 150 at 4 received 100 days ago, 10 scrapped 40 days ago (140 x 4 =
    560);
    empty: safety 10, never received (100% short);
    old: no safety stock, 1,000 at 0.5 received 200 days ago, never issued (500, dead, aged).
    """
    _, store = await locations(s, "RAW")
    items = {
        "short": await make_item(s, tracking="none", safety_stock="500"),
        "fine": await make_item(s, tracking="none", safety_stock="100"),
        "empty": await make_item(s, tracking="none", safety_stock="10"),
        "old": await make_item(s, tracking="none"),
    }
    await receive(s, items["short"], store, "300", price="2")
    await accept(s, items["short"], store, "300")
    await receive(s, items["fine"], store, "150", price="4", posted_at=ago(days=100))
    await accept(s, items["fine"], store, "150", posted_at=ago(days=100))
    await scrap(s, items["fine"], store, "10", posted_at=ago(days=40))
    await receive(s, items["old"], store, "1000", price="0.5", posted_at=ago(days=200))
    await accept(s, items["old"], store, "1000", posted_at=ago(days=200))
    return items


async def health(s: Slice, headers: dict[str, str] | None = None, **params: Any) -> dict:
    response = await s.stock.get("/v1/reports/inventory-health", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_health_adds_up_by_hand_and_ties_out_with_the_reports(wired: Slice) -> None:
    items = await world(wired)
    found = await health(wired)
    value = found["stock_value"]
    assert D(value["total_value"]) == D("1660")  # 600 + 560 + 500
    assert [(r["stage"], D(r["value"])) for r in value["stages"]] == [("raw", D("1660"))]
    below = found["below_safety_stock"]
    assert below["count"] == 2
    assert [
        (
            r["item_code"],
            D(r["safety_stock"]),
            D(r["available"]),
            D(r["shortage"]),
            D(r["shortage_percent"]),
        )
        for r in below["items"]
    ] == [
        (items["empty"], D(10), D(0), D(10), D("100.00")),
        (items["short"], D(500), D(300), D(200), D("40.00")),
    ]
    dead = found["dead_stock"]
    assert (dead["idle_days"], dead["total_items"], D(dead["total_value"])) == (90, 1, D(500))
    assert [(r["item_code"], D(r["value"])) for r in dead["top"]] == [(items["old"], D(500))]
    aged = found["aged"]
    assert (aged["older_than_days"], D(aged["value"])) == (180, D(500))
    assert D(aged["share_percent"]) == D("30.12")  # 500 / 1660
    assert found["file"] is None
    # the parts are the reports themselves
    stock_value = await wired.stock.get("/v1/reports/stock-value", params={"group_by": "total"})
    assert D(stock_value.json()["total_value"]) == D(value["total_value"])
    # other limits: idle for 30 days catches fine too (and it is worth more); aged over 90
    # days adds fine's 560
    wider = await health(wired, idle_days=30, aged_days=90, top=1)
    assert wider["dead_stock"]["total_items"] == 2
    assert [r["item_code"] for r in wider["dead_stock"]["top"]] == [items["fine"]]
    assert D(wider["aged"]["value"]) == D(1060)
    assert [r["item_code"] for r in wider["below_safety_stock"]["items"]] == [items["empty"]]
    assert wider["below_safety_stock"]["count"] == 2


async def test_roles_without_cost_see_no_values_and_get_no_workbook(wired: Slice) -> None:
    await world(wired)
    found = await health(wired, headers=auth("warehouse"))
    assert "total_value" not in found["stock_value"]
    assert all("value" not in row for row in found["stock_value"]["stages"])
    assert "total_value" not in found["dead_stock"]
    assert all("value" not in row for row in found["dead_stock"]["top"])
    assert "value" not in found["aged"] and found["below_safety_stock"]["count"] == 2
    refused = await wired.stock.get(
        "/v1/reports/inventory-health", params={"format": "xlsx"}, headers=auth("warehouse")
    )
    assert refused.status_code == 403, refused.text
    kept = await wired.stock.post("/v1/reports/inventory-health/files", headers=auth("planner"))
    assert kept.status_code == 403, kept.text


def _workbook(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content), data_only=True)


def _charts(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))


async def test_the_workbook_holds_every_part_with_charts(wired: Slice) -> None:
    items = await world(wired)
    response = await wired.stock.get(
        "/v1/reports/inventory-health", params={"format": "xlsx"}, headers=auth("finance")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    book = _workbook(response.content)
    assert book.sheetnames == ["Summary", "Below safety stock", "Dead stock", "Aging"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Stock value"] == 1660 and summary["Items below safety stock"] == 2
    assert summary["Value aged over 180 days"] == 500 and summary["raw"] == 1660
    below = list(book["Below safety stock"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[5]) for r in below] == [(items["empty"], 10), (items["short"], 200)]
    dead = list(book["Dead stock"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2]) for r in dead] == [(items["old"], 500)]
    aging = list(book["Aging"].iter_rows(values_only=True))
    assert aging[0] == ("Stage", "0-30", "31-90", "91-180", "181-365", "over 365", "Total")
    assert aging[1:] == [("raw", 600, 0, 560, 500, 0, 1660), ("Total", 600, 0, 560, 500, 0, 1660)]
    assert len(_charts(response.content)) == 3  # value by stage, dead stock, aging


async def test_a_kept_workbook_is_fetched_by_its_token_once_per_key(wired: Slice) -> None:
    await world(wired)
    key = {"Idempotency-Key": "digest-2026-11-27", **auth("finance")}
    made = await wired.stock.post("/v1/reports/inventory-health/files", headers=key)
    assert made.status_code == 201, made.text
    body = made.json()
    assert D(body["stock_value"]["total_value"]) == D(1660)
    url = body["file"]["url"]
    assert url.startswith("/v1/report-files/") and len(url.rsplit("/", 1)[1]) >= 40
    again = await wired.stock.post("/v1/reports/inventory-health/files", headers=key)
    assert again.status_code == 201 and again.json()["file"]["url"] == url
    # the token is the credential: any caller, no role needed
    fetched = await wired.stock.get(url, headers=auth())
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"] == XLSX
    assert "inventory-health-" in fetched.headers["content-disposition"]
    assert _workbook(fetched.content).sheetnames[0] == "Summary"
    missing = await wired.stock.get("/v1/report-files/" + "x" * 43)
    assert missing.status_code == 404, missing.text


async def test_health_refuses_bad_parameters_naming_each(wired: Slice) -> None:
    response = await wired.stock.get(
        "/v1/reports/inventory-health",
        params={"idle_days": "0", "aged_days": "x", "top": "101", "format": "pdf"},
    )
    assert response.status_code == 422, response.text
    fields = sorted(e["field"] for e in response.json()["errors"])
    assert fields == ["query.aged_days", "query.format", "query.idle_days", "query.top"]
