"""Back-dated postings: later balances never negative, later values recomputed, closed
periods refused; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.conftest import auth
from tests.service.test_stock_requisitions import _line, _qualified
from tests.service.test_thin_slice_inprocess import Slice, make_item, make_location

D = Decimal
NOW = datetime.now(UTC)


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


async def receive(s: Slice, item: str, location: str, qty: str, price: str, at: str | None):
    body = {"item_code": item, "location_code": location, "quantity": qty, "unit_price": price}
    if at is not None:
        body["posted_at"] = at
    return await s.stock.post("/v1/receipts", json=body)


async def accept(s: Slice, item: str, location: str, qty: str, at: str | None) -> None:
    body = {
        "item_code": item,
        "location_code": location,
        "accepted_quantity": qty,
        "rejected_quantity": "0",
        "sample_size": 1,
        "inspector": "Li",
    }
    if at is not None:
        body["posted_at"] = at
    response = await s.stock.post("/v1/inspections", json=body, headers=auth("qc"))
    assert response.status_code == 201, response.text


async def scrap(s: Slice, item: str, location: str, qty: str, at: str | None):
    body = {
        "location_code": location,
        "reason": "damaged",
        "lines": [{"item_code": item, "quantity": qty, "quality_state": "qualified"}],
    }
    if at is not None:
        body["posted_at"] = at
    return await s.stock.post("/v1/scraps", json=body)


async def worth(s: Slice, item: str) -> tuple[D, D]:
    body = (await s.stock.get("/v1/valuation", params={"item_code": item})).json()
    (row,) = body["items"]
    return D(row["quantity"]), D(row["value"])


async def test_a_back_dated_receipt_revalues_what_came_after(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    assert (await receive(wired, item, location, "10", "2", ago(days=2))).status_code == 201
    await accept(wired, item, location, "10", ago(days=2, hours=-1))
    scrapped = await scrap(wired, item, location, "5", ago(days=1))
    assert scrapped.status_code == 201, scrapped.text
    assert D(scrapped.json()["movements"][0]["value"]) == D(10)
    assert await worth(wired, item) == (D(5), D(10))

    early = await receive(wired, item, location, "10", "5", ago(days=3))
    assert early.status_code == 201, early.text
    assert early.json()["movements"][0]["posted_at"].startswith(ago(days=3)[:16])
    # at the scrap, 20 were worth 70: it now took 5 x 3.5
    again = (await wired.stock.get(f"/v1/scraps/{scrapped.json()['id']}")).json()
    assert D(again["movements"][0]["value"]) == D("17.5")
    assert await worth(wired, item) == (D(15), D("52.5"))
    feed = (await wired.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    (event,) = [e for e in feed if e["type"] == "ItemRevalued" and e["aggregate_id"] == item]
    assert event["payload"]["value_after"] == "52.5"
    # the stock card runs in time order: the back-dated receipt comes first
    card = (await wired.stock.get("/v1/stock-card", params={"item_code": item})).json()
    assert [D(r["balance"]) for r in card["rows"]] == [D(10), D(20), D(20), D(15)]
    # and the past agrees
    then = await wired.stock.get(
        "/v1/valuation", params={"item_code": item, "as_of": ago(days=2, hours=12)}
    )
    assert D(then.json()["items"][0]["value"]) == D(50)
    balances = await wired.stock.get(
        "/v1/balances",
        params={"item_code": item, "as_of": ago(days=2, hours=12), "location_code": location},
    )
    assert [(b["quality_state"], b["quantity"]) for b in balances.json()["items"]] == [
        ("pending_inspection", "10")
    ]
    now_rows = (await wired.stock.get("/v1/balances", params={"item_code": item})).json()
    assert [(b["quality_state"], b["quantity"]) for b in now_rows["items"]] == [
        ("pending_inspection", "10"),
        ("qualified", "5"),
    ]


async def test_a_back_dated_issue_may_not_make_a_later_balance_negative(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    await receive(wired, item, location, "10", "1", ago(days=2))
    await accept(wired, item, location, "10", ago(days=2, hours=-1))
    assert (await scrap(wired, item, location, "10", ago(days=1))).status_code == 201
    await receive(wired, item, location, "10", "1", None)
    await accept(wired, item, location, "10", None)
    # 10 on hand now, but between the scrap a day ago and now there were none
    refused = await scrap(wired, item, location, "5", ago(hours=36))
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "insufficient_stock"
    assert "later balance" in problem["detail"]
    assert (problem["available"], problem["needed"]) == ("0", "5")
    before_any = await scrap(wired, item, location, "1", ago(days=5))
    assert before_any.status_code == 409
    assert await worth(wired, item) == (D(10), D(10))
    # a minute before NOW precedes the receipt just posted: nothing was there yet
    assert (await scrap(wired, item, location, "5", ago(minutes=1))).status_code == 409
    assert (await scrap(wired, item, location, "5", None)).status_code == 201


async def test_closed_periods_and_future_times_are_refused(wired: Slice) -> None:
    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    finance = auth("finance")
    closed = (NOW - timedelta(days=2)).date().isoformat()
    assert (
        await wired.stock.put(
            "/v1/posting-period", json={"closed_through": closed}, headers=auth("warehouse")
        )
    ).status_code == 403
    today = await wired.stock.put(
        "/v1/posting-period", json={"closed_through": NOW.date().isoformat()}, headers=finance
    )
    assert today.status_code == 422
    made = await wired.stock.put(
        "/v1/posting-period", json={"closed_through": closed}, headers=finance
    )
    assert made.status_code == 200, made.text
    assert (await wired.stock.get("/v1/posting-period")).json()["closed_through"] == closed

    refused = await receive(wired, item, location, "1", "1", ago(days=3))
    assert refused.status_code == 422
    assert refused.json()["code"] == "period_closed"
    assert refused.json()["errors"][0]["field"] == "body.posted_at"
    future = await receive(wired, item, location, "1", "1", (NOW + timedelta(hours=1)).isoformat())
    assert future.status_code == 422
    assert (await receive(wired, item, location, "1", "1", ago(days=1))).status_code == 201
    assert (await wired.stock.get("/v1/balances", params={"item_code": item})).json()["items"][0][
        "quantity"
    ] == "1"

    reopened = await wired.stock.put(
        "/v1/posting-period", json={"closed_through": None}, headers=finance
    )
    assert reopened.json()["closed_through"] is None
    assert (await receive(wired, item, location, "1", "1", ago(days=3))).status_code == 201


async def test_a_requisition_can_be_posted_back_dated(wired: Slice) -> None:
    item, store, line = await make_item(wired), await make_location(wired), await _line(wired)
    await _qualified(wired, item, store, "10", "L1")
    created = await wired.stock.post(
        "/v1/requisitions",
        json={
            "work_order": "WO-1",
            "to_location_code": line,
            "lines": [{"item_code": item, "quantity": "4"}],
        },
    )
    doc = created.json()
    assert (await wired.stock.post(f"/v1/requisitions/{doc['id']}/submit")).status_code == 200
    too_early = await wired.stock.post(
        f"/v1/requisitions/{doc['id']}/post", json={"posted_at": ago(days=1)}
    )
    assert too_early.status_code == 409  # the stock arrived after that
    at = datetime.now(UTC).isoformat()
    posted = await wired.stock.post(f"/v1/requisitions/{doc['id']}/post", json={"posted_at": at})
    assert posted.status_code == 200, posted.text
    assert {m["posted_at"][:19] for m in posted.json()["movements"]} == {at[:19]}
    assert posted.json()["posted_at"][:19] == at[:19]


async def test_postings_that_wait_for_each_other_are_never_back_dated(wired: Slice) -> None:
    """Postings sent at once queue for the same balance; each is dated when it holds the
    locks, so none is dated before one it waited for, and nothing is revalued."""
    import asyncio

    item, location = await make_item(wired, tracking="none"), await make_location(wired)
    body = {
        "item_code": item,
        "location_code": location,
        "quantity": "1",
        "unit_price": "2",
        "supplier": "Yageo",
    }
    answers = await asyncio.gather(*(wired.stock.post("/v1/receipts", json=body) for _ in range(8)))
    assert all(answer.status_code == 201 for answer in answers)
    moves = (await wired.stock.get("/v1/movements", params={"item_code": item})).json()["items"]
    moves.sort(key=lambda move: move["sequence"])
    times = [datetime.fromisoformat(move["posted_at"]) for move in moves]
    assert len(times) == 8 and times == sorted(times)
    feed = (await wired.stock.get("/v1/events", params={"limit": 500})).json()["events"]
    assert not [event for event in feed if event["type"] == "ItemRevalued"]
    for answer in answers:  # each document is dated with its movement
        document = answer.json()
        assert {move["posted_at"] for move in document["movements"]} == {document["posted_at"]}
