"""The multi-stage view: stage x quality state now and at a past moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import auth
from tests.service.test_thin_slice_inprocess import Slice, code, make_item


def cells(body: dict) -> dict[tuple[str, str], str]:
    return {(c["stage"], c["quality_state"]): c["quantity"] for c in body["totals"]}


async def test_stage_by_quality_state_now_and_back_then(wired: Slice) -> None:
    item = await make_item(wired, tracking="lot")
    wh, lot = code("WH"), code("L")
    for body in (
        {"code": wh, "name": "WH", "location_type": "warehouse"},
        {"code": f"{wh}/RAW", "name": "raw", "location_type": "storage", "parent_code": wh},
        {
            "code": f"{wh}/LINE",
            "name": "line",
            "location_type": "production_line",
            "parent_code": wh,
        },
    ):
        assert (await wired.stock.post("/v1/locations", json=body)).status_code == 201
    store, line = f"{wh}/RAW", f"{wh}/LINE"
    received = await wired.stock.post(
        "/v1/receipts",
        json={"item_code": item, "location_code": store, "quantity": "100", "lot_number": lot},
    )
    assert received.status_code == 201, received.text
    received_at = received.json()["posted_at"]
    qc = await wired.stock.post(
        "/v1/inspections",
        json={
            "item_code": item,
            "lot_number": lot,
            "location_code": store,
            "accepted_quantity": "90",
            "rejected_quantity": "10",
            "sample_size": 5,
            "inspector": "QC",
        },
        headers=auth("qc"),
    )
    assert qc.status_code == 201, qc.text
    mr = (
        await wired.stock.post(
            "/v1/requisitions",
            json={
                "work_order": "WO-9",
                "to_location_code": line,
                "lines": [{"item_code": item, "quantity": "30"}],
            },
        )
    ).json()
    await wired.stock.post(f"/v1/requisitions/{mr['id']}/submit")
    assert (await wired.stock.post(f"/v1/requisitions/{mr['id']}/post")).status_code == 200

    async def view(**params) -> dict:
        response = await wired.stock.get("/v1/stock-overview", params={"item_code": item, **params})
        assert response.status_code == 200, response.text
        return response.json()

    now = await view()
    assert cells(now) == {
        ("raw", "qualified"): "60",
        ("raw", "defective"): "10",
        ("wip", "qualified"): "30",
    }
    assert now["total"] == "100"
    back_then = await view(as_of=received_at)
    assert cells(back_then) == {("raw", "pending_inspection"): "100"}
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert cells(await view(as_of=later)) == cells(now), "replaying the ledger agrees"
    by_warehouse = await view(group_by="warehouse")
    assert [r["group"] for r in by_warehouse["rows"]] == [{"warehouse_code": wh}]
    by_lot = await view(group_by="lot", location_code=line)
    assert [(r["group"]["lot_number"], r["total"]) for r in by_lot["rows"]] == [(lot, "30")]
    naive = await wired.stock.get("/v1/stock-overview", params={"as_of": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
