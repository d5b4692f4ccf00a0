"""BOM version releases (catalog) and planned-order firmings (mrp) through approval flows,
through the gateway: activating a flow closes the owning service's gate, a gated release
or firming waits (202, nothing released or ordered), workflow routes it from that
service's feed, and the owner releases or firms exactly once on approval, or keeps the
document as it was on rejection."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.service.test_workflow_approvals import _act, _keepers, _org
from tests.service.workflow_support import Approvals, approvals_fixture, code, ok

__all__ = ["approvals_fixture"]


def _flow(document_type: str, condition: str | None = None) -> dict[str, Any]:
    stage: dict[str, Any] = {
        "key": "director",
        "name": "Director",
        "steps": [
            {
                "key": "director",
                "name": "Director",
                "approvers": [{"kind": "role", "role": "director"}],
            }
        ],
    }
    if condition is not None:
        stage["condition"] = condition
    return {
        "document_type": document_type,
        "name": f"{document_type} approval",
        "activate": True,
        "stages": [stage],
    }


async def _approval(a: Approvals, document_type: str, document_id: int) -> dict[str, Any]:
    found = await a.as_admin("GET", "/v1/approvals", params={"document_id": document_id})
    mine = [i for i in found["items"] if i["document_type"] == document_type]
    assert len(mine) == 1, found
    return dict(await a.as_admin("GET", f"/v1/approvals/{mine[0]['id']}"))


async def _item(a: Approvals, made: bool, **fields: Any) -> str:
    item = code("P" if made else "R")
    await a.as_admin("POST", "/v1/items", 201, json={
        "code": item, "name": "Board" if made else "Chip", "uom": "pcs",
        "item_type": "semi_finished" if made else "raw_material",
        "procurement": "make" if made else "buy", "tracking": "none", **fields,
    })  # fmt: skip
    return item


async def _draft(a: Approvals, parent: str, component: str, revision: str) -> dict[str, Any]:
    return dict(await a.as_admin("POST", "/v1/boms", 201, json={
        "item_code": parent, "revision": revision,
        "lines": [{"component_code": component, "quantity": "4"}],
    }))  # fmt: skip


async def _release(
    a: Approvals, who: str, bom: dict[str, Any], status: int, **body: Any
) -> dict[str, Any]:
    headers = {**a.users[who], "If-Match": f'W/"{bom["version"]}"'}
    response = await a.client.post(f"/v1/boms/{bom['id']}/release", headers=headers, json=body)
    return dict(await ok(response, status))


async def test_a_bom_release_waits_for_the_director_and_releases_once(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    await _keepers(a, names, code("WH"))
    board, chip = await _item(a, made=True), await _item(a, made=False)
    await a.as_admin("POST", "/v1/flows", 201, json=_flow(
        "bom_release", 'document.lines.exists(l, l.item.item_type == "raw_material")'
    ))  # fmt: skip
    gate = await a.as_admin("GET", "/v1/bom-approval-gate")
    assert gate["required"] is True

    draft = await _draft(a, board, chip, "A")
    held = await _release(a, names["leader"], draft, 202)
    assert held["status"] == "draft" and held["approval"] == "pending"
    await a.settle()
    instance = await _approval(a, "bom_release", draft["id"])
    assert instance["status"] == "pending" and instance["current_stage"] == "director"
    assert instance["document_number"] == f"{board} rev A"
    refused = await a.client.post(
        f"/v1/boms/{draft['id']}/release",
        headers={**a.admin, "If-Match": f'W/"{held["version"]}"'},
        json={},
    )
    assert refused.status_code == 409 and refused.json()["code"] == "approval_pending"

    instance = await _act(a, names["director"], instance, "approve")
    assert instance["status"] == "approved"
    await a.settle()
    await a.settle()  # a second pass releases nothing more
    released = await a.as_admin("GET", f"/v1/boms/{draft['id']}")
    assert released["status"] == "released" and released["approval"] == "approved"
    done = await a.as_admin("GET", f"/v1/approvals/{instance['id']}")
    assert done["sync_state"] == "done"

    # the director's rejection leaves the next revision a draft, free to change, and
    # revision A as it was
    second = await _draft(a, board, chip, "B")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    await _release(a, names["leader"], second, 202, effective_from=tomorrow, supersede=True)
    await a.settle()
    pending = await _approval(a, "bom_release", second["id"])
    await _act(a, names["director"], pending, "reject", reason="use revision A")
    await a.settle()
    back = await a.as_admin("GET", f"/v1/boms/{second['id']}")
    assert back["status"] == "draft" and back["approval"] == "not_required"
    assert (await a.as_admin("GET", f"/v1/boms/{draft['id']}"))["effective_to"] is None
    ended = await a.as_admin("GET", f"/v1/approvals/{pending['id']}")
    assert ended["status"] == "rejected" and ended["sync_state"] == "done"


async def test_firming_a_planned_order_waits_for_the_director_and_orders_once(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    await _keepers(a, names, code("WH"))
    chip = await _item(a, made=False, lead_time_days=10)
    await a.as_admin("POST", "/v1/sales-orders", 201, json={
        "customer": "ACME Audio",
        "lines": [{"item_code": chip, "quantity": "500", "due_date": "2027-01-20"}],
    })  # fmt: skip
    run = await a.as_admin("POST", "/v1/mrp-runs", 201, json={"run_date": "2026-12-01"})
    planned = await a.as_admin("GET", f"/v1/mrp-runs/{run['id']}/planned-orders")
    (order,) = [o for o in planned["items"] if o["item_code"] == chip]
    await a.as_admin("POST", "/v1/flows", 201, json=_flow("planned_order_firming"))
    gate = await a.as_admin("GET", "/v1/firming-approval-gate")
    assert gate["required"] is True

    planner = await a.user(code("planner").lower(), "planner")
    firm = f"/v1/planned-orders/{order['id']}/firm"
    held = await ok(await a.client.post(firm, headers=planner, json={"supplier": "TI"}), 202)
    assert held["approval"] == "pending"
    orders = await a.as_admin("GET", "/v1/purchase-orders", params={"item_code": chip})
    assert orders["items"] == []
    again = await a.client.post(firm, headers=planner, json={"supplier": "TI"})
    assert again.status_code == 409 and again.json()["code"] == "approval_pending"

    await a.settle()
    instance = await _approval(a, "planned_order_firming", order["id"])
    assert instance["current_stage"] == "director"
    instance = await _act(a, names["director"], instance, "approve")
    await a.settle()
    await a.settle()
    firmed = await a.as_admin("GET", f"/v1/planned-orders/{order['id']}")
    assert firmed["status"] == "firmed" and firmed["approval"] == "approved"
    orders = await a.as_admin("GET", "/v1/purchase-orders", params={"item_code": chip})
    assert [(o["supplier"], o["lines"][0]["quantity"]) for o in orders["items"]] == [("TI", "500")]
    done = await a.as_admin("GET", f"/v1/approvals/{instance['id']}")
    assert done["sync_state"] == "done"
