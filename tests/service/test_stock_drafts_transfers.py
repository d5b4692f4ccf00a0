"""Draft transfers: saved without moving anything, replaced, posted later or cancelled."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from tests.service import test_stock_transfers as base
from tests.service.test_stock_transfers import Stocked, Wired, balances, events_of, line, transfer

wired, stocked = base.wired, base.stocked  # the fixtures


async def test_a_draft_moves_nothing_until_it_is_posted(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    before = await balances(wired, item_code=s.lot_item)
    body = {**transfer(s.source, s.target, line(s.lot_item, "2000", s.lot)), "draft": True}
    response = await wired.stock.post("/v1/transfers", json=body)
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["status"] == "draft" and draft["movements"] == []
    assert draft["posted_at"] is None and draft["created_by"]
    assert draft["lines"][0]["lot_number"] == s.lot
    assert draft["draft_request"]["lines"][0]["quantity"] == "2000"
    assert await balances(wired, item_code=s.lot_item) == before
    listed = (await wired.stock.get("/v1/transfers", params={"status": "draft"})).json()
    assert [t["id"] for t in listed["items"]] == [draft["id"]]

    posted = await wired.stock.post(
        f"/v1/transfers/{draft['id']}/post", headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    assert (doc["id"], doc["number"], doc["status"]) == (draft["id"], draft["number"], "posted")
    assert doc["draft_request"] is None and doc["posted_at"] is not None
    assert [(m["from_location"], m["to_location"], m["quantity"]) for m in doc["movements"]] == [
        (s.source, s.target, "2000")
    ]
    after = await balances(wired, item_code=s.lot_item)
    assert (s.lot_item, s.target, s.lot, "pending_inspection", Decimal("2000")) in after
    again = await wired.stock.post(f"/v1/transfers/{draft['id']}/post")
    assert again.status_code == 409 and again.json()["code"] == "document_not_draft"
    types = [e["type"] for e in await events_of(wired, "TransferDrafted", "TransferPosted")]
    assert types == ["TransferDrafted", "TransferPosted"]


async def test_a_draft_is_checked_when_saved_but_stock_only_when_posted(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    bad = {
        **transfer(s.source, "NO/SUCH", line(s.lot_item, "1", "NO-LOT"), line("NOPE", "1")),
        "draft": True,
    }
    response = await wired.stock.post("/v1/transfers", json=bad)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"body.to_location_code", "body.lines.0.lot_number", "body.lines.1.item_code"} <= fields
    listed = (await wired.stock.get("/v1/transfers", params={"status": "draft"})).json()
    assert listed["items"] == []

    too_much = {**transfer(s.source, s.target, line(s.lot_item, "9000", s.lot)), "draft": True}
    draft = (await wired.stock.post("/v1/transfers", json=too_much)).json()
    assert draft["status"] == "draft"
    refused = await wired.stock.post(f"/v1/transfers/{draft['id']}/post")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    still = (await wired.stock.get(f"/v1/transfers/{draft['id']}")).json()
    assert still["status"] == "draft" and still["movements"] == []


async def test_replace_then_post_with_a_date_and_cancel(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    first = {**transfer(s.source, s.target, line(s.lot_item, "10", s.lot)), "draft": True}
    draft = (await wired.stock.post("/v1/transfers", json=first)).json()
    second = transfer(s.source, s.target, line(s.plain_item, "4"), line(s.lot_item, "5", s.lot))
    replaced = await wired.stock.put(f"/v1/transfers/{draft['id']}", json=second)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["status"] == "draft"
    assert [(ln["item_code"], ln["quantity"]) for ln in replaced.json()["lines"]] == [
        (s.plain_item, "4"),
        (s.lot_item, "5"),
    ]
    posted = await wired.stock.post(
        f"/v1/transfers/{draft['id']}/post", json={"posted_at": "2099-01-01T00:00:00Z"}
    )
    assert posted.status_code == 422 and posted.json()["errors"][0]["field"] == "body.posted_at"
    posted = await wired.stock.post(f"/v1/transfers/{draft['id']}/post", json={})
    assert posted.status_code == 200, posted.text
    assert [m["quantity"] for m in posted.json()["movements"]] == ["4", "5"]
    for verb, path in (("put", ""), ("post", "/cancel")):
        refused = await getattr(wired.stock, verb)(
            f"/v1/transfers/{draft['id']}{path}", **({"json": second} if verb == "put" else {})
        )
        assert refused.status_code == 409 and refused.json()["code"] == "document_not_draft"

    other = (await wired.stock.post("/v1/transfers", json={**first, "draft": False})).json()
    assert other["status"] == "posted"  # no "draft": posted at once
    later = (await wired.stock.post("/v1/transfers", json={**first, "draft": True})).json()
    cancelled = await wired.stock.post(f"/v1/transfers/{later['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_by"]
    for path in ("/post", "/reverse"):
        refused = await wired.stock.post(f"/v1/transfers/{later['id']}{path}")
        assert refused.status_code == 409, path
    reverse_draft = (await wired.stock.post("/v1/transfers", json={**first, "draft": True})).json()
    refused = await wired.stock.post(f"/v1/transfers/{reverse_draft['id']}/reverse")
    assert refused.status_code == 409 and refused.json()["code"] == "document_not_posted"
    missing = await wired.stock.post("/v1/transfers/999999/post")
    assert missing.status_code == 404


async def test_concurrent_posts_of_one_draft_post_once(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    body = {**transfer(s.source, s.target, line(s.plain_item, "40")), "draft": True}
    draft = (await wired.stock.post("/v1/transfers", json=body)).json()
    results = await asyncio.gather(
        *(wired.stock.post(f"/v1/transfers/{draft['id']}/post") for _ in range(4))
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    after = await balances(wired, item_code=s.plain_item)
    assert after == {(s.plain_item, s.target, None, "pending_inspection", Decimal("40"))}
