"""Since when a balance holds stock, its lot's expiry, the balance filters on both, and the
dead-stock report; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

D = Decimal
NOW = datetime.now(UTC)


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


async def locations(s: Slice, *names: str) -> list[str]:
    """A warehouse with a storage location per name under it: [warehouse, *locations]."""
    wh = code("WH")
    made = [wh]
    bodies: list[dict[str, Any]] = [{"code": wh, "name": "WH", "location_type": "warehouse"}]
    for name in names:
        made.append(f"{wh}/{name}")
        bodies.append(
            {"code": made[-1], "name": name, "location_type": "storage", "parent_code": wh}
        )
    for body in bodies:
        response = await s.stock.post("/v1/locations", json=body)
        assert response.status_code == 201, response.text
    return made


async def receive(
    s: Slice,
    item: str,
    location: str,
    qty: str,
    *,
    lot: str | None = None,
    price: str | None = None,
    posted_at: str | None = None,
    receipt_date: str | None = None,
) -> dict:
    body: dict[str, Any] = {"item_code": item, "location_code": location, "quantity": qty}
    for name, value in (
        ("lot_number", lot),
        ("unit_price", price),
        ("posted_at", posted_at),
        ("receipt_date", receipt_date),
    ):
        if value is not None:
            body[name] = value
    response = await s.stock.post("/v1/receipts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def accept(
    s: Slice, item: str, location: str, qty: str, *, lot: str | None = None, posted_at=None
) -> dict:
    body: dict[str, Any] = {
        "item_code": item,
        "location_code": location,
        "accepted_quantity": qty,
        "rejected_quantity": "0",
        "sample_size": 1,
        "inspector": "Li",
    }
    if lot is not None:
        body["lot_number"] = lot
    if posted_at is not None:
        body["posted_at"] = posted_at
    response = await s.stock.post("/v1/inspections", json=body, headers=auth("qc"))
    assert response.status_code == 201, response.text
    return response.json()


async def scrap(
    s: Slice, item: str, location: str, qty: str, *, lot: str | None = None, posted_at=None
) -> dict:
    line: dict[str, Any] = {"item_code": item, "quantity": qty, "quality_state": "qualified"}
    if lot is not None:
        line["lot_number"] = lot
    body: dict[str, Any] = {"location_code": location, "reason": "damaged", "lines": [line]}
    if posted_at is not None:
        body["posted_at"] = posted_at
    response = await s.stock.post("/v1/scraps", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def posted(document: dict) -> datetime:
    """When a document's (first) movement took effect."""
    moment = at(document["movements"][0]["posted_at"])
    assert moment is not None
    return moment


