"""Transfers through the stock app, with the catalog in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import Settings as CatalogSettings
from services.stock.app import create_app as stock_app
from services.stock.settings import Settings as StockSettings
from tests.conftest import TEST_SECRET, auth
from tests.wiring import HostRoutingTransport, started

URLS = {"catalog": "http://catalog", "stock": "http://stock"}


@dataclass
class Wired:
    catalog: httpx.AsyncClient
    stock: httpx.AsyncClient


@asynccontextmanager
async def wired_apps(database_factory: Any) -> AsyncIterator[Wired]:
    transport = HostRoutingTransport()
    common = {"internal_token_secret": TEST_SECRET, "service_urls": URLS, "http_attempts": 1}
    apps = {
        "catalog": catalog_app(
            CatalogSettings(
                database_url=await database_factory("catalog"), run_background_tasks=False, **common
            ),
            http_transport=transport,
        ),
        "stock": stock_app(
            StockSettings(
                database_url=await database_factory("stock"),
                run_background_tasks=False,
                **common,
            ),
            http_transport=transport,
        ),
    }
    for name, app in apps.items():
        transport.register(name, app)
    async with started(apps):
        clients = [
            httpx.AsyncClient(transport=transport, base_url=URLS[name], headers=auth("admin"))
            for name in ("catalog", "stock")
        ]
        try:
            yield Wired(*clients)
        finally:
            for client in clients:
                await client.aclose()


@pytest.fixture
async def wired(database_factory) -> AsyncIterator[Wired]:
    async with wired_apps(database_factory) as w:
        yield w


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def make_item(w: Wired, tracking: str = "lot", item_type: str = "raw_material") -> str:
    item_code = code("R")
    body = {
        "code": item_code,
        "name": "Resistor",
        "uom": "pcs",
        "item_type": item_type,
        "tracking": tracking,
    }
    response = await w.catalog.post("/v1/items", json=body)
    assert response.status_code == 201, response.text
    return item_code


async def make_location(
    w: Wired, prefix: str = "WH1/RAW", *, location_type: str = "storage", parent: str | None = None
) -> str:
    location = code(prefix)
    body = {"code": location, "name": location, "location_type": location_type}
    if parent is not None:
        body["parent_code"] = parent
    response = await w.stock.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return location


async def receive(w: Wired, item: str, location: str, lot: str | None, qty: str) -> None:
    body = {"item_code": item, "location_code": location, "quantity": qty, "supplier": "Yageo"}
    if lot is not None:
        body["lot_number"] = lot
    response = await w.stock.post("/v1/receipts", json=body)
    assert response.status_code == 201, response.text


async def balances(w: Wired, **params: Any) -> set[tuple[str, str, str | None, str, Decimal]]:
    """Every non-zero balance as (item, location, lot, state, quantity)."""
    found: set[tuple[str, str, str | None, str, Decimal]] = set()
    cursor = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (await w.stock.get("/v1/balances", params=query)).json()
        for b in page["items"]:
            found.add(
                (
                    b["item_code"],
                    b["location_code"],
                    b["lot_number"],
                    b["quality_state"],
                    Decimal(b["quantity"]),
                )
            )
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def line(item: str, qty: str, lot: str | None = None, state: str = "pending_inspection") -> dict:
    body: dict[str, Any] = {"item_code": item, "quantity": qty, "quality_state": state}
    if lot is not None:
        body["lot_number"] = lot
    return body


def transfer(source: str, target: str, *lines: dict, note: str = "") -> dict:
    return {
        "from_location_code": source,
        "to_location_code": target,
        "note": note,
        "lines": list(lines),
    }


@dataclass
class Stocked:
    lot_item: str
    plain_item: str
    lot: str
    source: str
    target: str


@pytest.fixture
async def stocked(wired: Wired) -> Stocked:
    """5000 of a lot-tracked item (one lot) and 40 of an untracked one, pending, at `source`."""
    lot_item, plain_item = await make_item(wired), await make_item(wired, tracking="none")
    source, target = await make_location(wired, "RECV"), await make_location(wired)
    lot = code("L")
    await receive(wired, lot_item, source, lot, "5000")
    await receive(wired, plain_item, source, None, "40")
    return Stocked(lot_item, plain_item, lot, source, target)


async def events_of(w: Wired, *types: str) -> list[dict]:
    feed = (await w.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    return [e for e in feed if e["type"] in types]


async def test_transfer_moves_every_line_and_keeps_the_state(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    response = await wired.stock.post(
        "/v1/transfers",
        json=transfer(
            s.source,
            s.target,
            line(s.lot_item, "2000", s.lot),
            line(s.plain_item, "40"),
            note="put-away",
        ),
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert re.fullmatch(r"TR-\d{8}", doc["number"]) and doc["status"] == "posted"
    assert doc["reversed_at"] is None and doc["note"] == "put-away"
    assert [(ln["line_no"], ln["item_code"], ln["lot_number"]) for ln in doc["lines"]] == [
        (1, s.lot_item, s.lot),
        (2, s.plain_item, None),
    ]
    assert [
        (m["item_code"], m["from_location"], m["to_location"], m["from_state"], m["to_state"])
        for m in doc["movements"]
    ] == [
        (s.lot_item, s.source, s.target, "pending_inspection", "pending_inspection"),
        (s.plain_item, s.source, s.target, "pending_inspection", "pending_inspection"),
    ]
    assert {m["document_type"] for m in doc["movements"]} == {"transfer"}
    assert await balances(wired) == {
        (s.lot_item, s.source, s.lot, "pending_inspection", Decimal(3000)),
        (s.lot_item, s.target, s.lot, "pending_inspection", Decimal(2000)),
        (s.plain_item, s.target, None, "pending_inspection", Decimal(40)),
    }
    assert (await wired.stock.get(f"/v1/transfers/{doc['id']}")).json() == doc
    posted = await events_of(wired, "TransferPosted", "MovementPosted")
    transfer_moves = [e for e in posted if e["payload"].get("document_type") == "transfer"]
    assert [e["type"] for e in posted if e["type"] == "TransferPosted"] == ["TransferPosted"]
    assert sorted(int(e["aggregate_id"]) for e in transfer_moves) == sorted(
        m["id"] for m in doc["movements"]
    )
    audit = (await wired.stock.get("/v1/audit", params={"entity_type": "transfer"})).json()["items"]
    assert [(a["action"], a["entity_id"]) for a in audit] == [("post", str(doc["id"]))]


async def test_one_bad_line_posts_nothing_and_every_bad_field_is_named(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    serial_item = await make_item(wired, tracking="serial")
    before = await balances(wired)
    response = await wired.stock.post(
        "/v1/transfers",
        json=transfer(
            "VIRTUAL/SUPPLIER",
            "NO/SUCH/LOCATION",
            line(s.lot_item, "1", s.lot),  # fine
            line("NO-SUCH-ITEM", "1"),
            line(s.lot_item, "1"),  # lot-tracked without a lot
            line(s.plain_item, "1", "L-1"),  # untracked with a lot
            line(s.lot_item, "1", "NO-SUCH-LOT"),
            line(serial_item, "1", "L-2"),  # serial-tracked without serials, unknown lot
        ),
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert [e["field"] for e in problem["errors"]] == [
        "body.from_location_code",
        "body.to_location_code",
        "body.lines.1.item_code",
        "body.lines.2.lot_number",
        "body.lines.3.lot_number",
        "body.lines.4.lot_number",
        "body.lines.5.serial_numbers",
        "body.lines.5.lot_number",
    ]
    assert await balances(wired) == before
    assert (await wired.stock.get("/v1/transfers")).json()["items"] == []
    moved = await wired.stock.get("/v1/movements", params={"document_type": "transfer"})
    assert moved.json()["items"] == []


async def test_locations_must_differ_and_hold_stock(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    same = await wired.stock.post(
        "/v1/transfers", json=transfer(s.source, s.source, line(s.plain_item, "1"))
    )
    assert same.status_code == 422
    assert [e["field"] for e in same.json()["errors"]] == ["body.to_location_code"]
    warehouse = await make_location(wired, "WH", location_type="warehouse")
    into_group = await wired.stock.post(
        "/v1/transfers", json=transfer(s.source, warehouse, line(s.plain_item, "1"))
    )
    assert into_group.status_code == 422
    error = into_group.json()["errors"][0]
    assert error["field"] == "body.to_location_code" and "holds no stock" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"from_location_code": "A", "to_location_code": "B", "lines": []},
        {
            "from_location_code": "A",
            "to_location_code": "B",
            "lines": [{"item_code": "X", "quantity": "1"}] * 1001,
        },
        {
            "from_location_code": "A",
            "to_location_code": "B",
            "lines": [{"item_code": "X", "quantity": "0"}],
        },
    ],
    ids=["no-lines", "too-many-lines", "zero-quantity"],
)
async def test_request_shape_is_checked(wired: Wired, body: dict) -> None:
    response = await wired.stock.post("/v1/transfers", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("body.lines")


async def test_insufficient_stock_posts_nothing_and_says_what_is_short(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    before = await balances(wired)
    response = await wired.stock.post(
        "/v1/transfers",
        json=transfer(
            s.source,
            s.target,
            line(s.plain_item, "10"),
            line(s.lot_item, "3000", s.lot),
            line(s.lot_item, "2500", s.lot),  # together 5500 of 5000
        ),
    )
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "insufficient_stock"
    assert s.lot_item in problem["detail"] and s.source in problem["detail"]
    assert Decimal(problem["available"]) == 5000 and Decimal(problem["needed"]) == 5500
    assert (problem["item_code"], problem["location_code"], problem["lot_number"]) == (
        s.lot_item,
        s.source,
        s.lot,
    )
    assert [e["field"] for e in problem["errors"]] == [
        "body.lines.1.quantity",
        "body.lines.2.quantity",
    ]
    assert await balances(wired) == before
    assert (await wired.stock.get("/v1/transfers")).json()["items"] == []


async def test_the_default_state_is_qualified(wired: Wired, stocked: Stocked) -> None:
    s = stocked  # received stock is pending inspection, so none of it is qualified yet
    body = transfer(s.source, s.target, {"item_code": s.plain_item, "quantity": "1"})
    response = await wired.stock.post("/v1/transfers", json=body)
    assert response.status_code == 409
    assert response.json()["quality_state"] == "qualified"
    assert Decimal(response.json()["available"]) == 0


async def test_reversal_restores_balances_exactly_and_only_once(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    before = await balances(wired)
    posted = await wired.stock.post(
        "/v1/transfers",
        json=transfer(
            s.source, s.target, line(s.lot_item, "1234.5", s.lot), line(s.plain_item, "0.25")
        ),
    )
    assert posted.status_code == 201, posted.text
    doc = posted.json()
    assert await balances(wired) != before
    reversed_ = await wired.stock.post(f"/v1/transfers/{doc['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    out = reversed_.json()
    assert out["status"] == "reversed" and out["reversed_by"] == "user:tester"
    assert out["reversed_at"] is not None
    originals = {m["id"]: m for m in doc["movements"]}
    reversals = [m for m in out["movements"] if m["reversal_of_id"] is not None]
    assert sorted(m["reversal_of_id"] for m in reversals) == sorted(originals)
    for m in reversals:
        original = originals[m["reversal_of_id"]]
        assert (m["from_location"], m["to_location"], m["quantity"]) == (
            original["to_location"],
            original["from_location"],
            original["quantity"],
        )
    assert await balances(wired) == before
    again = await wired.stock.post(f"/v1/transfers/{doc['id']}/reverse")
    assert again.status_code == 409 and again.json()["code"] == "document_reversed"
    assert await balances(wired) == before
    assert (await wired.stock.get(f"/v1/transfers/{doc['id']}")).json() == out
    kinds = [e["type"] for e in await events_of(wired, "TransferPosted", "TransferReversed")]
    assert kinds == ["TransferPosted", "TransferReversed"]
    moved = [
        int(e["aggregate_id"])
        for e in await events_of(wired, "MovementPosted")
        if e["payload"]["document_type"] == "transfer"
    ]
    assert sorted(moved) == sorted(m["id"] for m in out["movements"]) and len(moved) == 4
    audit = (await wired.stock.get("/v1/audit", params={"entity_type": "transfer"})).json()["items"]
    assert [a["action"] for a in audit] == ["reverse", "post"]  # newest first
    assert audit[0]["before"]["status"] == "posted" and audit[0]["after"]["status"] == "reversed"


async def test_concurrent_reversals_reverse_once(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    doc = (
        await wired.stock.post(
            "/v1/transfers", json=transfer(s.source, s.target, line(s.plain_item, "40"))
        )
    ).json()
    results = await asyncio.gather(
        *[wired.stock.post(f"/v1/transfers/{doc['id']}/reverse") for _ in range(4)]
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"document_reversed"}
    assert await balances(wired, item_code=s.plain_item) == {
        (s.plain_item, s.source, None, "pending_inspection", Decimal(40))
    }


async def test_reversal_is_refused_once_the_stock_moved_on(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    onward = await make_location(wired, "LINE")
    first = (
        await wired.stock.post(
            "/v1/transfers", json=transfer(s.source, s.target, line(s.lot_item, "2000", s.lot))
        )
    ).json()
    second = await wired.stock.post(
        "/v1/transfers", json=transfer(s.target, onward, line(s.lot_item, "1500", s.lot))
    )
    assert second.status_code == 201
    before = await balances(wired)
    response = await wired.stock.post(f"/v1/transfers/{first['id']}/reverse")
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "insufficient_stock" and first["number"] in problem["detail"]
    assert problem["location_code"] == s.target and Decimal(problem["available"]) == 500
    assert await balances(wired) == before
    assert (await wired.stock.get(f"/v1/transfers/{first['id']}")).json()["status"] == "posted"
    # once the onward transfer is taken back, the first can be too
    assert (await wired.stock.post(f"/v1/transfers/{second.json()['id']}/reverse")).is_success
    assert (await wired.stock.post(f"/v1/transfers/{first['id']}/reverse")).is_success
    assert await balances(wired, item_code=s.lot_item) == {
        (s.lot_item, s.source, s.lot, "pending_inspection", Decimal(5000))
    }


async def test_retry_with_the_same_key_posts_once(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    body = transfer(s.source, s.target, line(s.plain_item, "15"))
    headers = {"Idempotency-Key": code("key")}
    first = await wired.stock.post("/v1/transfers", json=body, headers=headers)
    again = await wired.stock.post("/v1/transfers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len((await wired.stock.get("/v1/transfers")).json()["items"]) == 1
    assert await balances(wired, item_code=s.plain_item) == {
        (s.plain_item, s.source, None, "pending_inspection", Decimal(25)),
        (s.plain_item, s.target, None, "pending_inspection", Decimal(15)),
    }
    key = {"Idempotency-Key": code("key")}
    reverse = f"/v1/transfers/{first.json()['id']}/reverse"
    undo = await wired.stock.post(reverse, headers=key)
    undo_again = await wired.stock.post(reverse, headers=key)
    assert undo.status_code == undo_again.status_code == 200
    assert undo_again.headers["idempotent-replayed"] == "true"


async def test_list_filters_and_pages(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    other = await make_location(wired, "OTHER")
    a = (
        await wired.stock.post(
            "/v1/transfers", json=transfer(s.source, s.target, line(s.plain_item, "5"))
        )
    ).json()
    b = (
        await wired.stock.post(
            "/v1/transfers", json=transfer(s.source, other, line(s.lot_item, "5", s.lot))
        )
    ).json()
    assert (await wired.stock.post(f"/v1/transfers/{a['id']}/reverse")).status_code == 200

    async def ids(**params: Any) -> list[int]:
        page = (await wired.stock.get("/v1/transfers", params=params)).json()
        return [t["id"] for t in page["items"]]

    assert await ids() == [a["id"], b["id"]]
    assert await ids(item_code=s.lot_item) == [b["id"]]
    assert await ids(location_code=s.target) == [a["id"]]
    assert await ids(location_code=s.source) == [a["id"], b["id"]]
    assert await ids(location_code="NO/SUCH") == []
    assert await ids(status="reversed") == [a["id"]]
    assert await ids(status="posted") == [b["id"]]
    first = (await wired.stock.get("/v1/transfers", params={"limit": 1})).json()
    assert [t["id"] for t in first["items"]] == [a["id"]] and first["next_cursor"]
    rest = await ids(limit=1, cursor=first["next_cursor"])
    assert rest == [b["id"]]
    listed = (await wired.stock.get("/v1/transfers", params={"item_code": s.lot_item})).json()
    assert listed["items"][0] == b


async def test_unknown_transfer_and_roles(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    assert (await wired.stock.get("/v1/transfers/999999")).status_code == 404
    assert (await wired.stock.post("/v1/transfers/999999/reverse")).status_code == 404
    body = transfer(s.source, s.target, line(s.plain_item, "1"))
    refused = await wired.stock.post("/v1/transfers", json=body, headers=auth("qc"))
    assert refused.status_code == 403
    allowed = await wired.stock.post("/v1/transfers", json=body, headers=auth("warehouse"))
    assert allowed.status_code == 201
    reader = await wired.stock.get("/v1/transfers", headers=auth("qc"))
    assert reader.status_code == 200
