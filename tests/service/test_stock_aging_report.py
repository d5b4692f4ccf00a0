"""The aging report (库龄): on-hand stock by age since receipt, its bands, groupings,
expired lots, as_of, the tie-out with the stock overview and who sees values; SQLite and
PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import auth
from tests.service.test_stock_dead_stock_and_since import (
    accept,
    ago,
    locations,
    receive,
    scrap,
)
from tests.service.test_thin_slice_inprocess import Slice, code, make_item

D = Decimal


async def report(s: Slice, headers: dict[str, str] | None = None, **params: Any) -> dict:
    response = await s.stock.get("/v1/reports/aging", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def quantities(cells: list[dict]) -> list[Decimal | None]:
    return [None if c["quantity"] is None else D(c["quantity"]) for c in cells]


def values(cells: list[dict]) -> list[Decimal]:
    return [D(c["value"]) for c in cells]


def by_key(answer: dict) -> dict[str | None, dict]:
    return {row["key"]: row for row in answer["rows"]}


async def overview_value(s: Slice, **params: Any) -> Decimal:
    response = await s.stock.get("/v1/stock-overview", params=params)
    assert response.status_code == 200, response.text
    return D(response.json()["total_value"])


async def world(s: Slice) -> dict[str, str]:
    """Three items over two warehouses and a loose root location, received at different ages:

    lotted (pcs, category C, 365 days' shelf life, all at 3): lot L1 10 in WH/A 200 days ago,
    L2 5 in WH/A 40 days ago, L3 4 in WH2/X 400 days ago (expired 35 days ago);
    loose (pcs, category C, no lot): 6 at 5 in WH/B 10 days ago;
    bulk (kg, no category, no lot): 2 at 10 in LOOSE 100 days ago.
    """
    category = code("CAT")
    made = await s.catalog.post("/v1/categories", json={"code": category, "name": "Parts"})
    assert made.status_code == 201, made.text
    lotted = await make_item(s, tracking="lot", shelf_life_days=365, category=category)
    loose = await make_item(s, tracking="none", category=category)
    bulk = await make_item(s, tracking="none", uom="kg")
    wh, a, b = await locations(s, "A", "B")
    wh2, x = await locations(s, "X")
    root = code("LOOSE")
    body = {"code": root, "name": "Loose", "location_type": "storage"}
    assert (await s.stock.post("/v1/locations", json=body)).status_code == 201
    await receive(s, lotted, a, "10", lot=code("L1"), price="3", posted_at=ago(days=200))
    await receive(s, lotted, a, "5", lot=code("L2"), price="3", posted_at=ago(days=40))
    old = await receive(s, lotted, x, "4", lot=code("L3"), price="3", posted_at=ago(days=400))
    assert old["lot"]["expiry_date"] < ago(days=30)[:10]
    await receive(s, loose, b, "6", price="5", posted_at=ago(days=10))
    await receive(s, bulk, root, "2", price="10", posted_at=ago(days=100))
    return {
        "lotted": lotted,
        "loose": loose,
        "bulk": bulk,
        "category": category,
        "wh": wh,
        "wh2": wh2,
        "root": root,
        "a": a,
    }


async def test_aging_by_item_with_bands_expiry_and_tie_out(wired: Slice) -> None:
    w = await world(wired)
    answer = await report(wired)
    assert answer["group_by"] == "item"
    assert [(b["label"], b["min_days"], b["max_days"]) for b in answer["buckets"]] == [
        ("0-30", 0, 30),
        ("31-90", 31, 90),
        ("91-180", 91, 180),
        ("181-365", 181, 365),
        ("over 365", 366, None),
    ]
    rows = by_key(answer)
    assert [r["key"] for r in answer["rows"]] == sorted([w["lotted"], w["loose"], w["bulk"]])
    lotted = rows[w["lotted"]]
    assert lotted["item_name"] == "Resistor" and lotted["uom"] == "pcs"
    assert quantities(lotted["buckets"]) == [D(0), D(5), D(0), D(10), D(4)]
    assert values(lotted["buckets"]) == [D(0), D(15), D(0), D(30), D(12)]
    assert (D(lotted["quantity"]), D(lotted["value"])) == (D(19), D(57))
    assert (D(lotted["expired_quantity"]), D(lotted["expired_value"])) == (D(4), D(12))
    loose = rows[w["loose"]]  # no lot: aged from its balance's since
    assert quantities(loose["buckets"]) == [D(6), D(0), D(0), D(0), D(0)]
    assert (D(loose["value"]), D(loose["expired_quantity"])) == (D(30), D(0))
    bulk = rows[w["bulk"]]
    assert bulk["uom"] == "kg" and quantities(bulk["buckets"]) == [D(0), D(0), D(2), D(0), D(0)]
    assert values(bulk["buckets"]) == [D(0), D(0), D(20), D(0), D(0)]

    assert values(answer["totals"]) == [D(30), D(15), D(20), D(30), D(12)]
    assert quantities(answer["totals"]) == [None] * 5  # pcs and kg
    assert answer["total_quantity"] is None and answer["expired_quantity"] is None
    assert D(answer["total_value"]) == D(107) and D(answer["expired_value"]) == D(12)
    assert D(answer["total_value"]) == await overview_value(wired)

    # one unit: quantities add up; the tie-out holds for a location's subtree and an item
    in_wh = await report(wired, location_code=w["wh"], subtree="true")
    assert quantities(in_wh["totals"]) == [D(6), D(5), D(0), D(10), D(0)]
    assert D(in_wh["total_quantity"]) == D(21) and D(in_wh["total_value"]) == D(75)
    assert in_wh["expired_quantity"] == "0" and D(in_wh["expired_value"]) == D(0)
    assert D(in_wh["total_value"]) == await overview_value(wired, location_code=w["wh"])
    one = await report(wired, item_code=w["lotted"])
    assert D(one["total_value"]) == await overview_value(wired, item_code=w["lotted"]) == D(57)
    assert (await report(wired, location_code=w["wh"]))["rows"] == []  # holds nothing itself
    assert (await report(wired, location_code="NO/SUCH"))["rows"] == []
    assert [r["key"] for r in (await report(wired, location_code=w["a"]))["rows"]] == [w["lotted"]]
    assert (await report(wired, stage="finished"))["rows"] == []
    pending = await report(wired, quality_state="pending_inspection")
    assert D(pending["total_value"]) == D(107)
    assert (await report(wired, quality_state="qualified"))["rows"] == []


async def test_aging_grouped_by_category_warehouse_and_stage(wired: Slice) -> None:
    w = await world(wired)
    by_category = await report(wired, group_by="category")
    assert [r["key"] for r in by_category["rows"]] == [w["category"], None]
    parts, none = by_category["rows"]
    assert parts["item_name"] is None and parts["uom"] == "pcs"
    assert quantities(parts["buckets"]) == [D(6), D(5), D(0), D(10), D(4)]
    assert values(parts["buckets"]) == [D(30), D(15), D(0), D(30), D(12)]
    assert (D(parts["quantity"]), D(parts["value"])) == (D(25), D(87))
    assert (D(parts["expired_quantity"]), D(parts["expired_value"])) == (D(4), D(12))
    assert none["uom"] == "kg" and D(none["value"]) == D(20)

    by_warehouse = by_key(await report(wired, group_by="warehouse"))
    assert set(by_warehouse) == {w["wh"], w["wh2"], w["root"]}
    wh = by_warehouse[w["wh"]]
    assert quantities(wh["buckets"]) == [D(6), D(5), D(0), D(10), D(0)]
    assert values(wh["buckets"]) == [D(30), D(15), D(0), D(30), D(0)]
    assert D(wh["expired_quantity"]) == D(0)
    wh2 = by_warehouse[w["wh2"]]
    assert values(wh2["buckets"]) == [D(0), D(0), D(0), D(0), D(12)]
    assert (D(wh2["expired_quantity"]), D(wh2["expired_value"])) == (D(4), D(12))
    loose = by_warehouse[w["root"]]  # outside any warehouse: its own root
    assert quantities(loose["buckets"]) == [D(0), D(0), D(2), D(0), D(0)]

    (raw,) = (await report(wired, group_by="stage"))["rows"]
    assert raw["key"] == "raw" and raw["uom"] is None and raw["quantity"] is None
    assert quantities(raw["buckets"]) == [None] * 5 and D(raw["value"]) == D(107)
    assert raw["expired_quantity"] is None and D(raw["expired_value"]) == D(12)


async def test_aging_custom_bands_and_as_of(wired: Slice) -> None:
    w = await world(wired)
    custom = await report(wired, buckets="60,365")
    assert [b["label"] for b in custom["buckets"]] == ["0-60", "61-365", "over 365"]
    rows = by_key(custom)
    assert quantities(rows[w["lotted"]]["buckets"]) == [D(5), D(10), D(4)]
    assert quantities(rows[w["loose"]]["buckets"]) == [D(6), D(0), D(0)]
    assert quantities(rows[w["bulk"]]["buckets"]) == [D(0), D(2), D(0)]
    assert values(custom["totals"]) == [D(45), D(50), D(12)]

    # 150 days ago: only L1 (50 days old then) and L3 (250, not yet expired)
    then = ago(days=150)
    earlier = await report(wired, as_of=then)
    assert earlier["report_date"] == then[:10]
    assert [r["key"] for r in earlier["rows"]] == [w["lotted"]]
    (lotted,) = earlier["rows"]
    assert quantities(lotted["buckets"]) == [D(0), D(10), D(0), D(4), D(0)]
    assert values(lotted["buckets"]) == [D(0), D(30), D(0), D(12), D(0)]
    assert (D(lotted["expired_quantity"]), D(lotted["expired_value"])) == (D(0), D(0))
    assert D(earlier["total_value"]) == await overview_value(wired, as_of=then) == D(42)
    # 50 days ago: bulk (no lot) was 50 days old, lotted's L2 not yet there
    mid = ago(days=50)
    middle = by_key(await report(wired, as_of=mid))
    assert quantities(middle[w["bulk"]]["buckets"]) == [D(0), D(2), D(0), D(0), D(0)]
    assert quantities(middle[w["lotted"]]["buckets"]) == [D(0), D(0), D(10), D(4), D(0)]
    assert w["loose"] not in middle
    whole = await report(wired, as_of=mid)
    assert D(whole["total_value"]) == await overview_value(wired, as_of=mid) == D(62)
    in_wh = await report(wired, as_of=mid, location_code=w["wh"], subtree="true")
    assert D(in_wh["total_value"]) == await overview_value(wired, as_of=mid, location_code=w["wh"])


async def test_aging_hides_values_from_roles_without_cost(wired: Slice) -> None:
    w = await world(wired)
    finance = await report(wired, headers=auth("finance"))
    assert D(finance["total_value"]) == D(107)
    for role in ("warehouse", "planner"):
        blind = await report(wired, headers=auth(role))
        for name in ("total_value", "expired_value"):
            assert name not in blind
        assert all("value" not in cell for cell in blind["totals"])
        for row in blind["rows"]:
            assert "value" not in row and "expired_value" not in row
            assert all("value" not in cell for cell in row["buckets"])
        lotted = by_key(blind)[w["lotted"]]
        assert quantities(lotted["buckets"]) == [D(0), D(5), D(0), D(10), D(4)]
        assert lotted["expired_quantity"] == "4"
    anonymous = await wired.stock.get("/v1/reports/aging", headers={"Authorization": ""})
    assert anonymous.status_code == 401


async def test_aging_refuses_bad_parameters(wired: Slice) -> None:
    for bad in ("90,30", "0,30", "30,30", "30,x", "", "-5", "1.5"):
        response = await wired.stock.get("/v1/reports/aging", params={"buckets": bad})
        assert response.status_code == 422, bad
        assert [e["field"] for e in response.json()["errors"]] == ["query.buckets"], bad
    wrong = await wired.stock.get("/v1/reports/aging", params={"group_by": "lot", "stage": "bogus"})
    assert wrong.status_code == 422
    assert sorted(e["field"] for e in wrong.json()["errors"]) == ["query.group_by", "query.stage"]
    future = await wired.stock.get("/v1/reports/aging", params={"as_of": ago(days=-1)})
    assert future.status_code == 422
    assert [e["field"] for e in future.json()["errors"]] == ["query.as_of"]
    both = await wired.stock.get(
        "/v1/reports/aging", params={"as_of": ago(days=-1), "buckets": "90,30"}
    )
    assert both.status_code == 422
    assert [e["field"] for e in both.json()["errors"]] == ["query.buckets", "query.as_of"]
    empty = await report(wired, buckets=" 7, 14 ")
    assert [b["label"] for b in empty["buckets"]] == ["0-7", "8-14", "over 14"]
    assert empty["rows"] == [] and empty["total_value"] == "0"
    assert empty["total_quantity"] == "0"


async def test_aging_values_tie_out_when_the_average_does_not_divide(wired: Slice) -> None:
    _, a, b = await locations(wired, "A", "B")
    item = await make_item(wired, tracking="lot")
    for days, price, where in ((400, "1", a), (100, "1", b), (10, "2", a)):
        await receive(wired, item, where, "1", lot=code("L"), price=price, posted_at=ago(days=days))
    answer = await report(wired)
    (row,) = answer["rows"]
    assert quantities(row["buckets"]) == [D(1), D(0), D(1), D(0), D(1)]
    shares = values(row["buckets"])
    assert sum(shares) == D(row["value"]) == D(answer["total_value"]) == D(4)
    assert all(D("1.33") <= share <= D("1.34") for share in shares if share)
    assert D(answer["total_value"]) == await overview_value(wired)
    in_a = await report(wired, location_code=a)
    assert quantities(in_a["totals"]) == [D(1), D(0), D(0), D(0), D(1)]


async def test_aging_without_a_lot_at_a_past_moment(wired: Slice) -> None:
    _, a = await locations(wired, "A")
    item = await make_item(wired, tracking="none")
    await receive(wired, item, a, "3", price="1", posted_at=ago(days=300))
    await accept(wired, item, a, "3", posted_at=ago(days=299))
    await scrap(wired, item, a, "3", posted_at=ago(days=200))  # emptied
    await receive(wired, item, a, "2", price="1", posted_at=ago(days=20))
    await accept(wired, item, a, "2", posted_at=ago(days=19))  # since: 19 days ago

    (now,) = (await report(wired))["rows"]
    assert quantities(now["buckets"]) == [D(2), D(0), D(0), D(0), D(0)]
    # 250 days ago its balance's since was not yet: the accept 299 days ago, 49 days before
    then = ago(days=250)
    (earlier,) = (await report(wired, as_of=then))["rows"]
    assert quantities(earlier["buckets"]) == [D(0), D(3), D(0), D(0), D(0)]
    assert D(earlier["value"]) == await overview_value(wired, as_of=then) == D(3)