async def balances(s: Slice, **params: Any) -> list[dict]:
    response = await s.stock.get("/v1/balances", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- since and expiry_date ------------------------------------------------------------


async def test_since_follows_the_bucket_from_nothing_to_stock_and_back(wired: Slice) -> None:
    item = await make_item(wired, tracking="lot", shelf_life_days=365)
    _, store = await locations(wired, "RAW")
    lot = code("L")
    received = await receive(wired, item, store, "100", lot=lot)
    expiry = received["lot"]["expiry_date"]
    receipt_date = date.fromisoformat(received["lot"]["receipt_date"])
    assert expiry == (receipt_date + timedelta(365)).isoformat()
    (pending,) = await balances(wired, item_code=item)
    assert (pending["quality_state"], pending["quantity"]) == ("pending_inspection", "100")
    assert at(pending["since"]) == posted(received)
    assert pending["expiry_date"] == expiry

    inspected = await accept(wired, item, store, "100", lot=lot)
    (qualified,) = await balances(wired, item_code=item)
    assert qualified["quality_state"] == "qualified"
    assert at(qualified["since"]) == posted(inspected) and qualified["expiry_date"] == expiry
    emptied = await balances(
        wired, item_code=item, quality_state="pending_inspection", include_zero="true"
    )
    assert [(b["quantity"], b["since"]) for b in emptied] == [("0", None)]

    await scrap(wired, item, store, "30", lot=lot)  # a partial issue keeps it
    (partly,) = await balances(wired, item_code=item)
    assert partly["quantity"] == "70" and at(partly["since"]) == posted(inspected)

    await scrap(wired, item, store, "70", lot=lot)  # to zero clears it
    assert await balances(wired, item_code=item) == []
    (empty,) = await balances(wired, item_code=item, quality_state="qualified", include_zero="true")
    assert (empty["quantity"], empty["since"], empty["expiry_date"]) == ("0", None, expiry)

    await receive(wired, item, store, "5", lot=lot)
    again = await accept(wired, item, store, "5", lot=lot)
    (refilled,) = await balances(wired, item_code=item)
    assert refilled["quantity"] == "5" and at(refilled["since"]) == posted(again)
    assert posted(again) > posted(inspected)


async def test_a_back_dated_receipt_moves_since_back_and_untracked_stock_has_no_expiry(
    wired: Slice,
) -> None:
    item = await make_item(wired, tracking="none")
    _, store = await locations(wired, "RAW")
    first = await receive(wired, item, store, "10")
    (row,) = await balances(wired, item_code=item)
    assert at(row["since"]) == posted(first) and row["expiry_date"] is None
    earlier = await receive(wired, item, store, "5", posted_at=ago(days=2))
    (row,) = await balances(wired, item_code=item)
    assert row["quantity"] == "15"
    assert at(row["since"]) == posted(earlier) == at(ago(days=2))
    await receive(wired, item, store, "1", posted_at=ago(days=1))  # later than since: kept
    (row,) = await balances(wired, item_code=item)
    assert row["quantity"] == "16" and at(row["since"]) == at(ago(days=2))


async def test_expiring_before_and_held_since_before_filter_exactly(wired: Slice) -> None:
    item = await make_item(wired, tracking="lot", shelf_life_days=100)
    plain = await make_item(wired, tracking="none")
    _, store = await locations(wired, "RAW")
    today = NOW.date()
    old_lot, new_lot = code("OLD"), code("NEW")
    # received 90 days ago (expires in 10 days) and today (in 100 days)
    old = await receive(
        wired,
        item,
        store,
        "7",
        lot=old_lot,
        receipt_date=(today - timedelta(90)).isoformat(),
        posted_at=ago(hours=30),
    )
    new = await receive(wired, item, store, "3", lot=new_lot)
    loose = await receive(wired, plain, store, "4", posted_at=ago(hours=50))
    old_expiry, new_expiry = (date.fromisoformat(d["lot"]["expiry_date"]) for d in (old, new))
    assert (old_expiry, new_expiry) == (today + timedelta(10), today + timedelta(100))

    async def lots(**params: Any) -> list[str | None]:
        return sorted(b["lot_number"] for b in await balances(wired, location_code=store, **params))

    assert await lots(expiring_before=old_expiry.isoformat()) == [old_lot]
    assert await lots(expiring_before=(old_expiry - timedelta(1)).isoformat()) == []
    assert await lots(expiring_before=new_expiry.isoformat()) == sorted([old_lot, new_lot])

    async def held(before: datetime, **params: Any) -> list[tuple[str, str | None]]:
        rows = await balances(
            wired, location_code=store, held_since_before=before.isoformat(), **params
        )
        return sorted((b["item_code"], b["lot_number"]) for b in rows)

    assert await held(NOW - timedelta(hours=24)) == sorted([(item, old_lot), (plain, None)])
    assert await held(NOW - timedelta(hours=40)) == [(plain, None)]
    since_old = posted(old)
    assert await held(since_old, item_code=item) == []  # since before: strictly earlier
    assert await held(since_old + timedelta(microseconds=1), item_code=item) == [(item, old_lot)]
    assert await held(posted(new) + timedelta(seconds=1), item_code=item) == sorted(
        [(item, old_lot), (item, new_lot)]
    )
    # both at once: the old lot, held for more than a day and expiring within ten
    both = await balances(
        wired,
        expiring_before=old_expiry.isoformat(),
        held_since_before=(NOW - timedelta(hours=24)).isoformat(),
    )
    assert [(b["lot_number"], b["quantity"], b["expiry_date"]) for b in both] == [
        (old_lot, "7", old_expiry.isoformat())
    ]
    assert at(loose["movements"][0]["posted_at"]) == at(ago(hours=50))


async def test_the_current_state_filters_refuse_as_of(wired: Slice) -> None:
    item = await make_item(wired, tracking="lot", shelf_life_days=30)
    _, store = await locations(wired, "RAW")
    received = await receive(wired, item, store, "2", lot=code("L"))
    then = (posted(received) + timedelta(seconds=1)).isoformat()
    past = await balances(wired, item_code=item, as_of=then)
    assert [(b["quantity"], b["since"]) for b in past] == [("2", None)]
    assert past[0]["expiry_date"] == received["lot"]["expiry_date"]

    one = await wired.stock.get(
        "/v1/balances", params={"as_of": then, "expiring_before": "2030-01-01"}
    )
    assert one.status_code == 422, one.text
    assert one.json()["code"] == "validation_error"
    assert [e["field"] for e in one.json()["errors"]] == ["query.expiring_before"]
    two = await wired.stock.get(
        "/v1/balances",
        params={"as_of": then, "expiring_before": "2030-01-01", "held_since_before": then},
    )
    assert two.status_code == 422
    assert [e["field"] for e in two.json()["errors"]] == [
        "query.expiring_before",
        "query.held_since_before",
    ]
    naive = await wired.stock.get("/v1/balances", params={"held_since_before": "2026-01-01T00:00"})
    assert naive.status_code == 422
    assert [e["field"] for e in naive.json()["errors"]] == ["query.held_since_before"]


# --- the dead-stock report --------------------------------------------------------------


async def dead(s: Slice, headers: dict[str, str] | None = None, **params: Any) -> dict:
    response = await s.stock.get("/v1/reports/dead-stock", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def rows(report: dict) -> list[tuple[str, Decimal, Decimal | None, int]]:
    return [
        (i["item_code"], D(i["quantity"]), D(i["value"]) if "value" in i else None, i["idle_days"])
        for i in report["items"]
    ]


async def test_dead_stock_ranks_idle_items_by_value(wired: Slice) -> None:
    _, store, spare = await locations(wired, "A", "B")
    old, busy, issued, undone = [await make_item(wired, tracking="none") for _ in range(4)]
    # never issued, received 200 days ago: 10 x 5 = 50, 4 of them moved to B (no issue)
    first = await receive(wired, old, store, "10", price="5", posted_at=ago(days=200))
    await accept(wired, old, store, "10", posted_at=ago(days=199))
    transfer = await wired.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": store,
            "to_location_code": spare,
            "posted_at": ago(days=150),
            "lines": [{"item_code": old, "quantity": "4", "quality_state": "qualified"}],
        },
    )
    assert transfer.status_code == 201, transfer.text
    # issued 5 days ago: 8 x 2 = 16 left
    await receive(wired, busy, store, "10", price="2", posted_at=ago(days=120))
    await accept(wired, busy, store, "10", posted_at=ago(days=119))
    await scrap(wired, busy, store, "2", posted_at=ago(days=5))
    # last issued 100 days ago: 15 x 10 = 150 left
    await receive(wired, issued, store, "20", price="10", posted_at=ago(days=150))
    await accept(wired, issued, store, "20", posted_at=ago(days=149))
    last_issue = await scrap(wired, issued, store, "5", posted_at=ago(days=100))
    # issued today, but the scrap was taken back: no issue at all, 4 x 1 = 4
    await receive(wired, undone, store, "4", price="1", posted_at=ago(days=150))
    await accept(wired, undone, store, "4", posted_at=ago(days=149))
    taken = await scrap(wired, undone, store, "1")
    back = await wired.stock.post(f"/v1/scraps/{taken['id']}/reverse")
    assert back.status_code == 200, back.text
    reversal_at = max(at(m["posted_at"]) for m in back.json()["movements"])

    report = await dead(wired)
    assert report["idle_days"] == 90 and report["total_items"] == 3
    assert D(report["total_value"]) == D(204)
    assert NOW <= at(report["as_of"]) <= datetime.now(UTC)
    assert rows(report) == [
        (issued, D(15), D(150), 100),
        (old, D(10), D(50), 200),
        (undone, D(4), D(4), 150),
    ]
    by_item = {i["item_code"]: i for i in report["items"]}
    top = by_item[issued]
    assert at(top["last_issue_at"]) == posted(last_issue) == at(top["idle_since"])
    assert at(top["last_movement_at"]) == posted(last_issue)
    assert top["locations"] == [store]
    never = by_item[old]
    assert never["last_issue_at"] is None and at(never["idle_since"]) == posted(first)
    assert at(never["last_movement_at"]) == at(ago(days=150))  # the transfer
    assert never["locations"] == [store, spare]
    assert by_item[undone]["last_issue_at"] is None
    assert at(by_item[undone]["last_movement_at"]) == reversal_at

    shorter = await dead(wired, idle_days=3)
    assert [r[:3] for r in rows(shorter)] == [
        (issued, D(15), D(150)),
        (old, D(10), D(50)),
        (busy, D(8), D(16)),
        (undone, D(4), D(4)),
    ]
    assert shorter["total_items"] == 4 and D(shorter["total_value"]) == D(220)
    assert [r[3] for r in rows(shorter)][2] == 5
    assert (await dead(wired, idle_days=101))["total_items"] == 2  # issued's 100 days: not yet
    assert [r[0] for r in rows(await dead(wired, idle_days=201))] == []

    page = await dead(wired, limit=2)
    assert [r[0] for r in rows(page)] == [issued, old]
    assert page["total_items"] == 3 and D(page["total_value"]) == D(204)


