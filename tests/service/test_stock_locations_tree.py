"""The location tree: warehouse nodes, balances by subtree, children, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from services.stock.domain.model import LocationType, NoStockAtLocation, Stage, stage_for
from tests.service.test_stock_transfers import (
    Wired,
    balances,
    code,
    line,
    make_item,
    make_location,
    receive,
    transfer,
    wired_apps,
)


@pytest.fixture
async def wired(database_factory) -> AsyncIterator[Wired]:
    async with wired_apps(database_factory) as w:
        yield w


def test_a_warehouse_has_no_stage() -> None:
    with pytest.raises(NoStockAtLocation):
        stage_for("raw_material", LocationType.WAREHOUSE)
    assert stage_for("raw_material", LocationType.STORAGE) is Stage.RAW


async def location_id(w: Wired, location: str) -> int:
    response = await w.stock.get(f"/v1/locations/by-code/{location}")
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


async def test_balances_by_subtree_take_in_grandchildren_not_siblings(wired: Wired) -> None:
    item = await make_item(wired, tracking="none")
    wh1 = await make_location(wired, "WH1", location_type="warehouse")
    area = await make_location(wired, f"{wh1}/RAW", parent=wh1)
    bin_ = await make_location(wired, f"{area}/A", parent=area)
    deep = await make_location(wired, f"{bin_}/SHELF", parent=bin_)
    wh2 = await make_location(wired, "WH2", location_type="warehouse")
    sibling = await make_location(wired, f"{wh2}/RAW", parent=wh2)
    # looks like it is under WH1 by its code, but has no parent: the tree is parent_id, not code
    lookalike = await make_location(wired, f"{wh1}/LOOKALIKE")
    for place, qty in ((area, "1"), (bin_, "2"), (deep, "4"), (sibling, "8"), (lookalike, "16")):
        await receive(wired, item, place, None, qty)

    async def places(location: str, subtree: bool | None = None) -> dict[str, Decimal]:
        params: dict[str, str] = {"item_code": item, "location_code": location}
        if subtree is not None:
            params["subtree"] = str(subtree).lower()
        return {b[1]: b[4] for b in await balances(wired, **params)}

    assert await places(wh1, subtree=True) == {
        area: Decimal(1),
        bin_: Decimal(2),
        deep: Decimal(4),
    }
    assert await places(area, subtree=True) == {area: 1, bin_: 2, deep: 4}
    assert await places(bin_, subtree=True) == {bin_: 2, deep: 4}
    assert await places(deep, subtree=True) == {deep: 4}
    assert await places(wh2, subtree=True) == {sibling: 8}
    # without subtree the filter stays an exact match
    assert await places(wh1) == {}
    assert await places(area) == {area: 1}
    assert await places(area, subtree=False) == {area: 1}
    assert await places("NO/SUCH", subtree=True) == {}
    everything = {b[1] for b in await balances(wired, item_code=item, subtree="true")}
    assert everything == {area, bin_, deep, sibling, lookalike}


async def test_subtree_pages_through_the_filtered_rows(wired: Wired) -> None:
    wh = await make_location(wired, "WH", location_type="warehouse")
    bins = [await make_location(wired, f"{wh}/B", parent=wh) for _ in range(3)]
    outside = await make_location(wired, "ELSEWHERE")
    items = [await make_item(wired, tracking="none") for _ in range(2)]
    for item in items:
        await receive(wired, item, outside, None, "1")
        for place in bins:
            await receive(wired, item, place, None, "1")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"location_code": wh, "subtree": "true", "limit": 2}
        page = (
            await wired.stock.get(
                "/v1/balances", params={**params, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        assert len(page["items"]) <= 2
        seen += [b["location_code"] for b in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(bins * 2)


async def test_nothing_is_posted_into_a_warehouse_node(wired: Wired) -> None:
    item = await make_item(wired, tracking="none")
    wh = await make_location(wired, "WH", location_type="warehouse")
    area = await make_location(wired, f"{wh}/RAW", parent=wh)
    await receive(wired, item, area, None, "10")
    before = await balances(wired)
    into = await wired.stock.post(
        "/v1/receipts", json={"item_code": item, "location_code": wh, "quantity": "1"}
    )
    assert into.status_code == 422
    assert [e["field"] for e in into.json()["errors"]] == ["body.location_code"]
    assert "holds no stock" in into.json()["errors"][0]["message"]
    out_of = await wired.stock.post(
        "/v1/transfers", json=transfer(wh, area, line(item, "1", state="pending_inspection"))
    )
    assert out_of.status_code == 422
    assert [e["field"] for e in out_of.json()["errors"]] == ["body.from_location_code"]
    assert await balances(wired) == before
    movements = (await wired.stock.get("/v1/movements", params={"item_code": item})).json()
    assert len(movements["items"]) == 1


async def test_a_warehouse_is_top_level(wired: Wired) -> None:
    wh = await make_location(wired, "WH", location_type="warehouse")
    nested = await wired.stock.post(
        "/v1/locations",
        json={
            "code": code("WH-IN-WH"),
            "name": "nested",
            "location_type": "warehouse",
            "parent_code": wh,
        },
    )
    assert nested.status_code == 422
    assert [e["field"] for e in nested.json()["errors"]] == ["body.parent_code"]
    got = (await wired.stock.get(f"/v1/locations/by-code/{wh}")).json()
    assert got["location_type"] == "warehouse" and got["parent_code"] is None
    listed = (await wired.stock.get("/v1/locations", params={"location_type": "warehouse"})).json()
    assert [loc["code"] for loc in listed["items"]] == [wh]


async def test_children_lists_direct_children_only(wired: Wired) -> None:
    wh = await make_location(wired, "WH", location_type="warehouse")
    areas = [await make_location(wired, f"{wh}/AREA", parent=wh) for _ in range(3)]
    await make_location(wired, f"{areas[0]}/BIN", parent=areas[0])  # a grandchild
    await make_location(wired, "OTHER")
    wh_id = await location_id(wired, wh)
    first = (await wired.stock.get(f"/v1/locations/{wh_id}/children", params={"limit": 2})).json()
    assert [loc["code"] for loc in first["items"]] == areas[:2]
    assert {loc["parent_code"] for loc in first["items"]} == {wh}
    rest = (
        await wired.stock.get(
            f"/v1/locations/{wh_id}/children", params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [loc["code"] for loc in rest["items"]] == areas[2:] and rest["next_cursor"] is None
    leaf_id = await location_id(wired, areas[1])
    leaf = (await wired.stock.get(f"/v1/locations/{leaf_id}/children")).json()
    assert leaf["items"] == []
    missing = await wired.stock.get("/v1/locations/999999/children")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
