"""Draft scraps, supplier returns and customer returns: saved without moving anything,
replaced, posted later or cancelled, each under its own resource."""

from __future__ import annotations

import uuid
from decimal import Decimal

from tests.service import test_stock_scrap_returns as base
from tests.service.test_stock_scrap_returns import (
    SCRAPPED,
    Stocked,
    Wired,
    balances,
    document,
    events_of,
    line,
    make_location,
    moves,
)

#: The fixtures of the scrap and return tests, used here by name.
wired, stocked = base.wired, base.stocked

SCRAPS, SUPPLIER, CUSTOMER = "/v1/scraps", "/v1/supplier-returns", "/v1/customer-returns"


async def test_a_draft_scrap_moves_nothing_until_it_is_posted(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    before = await balances(wired, location_code=s.location)
    body = {
        **document(
            s.location,
            line(s.lot_item, "15", s.lot),
            line(s.plain_item, "10"),
            reason="burnt in reflow",
        ),
        "draft": True,
    }
    response = await wired.stock.post(SCRAPS, json=body)
    assert response.status_code == 201, response.text
    draft = response.json()
    assert (draft["kind"], draft["status"], draft["movements"]) == ("scrap", "draft", [])
    assert draft["number"].startswith("SC-") and draft["posted_at"] is None
    assert draft["created_by"] and draft["posted_by"] is None
    assert [(ln["lot_number"], ln["quality_state"]) for ln in draft["lines"]] == [
        (s.lot, "defective"),
        (None, "defective"),
    ]
    assert draft["draft_request"]["reason"] == "burnt in reflow"
    assert draft["draft_request"]["lines"][1]["quantity"] == "10"
    assert await balances(wired, location_code=s.location) == before
    assert (await wired.stock.get(f"{SCRAPS}/{draft['id']}")).json() == draft
    listed = (await wired.stock.get(SCRAPS, params={"status": "draft"})).json()
    assert [d["id"] for d in listed["items"]] == [draft["id"]]
    assert (await wired.stock.get(SCRAPS, params={"status": "posted"})).json()["items"] == []

    posted = await wired.stock.post(
        f"{SCRAPS}/{draft['id']}/post", headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    assert (doc["id"], doc["number"], doc["status"]) == (draft["id"], draft["number"], "posted")
    assert doc["draft_request"] is None and doc["posted_at"] is not None
    assert doc["created_at"] == draft["created_at"]
    assert moves(doc) == [
        (s.lot_item, s.location, SCRAPPED, "defective", "defective", Decimal(15)),
        (s.plain_item, s.location, SCRAPPED, "defective", "defective", Decimal(10)),
    ]
    assert await balances(wired, location_code=s.location) == {
        (s.lot_item, s.location, s.lot, "qualified", Decimal(60)),
        (s.lot_item, s.location, s.lot, "defective", Decimal(25)),
    }
    again = await wired.stock.post(f"{SCRAPS}/{draft['id']}/post")
    assert again.status_code == 409 and again.json()["code"] == "document_not_draft"
    types = [e["type"] for e in await events_of(wired, "ScrapDrafted", "ScrapPosted")]
    assert types == ["ScrapDrafted", "ScrapPosted"]
    audit = (await wired.stock.get("/v1/audit", params={"entity_type": "scrap"})).json()["items"]
    assert [a["action"] for a in audit] == ["post", "draft"]  # newest first


async def test_a_draft_is_checked_when_saved_and_short_stock_keeps_it_a_draft(
    wired: Wired, stocked: Stocked
) -> None:
    s = stocked
    bad = {
        **document(
            "NO/SUCH", line(s.lot_item, "1", "NO-LOT"), line("NOPE", "1"), counterparty="Yageo"
        ),
        "draft": True,
    }
    refused = await wired.stock.post(SUPPLIER, json=bad)
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"body.location_code", "body.lines.0.lot_number", "body.lines.1.item_code"} <= fields
    assert (await wired.stock.get(SUPPLIER, params={"status": "draft"})).json()["items"] == []

    # 60 qualified are there: a draft of 80 is saved, its posting is refused and changes nothing
    body = {
        **document(s.location, line(s.lot_item, "80", s.lot, "qualified"), counterparty="Yageo"),
        "draft": True,
    }
    draft = (await wired.stock.post(SUPPLIER, json=body)).json()
    assert draft["status"] == "draft"
    before = await balances(wired, location_code=s.location)
    short = await wired.stock.post(f"{SUPPLIER}/{draft['id']}/post")
    assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
    still = (await wired.stock.get(f"{SUPPLIER}/{draft['id']}")).json()
    assert still == draft
    assert await balances(wired, location_code=s.location) == before

    # replaced by what is there (and another supplier), then posted with a date
    smaller = document(
        s.location,
        line(s.lot_item, "50", s.lot, "qualified"),
        line(s.plain_item, "10"),
        counterparty="Murata",
        reference="PO-7",
    )
    replaced = await wired.stock.put(f"{SUPPLIER}/{draft['id']}", json=smaller)
    assert replaced.status_code == 200, replaced.text
    doc = replaced.json()
    assert (doc["status"], doc["counterparty"], doc["reference"]) == ("draft", "Murata", "PO-7")
    assert [(ln["line_no"], ln["item_code"], ln["quantity"]) for ln in doc["lines"]] == [
        (1, s.lot_item, "50"),
        (2, s.plain_item, "10"),
    ]
    future = await wired.stock.post(
        f"{SUPPLIER}/{draft['id']}/post", json={"posted_at": "2099-01-01T00:00:00Z"}
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "body.posted_at"
    posted = await wired.stock.post(f"{SUPPLIER}/{draft['id']}/post", json={})
    assert posted.status_code == 200, posted.text
    assert (posted.json()["id"], posted.json()["status"]) == (draft["id"], "posted")
    assert [m["quantity"] for m in posted.json()["movements"]] == ["50", "10"]
    assert await balances(wired, location_code=s.location) == {
        (s.lot_item, s.location, s.lot, "qualified", Decimal(10)),
        (s.lot_item, s.location, s.lot, "defective", Decimal(40)),
    }
    found = await wired.stock.get(SUPPLIER, params={"counterparty": "Murata"})
    assert [d["id"] for d in found.json()["items"]] == [draft["id"]]


async def test_cancel_and_reversal_of_what_is_not_posted(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    returns = await make_location(wired, "WH1/RETURNS", "receiving")
    body = {
        **document(returns, line(s.lot_item, "8", s.lot), counterparty="ACME", reference="RMA-1"),
        "draft": True,
    }
    draft = (await wired.stock.post(CUSTOMER, json=body)).json()
    assert draft["status"] == "draft" and draft["lines"][0]["quality_state"] == "pending_inspection"
    refused = await wired.stock.post(f"{CUSTOMER}/{draft['id']}/reverse")
    assert refused.status_code == 409 and refused.json()["code"] == "document_not_posted"

    cancelled = await wired.stock.post(f"{CUSTOMER}/{draft['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    doc = cancelled.json()
    assert (doc["status"], doc["movements"], doc["posted_at"]) == ("cancelled", [], None)
    assert doc["cancelled_by"] and doc["cancelled_at"]
    for path, code in (
        ("/post", "document_not_draft"),
        ("/cancel", "document_not_draft"),
        ("/reverse", "document_not_posted"),
    ):
        again = await wired.stock.post(f"{CUSTOMER}/{draft['id']}{path}")
        assert again.status_code == 409 and again.json()["code"] == code, path
    put = await wired.stock.put(f"{CUSTOMER}/{draft['id']}", json=body)
    assert put.status_code == 409 and put.json()["code"] == "document_not_draft"
    listed = (await wired.stock.get(CUSTOMER, params={"status": "cancelled"})).json()
    assert [d["id"] for d in listed["items"]] == [draft["id"]]
    assert await balances(wired, location_code=returns) == set()
    types = [
        e["type"]
        for e in await events_of(wired, "CustomerReturnDrafted", "CustomerReturnCancelled")
    ]
    assert types == ["CustomerReturnDrafted", "CustomerReturnCancelled"]

    # posted at once (no "draft"), then reversed: reversing again says it was reversed
    posted = (await wired.stock.post(CUSTOMER, json={**body, "draft": False})).json()
    assert posted["status"] == "posted" and posted["created_at"] and posted["posted_at"]
    assert (await wired.stock.post(f"{CUSTOMER}/{posted['id']}/reverse")).status_code == 200
    twice = await wired.stock.post(f"{CUSTOMER}/{posted['id']}/reverse")
    assert twice.status_code == 409 and twice.json()["code"] == "document_reversed"
    assert (await wired.stock.post(f"{CUSTOMER}/999999/cancel")).status_code == 404


async def test_a_draft_lives_under_its_own_resource_only(wired: Wired, stocked: Stocked) -> None:
    s = stocked
    supplier = {
        **document(s.location, line(s.lot_item, "5", s.lot), counterparty="Yageo"),
        "draft": True,
    }
    customer = {
        **document(s.location, line(s.lot_item, "5", s.lot), counterparty="ACME"),
        "draft": True,
    }
    to_supplier = (await wired.stock.post(SUPPLIER, json=supplier)).json()
    from_customer = (await wired.stock.post(CUSTOMER, json=customer)).json()
    for other, draft, body in (
        (CUSTOMER, to_supplier, customer),  # its stored request would not parse there
        (SCRAPS, to_supplier, customer),
        (SUPPLIER, from_customer, supplier),  # its stored request would parse there
    ):
        for verb, path in (("post", "/post"), ("post", "/cancel"), ("put", "")):
            kwargs = {"json": body} if verb == "put" else {}
            response = await getattr(wired.stock, verb)(f"{other}/{draft['id']}{path}", **kwargs)
            assert response.status_code == 404, (other, path, response.text)
    for path, draft in ((SUPPLIER, to_supplier), (CUSTOMER, from_customer)):
        assert (await wired.stock.get(f"{path}/{draft['id']}")).json() == draft
    assert await events_of(wired, "SupplierReturnPosted", "CustomerReturnPosted") == []
