"""Draft shipments: saved as requested (lots left to picking stay open), nothing locked,
picked or moved until the draft is posted; replaced or cancelled meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.service.test_stock_shipments import (
    CUSTOMER,
    Q,
    balances,
    days_ago,
    events_of,
    finished,
    line,
    moves,
    place,
    ship,
    shipment,
    shipments,
    shipped,
    stock_in,
)
from tests.service.test_thin_slice_inprocess import Slice

URL = "/v1/shipments"


async def draft_of(s: Slice, body: dict[str, Any]) -> dict[str, Any]:
    response = await s.stock.post(URL, json={**body, "draft": True})
    assert response.status_code == 201, response.text
    draft: dict[str, Any] = response.json()
    assert draft["status"] == "draft", draft
    return draft


async def test_a_draft_moves_nothing_and_picks_its_lots_when_posted(wired: Slice) -> None:
    item, fg = await finished(wired), await place(wired)
    await stock_in(wired, item, fg, "10", "OLD", received=days_ago(30))
    await stock_in(wired, item, fg, "20", "NEW", received=days_ago(5))
    before = await balances(wired, item)
    body = shipment(fg, line(item, "15"), line(item, "2", "NEW", so_line="20"), carrier="DHL")
    draft = await draft_of(wired, body)
    assert draft["number"].startswith("SH-") and draft["movements"] == []
    assert draft["posted_at"] is None and draft["created_by"] == "user:tester"
    # as requested: the first line leaves its lot to picking, which has not happened yet
    assert shipped(draft) == [
        (1, None, item, None, Decimal(15)),
        (2, "20", item, "NEW", Decimal(2)),
    ]
    assert draft["draft_request"]["lines"][0] == {
        "item_code": item,
        "quantity": "15",
        "lot_number": None,
        "serial_numbers": None,
        "sales_order_line": None,
    }
    assert await balances(wired, item) == before
    assert [d["id"] for d in await shipments(wired, status="draft")] == [draft["id"]]
    assert await shipments(wired, status="posted") == []
    assert (await wired.stock.get(f"{URL}/{draft['id']}")).json() == draft

    posted = await wired.stock.post(
        f"{URL}/{draft['id']}/post", headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    assert (doc["id"], doc["number"], doc["status"]) == (draft["id"], draft["number"], "posted")
    assert doc["draft_request"] is None and doc["posted_by"] == "user:tester"
    assert (doc["carrier"], doc["created_at"]) == ("DHL", draft["created_at"])
    # the named lot is served first, then first received first: the draft rows gave way
    assert shipped(doc) == [
        (1, None, item, "OLD", Decimal(10)),
        (1, None, item, "NEW", Decimal(5)),
        (2, "20", item, "NEW", Decimal(2)),
    ]
    assert [(m[0], m[1], m[4], m[5]) for m in moves(doc)] == [
        (fg, CUSTOMER, "OLD", Decimal(10)),
        (fg, CUSTOMER, "NEW", Decimal(5)),
        (fg, CUSTOMER, "NEW", Decimal(2)),
    ]
    assert await balances(wired, item) == {(fg, "NEW", Q): Decimal(13)}
    assert (await wired.stock.get(f"{URL}/{draft['id']}")).json() == doc
    again = await wired.stock.post(f"{URL}/{draft['id']}/post")
    assert again.status_code == 409 and again.json()["code"] == "document_not_draft"
    types = [e["type"] for e in await events_of(wired, "ShipmentDrafted", "ShipmentPosted")]
    assert types == ["ShipmentDrafted", "ShipmentPosted"]


async def test_a_draft_posted_when_stock_is_short_stays_a_draft(wired: Slice) -> None:
    item, fg = await finished(wired), await place(wired)
    await stock_in(wired, item, fg, "30", "L1")
    draft = await draft_of(wired, shipment(fg, line(item, "25")))
    await ship(wired, shipment(fg, line(item, "10", "L1")))  # the stock goes meanwhile
    short = await wired.stock.post(f"{URL}/{draft['id']}/post")
    assert short.status_code == 409, short.text
    problem = short.json()
    assert problem["code"] == "insufficient_stock"
    assert (Decimal(problem["available"]), Decimal(problem["needed"])) == (Decimal(20), Decimal(25))
    assert (await wired.stock.get(f"{URL}/{draft['id']}")).json() == draft
    assert await balances(wired, item) == {(fg, "L1", Q): Decimal(20)}

    replaced = await wired.stock.put(
        f"{URL}/{draft['id']}", json=shipment(fg, line(item, "20"), customer="Globex")
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["status"], replaced.json()["customer"]) == ("draft", "Globex")
    assert shipped(replaced.json()) == [(1, None, item, None, Decimal(20))]
    posted = await wired.stock.post(f"{URL}/{draft['id']}/post")
    assert posted.status_code == 200, posted.text
    assert shipped(posted.json()) == [(1, None, item, "L1", Decimal(20))]
    assert await balances(wired, item) == {}


async def test_a_draft_is_checked_when_saved_and_dated_when_posted(wired: Slice) -> None:
    item, fg = await finished(wired), await place(wired)
    line_location = await place(wired, "production_line")
    await stock_in(wired, item, fg, "5", "L1")
    when = datetime.now(UTC).isoformat()  # after the stock came in
    bad = shipment(line_location, line(item, "1", "NO-LOT"), line("NOPE", "1"))
    refused = await wired.stock.post(URL, json={**bad, "draft": True})
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"body.from_location_code", "body.lines.0.lot_number", "body.lines.1.item_code"} <= (
        fields
    )
    assert await shipments(wired, status="draft") == []

    # the date is checked when the draft posts; the posting may give another one
    draft = await draft_of(
        wired, shipment(fg, line(item, "5", "L1"), posted_at="2099-01-01T00:00:00Z")
    )
    refused = await wired.stock.post(f"{URL}/{draft['id']}/post")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.posted_at"
    posted = await wired.stock.post(f"{URL}/{draft['id']}/post", json={"posted_at": when})
    assert posted.status_code == 200, posted.text
    assert datetime.fromisoformat(posted.json()["posted_at"]) == datetime.fromisoformat(when)


async def test_cancel_reverse_and_concurrent_posts(wired: Slice) -> None:
    item, fg = await finished(wired, tracking="none"), await place(wired)
    await stock_in(wired, item, fg, "40")
    cancelled_one = await draft_of(wired, shipment(fg, line(item, "10")))
    refused = await wired.stock.post(f"{URL}/{cancelled_one['id']}/reverse")
    assert refused.status_code == 409 and refused.json()["code"] == "document_not_posted"
    cancelled = await wired.stock.post(f"{URL}/{cancelled_one['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_by"]
    for path, code in (
        ("/post", "document_not_draft"),
        ("/cancel", "document_not_draft"),
        ("/reverse", "document_not_posted"),
    ):
        again = await wired.stock.post(f"{URL}/{cancelled_one['id']}{path}")
        assert again.status_code == 409 and again.json()["code"] == code, path
    assert [d["id"] for d in await shipments(wired, status="cancelled")] == [cancelled_one["id"]]
    types = [e["type"] for e in await events_of(wired, "ShipmentCancelled")]
    assert types == ["ShipmentCancelled"]

    draft = await draft_of(wired, shipment(fg, line(item, "40")))
    results = await asyncio.gather(
        *(wired.stock.post(f"{URL}/{draft['id']}/post") for _ in range(3))
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409]
    assert await balances(wired, item) == {}
    reversed_ = await wired.stock.post(f"{URL}/{draft['id']}/reverse")
    assert reversed_.status_code == 200, reversed_.text
    twice = await wired.stock.post(f"{URL}/{draft['id']}/reverse")
    assert twice.status_code == 409 and twice.json()["code"] == "document_reversed"
    assert await balances(wired, item) == {(fg, None, Q): Decimal(40)}
    assert (await wired.stock.post(f"{URL}/999999/post")).status_code == 404


async def test_a_draft_names_units_without_looking_at_them(wired: Slice) -> None:
    item, fg = await finished(wired, tracking="serial"), await place(wired)
    body = shipment(fg, {"item_code": item, "quantity": "2", "serial_numbers": ["SN-1", "SN-2"]})
    draft = await draft_of(wired, body)  # no unit is in stock: nothing is looked at yet
    assert draft["lines"][0]["serial_numbers"] == ["SN-1", "SN-2"]
    refused = await wired.stock.post(f"{URL}/{draft['id']}/post")
    assert refused.status_code == 409, refused.text
    assert (await wired.stock.get(f"{URL}/{draft['id']}")).json()["status"] == "draft"
