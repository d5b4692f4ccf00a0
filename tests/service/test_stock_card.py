"""The stock card: movements of an item in a scope, with the running balance."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location


async def test_running_balance_per_scope_and_state_across_pages(wired: Slice) -> None:
    item = await make_item(wired, tracking="none")
    wh = code("WH")
    made = await wired.stock.post(
        "/v1/locations", json={"code": wh, "name": "WH", "location_type": "warehouse"}
    )
    assert made.status_code == 201, made.text
    a, b = f"{wh}/A", f"{wh}/B"
    for location in (a, b):
        created = await wired.stock.post(
            "/v1/locations",
            json={
                "code": location,
                "name": location,
                "location_type": "storage",
                "parent_code": wh,
            },
        )
        assert created.status_code == 201, created.text
    outside = await make_location(wired)
    for quantity in ("10", "5"):
        posted = await wired.stock.post(
            "/v1/receipts", json={"item_code": item, "location_code": a, "quantity": quantity}
        )
        assert posted.status_code == 201, posted.text
    qc = await wired.stock.post(
        "/v1/inspections",
        json={
            "item_code": item,
            "location_code": a,
            "accepted_quantity": "15",
            "rejected_quantity": "0",
            "sample_size": 1,
            "inspector": "QC",
        },
        headers=auth("qc"),
    )
    assert qc.status_code == 201, qc.text
    for target, quantity in ((b, "6"), (outside, "4")):
        moved = await wired.stock.post(
            "/v1/transfers",
            json={
                "from_location_code": a,
                "to_location_code": target,
                "lines": [{"item_code": item, "quantity": quantity}],
            },
        )
        assert moved.status_code == 201, moved.text

    async def card(**params) -> dict:
        response = await wired.stock.get("/v1/stock-card", params={"item_code": item, **params})
        assert response.status_code == 200, response.text
        return response.json()

    whole = await card(location_code=wh)
    assert [(r["change"], r["balance"]) for r in whole["rows"]] == [
        ("10", "10"),
        ("5", "15"),
        ("0", "15"),
        ("0", "15"),
        ("-4", "11"),
    ]
    only_a = await card(location_code=a, subtree="false")
    assert [r["balance"] for r in only_a["rows"]][-1] == "5"
    qualified = await card(quality_state="qualified")  # every physical location
    assert [r["change"] for r in qualified["rows"]] == ["15", "0", "0"]
    first = await card(location_code=wh, limit=2)
    assert first["closing_balance"] == "15" and first["next_cursor"]
    rest = await card(location_code=wh, limit=2, cursor=first["next_cursor"])
    assert rest["opening_balance"] == "15"
    assert [r["balance"] for r in rest["rows"]] == ["15", "15"]
    balances = (
        await wired.stock.get(
            "/v1/balances", params={"item_code": item, "location_code": wh, "subtree": "true"}
        )
    ).json()
    assert sum(Decimal(b["quantity"]) for b in balances["items"]) == Decimal(11)
    unknown = await wired.stock.get(
        "/v1/stock-card", params={"item_code": item, "location_code": "NOPE"}
    )
    assert unknown.status_code == 422