async def test_dead_stock_filters_and_who_sees_values(wired: Slice) -> None:
    wh, store, spare = await locations(wired, "A", "B")
    old, other = await make_item(wired, tracking="none"), await make_item(wired, tracking="none")
    await receive(wired, old, store, "10", price="5", posted_at=ago(days=200))
    await accept(wired, old, store, "10", posted_at=ago(days=199))
    moved = await wired.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": store,
            "to_location_code": spare,
            "posted_at": ago(days=150),
            "lines": [{"item_code": old, "quantity": "3", "quality_state": "qualified"}],
        },
    )
    assert moved.status_code == 201, moved.text
    await receive(wired, other, store, "1", price="7", posted_at=ago(days=120))  # pending

    # in B: 3 of old's 10, worth 3/10 of 50
    in_spare = await dead(wired, location_code=spare)
    assert rows(in_spare) == [(old, D(3), D(15), 200)]
    assert in_spare["items"][0]["locations"] == [spare]
    assert D(in_spare["total_value"]) == D(15)
    assert (await dead(wired, location_code=wh))["items"] == []  # a warehouse holds nothing
    everything = await dead(wired, location_code=wh, subtree="true")
    assert [r[:3] for r in rows(everything)] == [(old, D(10), D(50)), (other, D(1), D(7))]
    assert (await dead(wired, location_code="NO/SUCH"))["total_items"] == 0
    assert (await dead(wired, stage="finished"))["total_items"] == 0
    assert (await dead(wired, stage="raw"))["total_items"] == 2
    assert [r[0] for r in rows(await dead(wired, item_code=[other, "NO-SUCH"]))] == [other]
    assert (await dead(wired, item_code=[other, old]))["total_items"] == 2

    finance = await dead(wired, headers=auth("finance"))
    assert D(finance["total_value"]) == D(57) and "value" in finance["items"][0]
    for role in ("warehouse", "planner"):
        blind = await dead(wired, headers=auth(role))
        assert "total_value" not in blind and blind["total_items"] == 2
        assert all("value" not in i for i in blind["items"])
        assert [i["item_code"] for i in blind["items"]] == [old, other]
    anonymous = await wired.stock.get("/v1/reports/dead-stock", headers={"Authorization": ""})
    assert anonymous.status_code == 401


async def test_dead_stock_refuses_bad_parameters(wired: Slice) -> None:
    bad = await wired.stock.get(
        "/v1/reports/dead-stock",
        params={"idle_days": "0", "limit": "1001", "stage": "bogus", "subtree": "maybe"},
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"
    assert sorted(e["field"] for e in bad.json()["errors"]) == [
        "query.idle_days",
        "query.limit",
        "query.stage",
        "query.subtree",
    ]
    for params in ({"idle_days": "3651"}, {"limit": "0"}, {"idle_days": "x"}):
        response = await wired.stock.get("/v1/reports/dead-stock", params=params)
        assert response.status_code == 422, params
        assert [e["field"] for e in response.json()["errors"]] == [f"query.{next(iter(params))}"]
    empty = await dead(wired)
    assert empty["items"] == [] and empty["total_items"] == 0 and empty["total_value"] == "0"
