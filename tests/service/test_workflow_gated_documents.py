"""Scraps, supplier returns and purchase receipts through approval flows, through the
gateway: a gated post waits (202, nothing moves), the flow's approvers decide, and stock
posts the document exactly once on approval or returns it to draft; a cancelled document
ends its approval."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.service.test_workflow_approvals import _act, _keepers, _org, _stock
from tests.service.workflow_support import Approvals, approvals_fixture, code, ok

__all__ = ["approvals_fixture"]


def _flow(document_type: str, director_over: int) -> dict[str, Any]:
    return {
        "document_type": document_type,
        "name": f"{document_type} approval",
        "activate": True,
        "stages": [
            {"key": "keeper", "name": "Keeper", "steps": [{
                "key": "keeper", "name": "Keeper of the warehouse",
                "approvers": [{"kind": "warehouse_role", "role": "keeper",
                               "field": "document.warehouse_code"}],
            }]},
            {"key": "director", "name": "Director",
             "condition": f"document.amount > {director_over}",
             "steps": [{"key": "director", "name": "Director",
                        "approvers": [{"kind": "role", "role": "director"}]}]},
        ],
    }


async def _approval(a: Approvals, document_type: str, document_id: int) -> dict[str, Any]:
    found = await a.as_admin("GET", "/v1/approvals", params={"document_id": document_id})
    mine = [i for i in found["items"] if i["document_type"] == document_type]
    assert len(mine) == 1, found
    return dict(await a.as_admin("GET", f"/v1/approvals/{mine[0]['id']}"))


async def _on_hand(a: Approvals, item: str) -> Decimal:
    balances = await a.as_admin("GET", "/v1/balances", params={"item_code": item})
    return sum((Decimal(b["quantity"]) for b in balances["items"]), Decimal(0))


async def test_a_scrap_waits_for_keeper_and_director_and_posts_once(approvals: Approvals) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)  # 1,000 at 20.00 in a store of WH
    await _keepers(a, names, s["wh"])
    await a.as_admin("POST", "/v1/flows", 201, json=_flow("scrap", 1000))
    gates = {g["document_type"]: g["required"]
             for g in (await a.as_admin("GET", "/v1/approval-gates"))["items"]}
    assert gates["scrap"] is True and gates["supplier_return"] is False

    worker = a.users[names["worker"]]
    scrap = await ok(await a.client.post("/v1/scraps", headers=worker, json={
        "location_code": s["store"], "reason": "damaged",
        "lines": [{"item_code": s["item"], "lot_number": s["lot"], "quantity": "100",
                   "quality_state": "qualified"}],
    }), 202)
    assert scrap["status"] == "draft" and scrap["approval"] == "pending"
    assert await _on_hand(a, s["item"]) == 1000
    await a.settle()
    instance = await _approval(a, "scrap", scrap["id"])
    assert instance["status"] == "pending" and instance["current_stage"] == "keeper"
    assert Decimal(instance["amount"]) == 2000

    instance = await _act(a, names["keeper"], instance, "approve")
    assert instance["current_stage"] == "director"  # 2,000 is over 1,000
    instance = await _act(a, names["director"], instance, "approve")
    assert instance["status"] == "approved"
    await a.settle()
    await a.settle()  # a second pass posts nothing more
    posted = await a.as_admin("GET", f"/v1/scraps/{scrap['id']}")
    assert posted["status"] == "posted" and posted["approval"] == "approved"
    assert posted["approval_ref"] == f"workflow:{instance['id']}"
    assert await _on_hand(a, s["item"]) == 900
    done = await a.as_admin("GET", f"/v1/approvals/{instance['id']}")
    assert done["sync_state"] == "done"

    # a small one skips the director; the keeper's rejection returns it to draft
    small = await ok(await a.client.post("/v1/scraps", headers=worker, json={
        "location_code": s["store"], "reason": "sample",
        "lines": [{"item_code": s["item"], "lot_number": s["lot"], "quantity": "10",
                   "quality_state": "qualified"}],
    }), 202)
    await a.settle()
    second = await _approval(a, "scrap", small["id"])
    second = await _act(a, names["keeper"], second, "reject", reason="keep it")
    await a.settle()
    back = await a.as_admin("GET", f"/v1/scraps/{small['id']}")
    assert back["status"] == "draft" and back["approval"] == "not_required"
    assert await _on_hand(a, s["item"]) == 900


async def test_a_cancelled_receipt_ends_its_approval_and_ungated_documents_post(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)
    await _keepers(a, names, s["wh"])
    await a.as_admin("POST", "/v1/flows", 201, json=_flow("purchase_receipt", 50_000))
    lot = code("LOT")
    receipt = await ok(await a.client.post("/v1/receipts", headers=a.users[names["worker"]],
                                           json={
        "item_code": s["item"], "location_code": s["store"], "quantity": "500",
        "lot_number": lot, "unit_price": "30", "supplier": "Murata",
    }), 202)
    assert receipt["approval"] == "pending"
    await a.settle()
    instance = await _approval(a, "purchase_receipt", receipt["id"])
    assert Decimal(instance["amount"]) == 15000  # at the receipt's own price
    assert instance["current_stage"] == "keeper"
    await a.as_admin("POST", f"/v1/receipts/{receipt['id']}/cancel")
    await a.settle()
    ended = await a.as_admin("GET", f"/v1/approvals/{instance['id']}")
    assert ended["status"] == "cancelled"
    assert await _on_hand(a, s["item"]) == 1000

    # supplier returns have no flow: they post at once
    returned = await ok(await a.client.post("/v1/supplier-returns", headers=a.admin, json={
        "location_code": s["store"], "counterparty": "Murata", "reason": "wrong part",
        "lines": [{"item_code": s["item"], "lot_number": s["lot"], "quantity": "5",
                   "quality_state": "qualified"}],
    }), 201)
    assert returned["status"] == "posted" and returned["approval"] == "not_required"
    assert await _on_hand(a, s["item"]) == 995


async def test_a_count_variance_waits_for_its_approvers_and_posts_once(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)  # 1,000 at 20.00
    await _keepers(a, names, s["wh"])
    await a.as_admin("POST", "/v1/flows", 201, json=_flow("count_variance", 500))
    count = await a.as_admin("POST", "/v1/stock-counts", 201, json={"location_code": s["store"]})
    await a.as_admin("PUT", f"/v1/stock-counts/{count['id']}/lines", json={"lines": [{
        "item_code": s["item"], "location_code": s["store"], "lot_number": s["lot"],
        "quality_state": "qualified", "counted_quantity": "970",
    }]})
    held = await ok(await a.client.post(f"/v1/stock-counts/{count['id']}/post",
                                        headers=a.admin), 202)
    assert held["approval"] == "pending" and await _on_hand(a, s["item"]) == 1000
    await a.settle()
    instance = await _approval(a, "count_variance", count["id"])
    assert Decimal(instance["amount"]) == 600  # 30 missing at 20.00: the director too
    instance = await _act(a, names["keeper"], instance, "approve")
    instance = await _act(a, names["director"], instance, "approve")
    await a.settle()
    posted = await a.as_admin("GET", f"/v1/stock-counts/{count['id']}")
    assert posted["status"] == "posted" and posted["approval"] == "approved"
    assert await _on_hand(a, s["item"]) == 970


async def test_a_defective_release_waits_for_the_keeper_and_releases_once(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)  # 1,000 qualified at 20.00
    await _keepers(a, names, s["wh"])
    lot = code("LOT")
    await a.as_admin("POST", "/v1/receipts", 201, json={
        "item_code": s["item"], "location_code": s["store"], "quantity": "50",
        "lot_number": lot, "unit_price": "20",
    })
    await a.as_admin("POST", "/v1/inspections", 201, json={
        "item_code": s["item"], "lot_number": lot, "location_code": s["store"],
        "accepted_quantity": "0", "rejected_quantity": "50", "sample_size": 5,
        "inspector": "QC",
    })
    await a.as_admin("POST", "/v1/flows", 201, json=_flow("defective_release", 5000))
    body = {"item_code": s["item"], "lot_number": lot, "location_code": s["store"],
            "quantity": "30", "reason": "concession", "note": "within tolerance"}
    release = await ok(await a.client.post(
        "/v1/defective-releases", headers=a.users[names["worker"]], json=body
    ), 202)
    assert release["status"] == "draft" and release["approval"] == "pending"
    await a.settle()
    instance = await _approval(a, "defective_release", release["id"])
    assert instance["current_stage"] == "keeper" and Decimal(instance["amount"]) == 600
    instance = await _act(a, names["keeper"], instance, "approve")
    assert instance["status"] == "approved"  # 600 is under 5,000: no director
    await a.settle()
    await a.settle()
    posted = await a.as_admin("GET", f"/v1/defective-releases/{release['id']}")
    assert posted["status"] == "posted" and posted["approval"] == "approved"
    balances = await a.as_admin(
        "GET", "/v1/balances", params={"item_code": s["item"], "lot_number": lot}
    )
    by_state = {b["quality_state"]: Decimal(b["quantity"]) for b in balances["items"]}
    assert by_state == {"qualified": 30, "defective": 20}
