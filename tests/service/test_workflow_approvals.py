"""Approval flows through the gateway: a requisition over 10,000 goes team leader ->
director -> warehouse keeper and posts only after the last approval; a rejected one never
posts; an overdue step escalates; timers fire once; bad flows are refused with where."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from services.workflow.db.models import Task
from services.workflow.runtime import runner_of
from shared.db.types import utcnow
from tests.service.workflow_support import Approvals, approvals_fixture, code, ok

__all__ = ["approvals_fixture"]

PEOPLE = ("worker", "leader", "director", "keeper", "keeper2", "boss")


async def _org(a: Approvals) -> dict[str, str]:
    """A department headed by the leader, a worker in it, a director and two keepers."""
    names = {role: code(role).lower() for role in PEOPLE}
    for role, name in names.items():
        await a.user(name, "warehouse" if role == "worker" else "planner")
    dept = code("PROD")
    await a.as_admin("POST", "/v1/org/departments", 201,
                     json={"code": dept, "name": "Production", "manager": names["leader"]})
    for role, name in names.items():
        body: dict[str, Any] = {"username": name, "name": role.title()}
        if role in ("worker", "leader"):
            body["department_code"] = dept
        await a.as_admin("POST", "/v1/org/people", 201, json=body)
    return names


async def _stock(a: Approvals, quantity: str = "1000", unit_cost: str = "20") -> dict[str, str]:
    """An item with qualified stock in a store of warehouse WH, and a production line."""
    item = code("IC")
    await a.as_admin("POST", "/v1/items", 201, json={
        "code": item, "name": "MCU", "uom": "pcs", "item_type": "raw_material", "tracking": "lot",
    })
    wh, store, line = code("WH"), code("ST"), code("LINE")
    for body in (
        {"code": wh, "name": "Warehouse", "location_type": "warehouse"},
        {"code": store, "name": "Store", "location_type": "storage", "parent_code": wh},
        {"code": line, "name": "Line", "location_type": "production_line"},
    ):
        await a.as_admin("POST", "/v1/locations", 201, json=body)
    lot = code("LOT")
    await a.as_admin("POST", "/v1/receipts", 201, json={
        "item_code": item, "location_code": store, "quantity": quantity, "lot_number": lot,
        "unit_price": unit_cost,
    })
    await a.as_admin("POST", "/v1/inspections", 201, json={
        "item_code": item, "lot_number": lot, "location_code": store,
        "accepted_quantity": quantity, "rejected_quantity": "0", "sample_size": 1,
        "inspector": "QC",
    })
    return {"item": item, "wh": wh, "store": store, "line": line, "lot": lot}


async def _default_flow(a: Approvals) -> dict[str, Any]:
    flows = await a.as_admin(
        "GET", "/v1/flows", params={"document_type": "material_requisition"}
    )
    shipped = flows["items"][0]
    assert shipped["version"] == 1 and not shipped["active"]
    return await a.as_admin("POST", f"/v1/flows/{shipped['id']}/activate")


async def _submit(a: Approvals, s: dict[str, str], worker: str, quantity: str) -> dict[str, Any]:
    headers = a.users[worker]
    made = await ok(await a.client.post("/v1/requisitions", headers=headers, json={
        "work_order": code("WO"), "to_location_code": s["line"],
        "from_location_code": s["store"],
        "lines": [{"item_code": s["item"], "quantity": quantity}],
    }), 201)
    return await ok(await a.client.post(f"/v1/requisitions/{made['id']}/submit", headers=headers))


async def _instance(a: Approvals, requisition_id: int) -> dict[str, Any]:
    found = await a.as_admin("GET", "/v1/approvals", params={"document_id": requisition_id})
    assert len(found["items"]) == 1, found
    return await a.as_admin("GET", f"/v1/approvals/{found['items'][0]['id']}")


async def _act(a: Approvals, who: str, instance: dict, action: str, status: int = 200,
               **body: Any) -> Any:
    response = await a.client.post(
        f"/v1/approvals/{instance['id']}/{action}", headers=a.users[who], json=body or None
    )
    return await ok(response, status)


async def _requisition(a: Approvals, requisition_id: int) -> dict[str, Any]:
    return await a.as_admin("GET", f"/v1/requisitions/{requisition_id}")


async def _keepers(a: Approvals, names: dict[str, str], warehouse: str) -> None:
    for body in (
        {"role": "director", "username": names["director"]},
        {"role": "keeper", "scope": warehouse, "username": names["keeper"]},
        {"role": "keeper", "scope": code("OTHER"), "username": names["keeper2"]},
    ):
        await a.as_admin("POST", "/v1/org/role-holders", 201, json=body)


async def test_over_ten_thousand_goes_leader_director_keeper_and_posts_last(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)
    await _keepers(a, names, s["wh"])
    flow = await _default_flow(a)
    gates = await a.as_admin("GET", "/v1/approval-gates")
    assert {g["document_type"]: g["required"] for g in gates["items"]} == {
        "material_requisition": True, "purchase_receipt": False, "scrap": False,
        "supplier_return": False, "count_variance": False, "defective_release": False,
    }
    assert flow["active"]

    doc = await _submit(a, s, names["worker"], "600")  # 600 x 20 = 12,000
    assert doc["approval"] == "pending"
    refused = await a.client.post(f"/v1/requisitions/{doc['id']}/post", headers=a.admin)
    assert refused.status_code == 409 and refused.json()["code"] == "approval_pending"

    await a.settle()
    inst = await _instance(a, doc["id"])
    assert inst["status"] == "pending" and inst["current_stage"] == "team_leader"
    assert Decimal(inst["amount"]) == Decimal("12000")
    assert inst["context"]["document"]["warehouse_code"] == s["wh"]
    assert inst["context"]["requester"]["manager"] == names["leader"]
    [step] = inst["steps"]
    assert [t["assignee"] for t in step["tasks"]] == [names["leader"]]
    assert step["due_at"] is not None

    # nobody but the current approver decides; the keeper's turn has not come
    await _act(a, names["keeper"], inst, "approve", 403)
    inbox = await ok(await a.client.get("/v1/inbox/tasks", headers=a.users[names["leader"]]))
    assert [t["instance_id"] for t in inbox["items"]] == [inst["id"]]
    counts = await ok(await a.client.get("/v1/inbox/counts", headers=a.users[names["leader"]]))
    assert counts["pending"] == 1 and counts["overdue"] == 0

    inst = await _act(a, names["leader"], inst, "approve", comment="ok")
    assert inst["current_stage"] == "director"
    inst = await _act(a, names["director"], inst, "approve")
    assert inst["current_stage"] == "keeper"
    keeper_step = inst["steps"][-1]
    assert [t["assignee"] for t in keeper_step["tasks"]] == [names["keeper"]]  # not keeper2
    await a.settle()
    assert (await _requisition(a, doc["id"]))["status"] == "submitted"  # not before the last

    inst = await _act(a, names["keeper"], inst, "approve")
    assert inst["status"] == "approved" and inst["sync_state"] == "pending"
    await a.settle()
    posted = await _requisition(a, doc["id"])
    assert posted["status"] == "posted" and posted["approval"] == "approved"
    assert posted["approval_ref"] == f"workflow:{inst['id']}"
    assert posted["posted_by"] == "service:workflow"
    inst = await a.as_admin("GET", f"/v1/approvals/{inst['id']}")
    assert inst["sync_state"] == "done"
    actions = [(h["action"], h["step_key"]) for h in inst["history"]]
    assert [x for x in actions if x[0] in ("approved", "posted")] == [
        ("approved", "team_leader"), ("approved", "director"), ("approved", "keeper"),
        ("approved", ""), ("posted", ""),
    ]
    # a second pass posts nothing twice
    await a.settle()
    movements = await a.as_admin("GET", "/v1/movements", params={"item_code": s["item"]})
    issued = [m for m in movements["items"] if m["document_type"] == "requisition"]
    assert len(issued) == 1 and Decimal(issued[0]["quantity"]) == 600


async def test_small_amount_skips_the_director_and_a_rejection_never_posts(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)
    await _keepers(a, names, s["wh"])
    await _default_flow(a)
    doc = await _submit(a, s, names["worker"], "100")  # 2,000
    await a.settle()
    inst = await _instance(a, doc["id"])
    inst = await _act(a, names["leader"], inst, "approve")
    assert inst["current_stage"] == "keeper"
    assert any(h["action"] == "stage_skipped" and h["step_key"] == "director"
               for h in inst["history"])
    await _act(a, names["keeper"], inst, "reject", 422)  # a rejection needs its reason
    inst = await _act(a, names["keeper"], inst, "reject", reason="wrong lot")
    assert inst["status"] == "rejected" and inst["reason"] == "wrong lot"
    await a.settle()
    back = await _requisition(a, doc["id"])
    assert back["status"] == "draft" and back["movements"] == []
    balances = await a.as_admin("GET", "/v1/balances", params={"item_code": s["item"]})
    assert sum(Decimal(b["quantity"]) for b in balances["items"]) == 1000
    # acting on a finished approval is a conflict, not a second decision
    await _act(a, names["keeper"], inst, "approve", 409)

    # resubmitted, it is a new approval; the requester withdraws it
    again = await ok(await a.client.post(
        f"/v1/requisitions/{doc['id']}/submit", headers=a.users[names["worker"]]))
    assert again["approval"] == "pending"
    await a.settle()
    found = await a.as_admin("GET", "/v1/approvals", params={"document_id": doc["id"]})
    second = next(i for i in found["items"] if i["id"] != inst["id"])
    await _act(a, names["leader"], second, "withdraw", 403, reason="not mine")
    withdrawn = await _act(a, names["worker"], second, "withdraw", reason="typo")
    assert withdrawn["status"] == "withdrawn"
    await a.settle()
    assert (await _requisition(a, doc["id"]))["status"] == "draft"
    # both ends are on workflow's feed, for event webhooks
    feed = await a.as_admin("GET", "/services/workflow/v1/events", params={"limit": 1000})
    finished = [e["payload"] for e in feed["events"] if e["type"] == "ApprovalFinished"]
    assert [(f["id"], f["status"], f["reason"]) for f in finished] == [
        (inst["id"], "rejected", "wrong lot"),
        (second["id"], "withdrawn", "typo"),
    ]
    assert finished[0]["document_type"] == "material_requisition"
    assert finished[0]["document_id"] == doc["id"]


async def test_overdue_step_escalates_once_and_the_escalated_approver_decides(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)
    await _keepers(a, names, s["wh"])
    flow = await a.as_admin("POST", "/v1/flows", 201, json={
        "document_type": "material_requisition",
        "name": "Fast lane",
        "activate": True,
        "stages": [{
            "key": "leader", "name": "Leader",
            "steps": [{
                "key": "leader", "name": "Leader", "approvers": [{"kind": "manager"}],
                "time_limit_hours": "2", "on_timeout": "escalate",
                "escalate_to_role": "director",
            }],
        }],
    })
    assert flow["version"] == 2 and flow["active"]
    doc = await _submit(a, s, names["worker"], "10")
    await a.settle()
    inst = await _instance(a, doc["id"])
    assert inst["flow_version"] == 2
    runner = runner_of(a.apps["workflow"])
    assert await runner.fire_timers(utcnow()) == 0  # not due yet
    later = utcnow() + timedelta(days=7)
    await a.settle(later)
    inst = await a.as_admin("GET", f"/v1/approvals/{inst['id']}")
    assert [h["action"] for h in inst["history"]].count("escalated") == 1
    tasks = inst["steps"][0]["tasks"]
    assert {(t["assignee"], t["origin"]) for t in tasks} == {
        (names["leader"], "flow"), (names["director"], "escalated")
    }
    assert await runner.fire_timers(later + timedelta(days=1)) == 0  # fired exactly once
    # the clock of the inbox is the real one: move the leader's due time into the past
    db = a.apps["workflow"].state.db
    async with db.uow(actor="test") as uow:
        await uow.session.execute(
            update(Task).where(Task.assignee == names["leader"]).values(
                due_at=utcnow() - timedelta(hours=1))
        )
        await uow.commit()
    leader = a.users[names["leader"]]
    overdue = await ok(await a.client.get(
        "/v1/inbox/tasks", params={"overdue": "true"}, headers=leader))
    assert [t["instance_id"] for t in overdue["items"]] == [inst["id"]]
    assert overdue["items"][0]["overdue"] is True
    on_time = await ok(await a.client.get(
        "/v1/inbox/tasks", params={"overdue": "false"}, headers=leader))
    assert on_time["items"] == []
    counts = await ok(await a.client.get("/v1/inbox/counts", headers=leader))
    assert counts["pending"] == 1 and counts["overdue"] == 1
    inst = await _act(a, names["director"], inst, "approve")
    assert inst["status"] == "approved"
    await a.settle()
    assert (await _requisition(a, doc["id"]))["status"] == "posted"


async def test_posting_refused_by_stock_is_visible_and_retryable(approvals: Approvals) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a, quantity="50")
    await _keepers(a, names, s["wh"])
    await _default_flow(a)
    doc = await _submit(a, s, names["worker"], "40")
    await a.settle()
    inst = await _instance(a, doc["id"])
    await _act(a, names["leader"], inst, "approve")
    # meanwhile the stock moves away
    await a.as_admin("POST", "/v1/scraps", 201, json={
        "location_code": s["store"], "reason": "dropped",
        "lines": [{"item_code": s["item"], "lot_number": s["lot"], "quantity": "30",
                   "quality_state": "qualified"}],
    })
    inst = await _act(a, names["keeper"], inst, "approve")
    await a.settle()
    inst = await a.as_admin("GET", f"/v1/approvals/{inst['id']}")
    assert inst["status"] == "approved" and inst["sync_state"] == "failed"
    assert inst["sync_problem"]["code"] == "insufficient_stock"
    failed = await a.as_admin("GET", "/v1/approvals", params={"sync_state": "failed"})
    assert [i["id"] for i in failed["items"]] == [inst["id"]]
    assert (await _requisition(a, doc["id"]))["status"] == "submitted"
    # stock comes back; a retry posts it, once
    await a.as_admin("POST", "/v1/receipts", 201, json={
        "item_code": s["item"], "location_code": s["store"], "quantity": "30",
        "lot_number": code("LOT"), "unit_price": "20",
    })
    lots = await a.as_admin("GET", "/v1/balances", params={
        "item_code": s["item"], "quality_state": "pending_inspection"})
    for row in lots["items"]:
        await a.as_admin("POST", "/v1/inspections", 201, json={
            "item_code": s["item"], "lot_number": row["lot_number"],
            "location_code": row["location_code"], "accepted_quantity": row["quantity"],
            "rejected_quantity": "0", "sample_size": 1, "inspector": "QC",
        })
    await a.as_admin("POST", f"/v1/approvals/{inst['id']}/retry")
    await a.settle()
    assert (await _requisition(a, doc["id"]))["status"] == "posted"
    inst = await a.as_admin("GET", f"/v1/approvals/{inst['id']}")
    assert inst["sync_state"] == "done"


async def test_flows_refuse_bad_conditions_with_their_position(approvals: Approvals) -> None:
    a = approvals
    bad = await a.client.post("/v1/flows", headers=a.admin, json={
        "document_type": "material_requisition",
        "name": "Broken",
        "calendar_code": "nowhere",
        "stages": [{
            "key": "a", "name": "A", "condition": "document.amount >",
            "steps": [{"key": "b", "name": "B", "condition": "supplier.rating > 3",
                       "approvers": [{"kind": "field", "field": "lookup(document)"}]}],
        }],
    })
    assert bad.status_code == 422, bad.text
    errors = {e["field"]: e for e in bad.json()["errors"]}
    assert set(errors) == {
        "body.stages.0.condition", "body.stages.0.steps.0.condition",
        "body.stages.0.steps.0.approvers.0.field", "body.calendar_code",
    }
    assert "line 1, column 18" in errors["body.stages.0.condition"]["message"]
    assert "supplier" in errors["body.stages.0.steps.0.condition"]["message"]
    assert "lookup" in errors["body.stages.0.steps.0.approvers.0.field"]["message"]
    flows = await a.as_admin("GET", "/v1/flows")
    assert [f["version"] for f in flows["items"]] == [1]  # nothing was saved
    # approvers of a kind must name what they need
    incomplete = await a.client.post("/v1/flows", headers=a.admin, json={
        "document_type": "scrap", "name": "x",
        "stages": [{"key": "a", "name": "A", "steps": [
            {"key": "b", "name": "B", "approvers": [{"kind": "role"}],
             "on_timeout": "escalate"}]}],
    })
    assert incomplete.status_code == 422
    fields = {e["field"] for e in incomplete.json()["errors"]}
    assert any("approvers" in f for f in fields) and any("steps" in f for f in fields)
    # only admins define flows
    worker = await a.user(code("w").lower())
    assert (await a.client.post("/v1/flows", headers=worker, json={})).status_code == 403


async def test_nobody_to_approve_goes_to_workflow_admins_or_waits_for_a_signer(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)
    await _default_flow(a)  # no director, no keeper registered
    doc = await _submit(a, s, names["worker"], "10")
    await a.settle()
    inst = await _instance(a, doc["id"])
    inst = await _act(a, names["leader"], inst, "approve")
    keeper = inst["steps"][-1]
    assert keeper["key"] == "keeper" and keeper["tasks"] == []
    assert "add a signer" in inst["problem"]
    inst = await a.as_admin("POST", f"/v1/approvals/{inst['id']}/signers",
                            json={"user": names["boss"]})
    assert inst["problem"] == ""
    inst = await _act(a, names["boss"], inst, "approve")
    assert inst["status"] == "approved"
    await a.settle()
    assert (await _requisition(a, doc["id"]))["status"] == "posted"


async def test_organisation_refuses_bad_references_and_stale_versions(
    approvals: Approvals,
) -> None:
    a = approvals
    bad = await a.client.post("/v1/org/departments", headers=a.admin, json={
        "code": code("D"), "name": "Orphan", "parent_code": "NOWHERE"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["body.parent_code"]
    top = await a.as_admin("POST", "/v1/org/departments", 201,
                           json={"code": code("TOP"), "name": "Plant"})
    person = code("p").lower()
    refused = await a.client.post("/v1/org/people", headers=a.admin, json={
        "username": person, "name": "P", "department_code": "NOWHERE", "manager": person})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {
        "body.department_code", "body.manager"}
    made = await a.as_admin("POST", "/v1/org/people", 201, json={
        "username": person, "name": "P", "department_code": top["code"]})
    body = {"username": person, "name": "P2", "department_code": top["code"]}
    missing = await a.client.put(f"/v1/org/people/{person}", headers=a.admin, json=body)
    assert missing.status_code == 428
    renamed = await a.as_admin("PUT", f"/v1/org/people/{person}", json=body,
                               headers={"If-Match": f'W/"{made["version"]}"'})
    assert renamed["name"] == "P2" and renamed["version"] == made["version"] + 1
    stale = await a.client.put(f"/v1/org/people/{person}", json=body,
                               headers={**a.admin, "If-Match": f'W/"{made["version"]}"'})
    assert stale.status_code == 412
    again = await a.client.post("/v1/org/people", headers=a.admin, json=body)
    assert again.status_code == 409
    # a loop in the tree is refused
    below = await a.as_admin("POST", "/v1/org/departments", 201, json={
        "code": code("SUB"), "name": "Line", "parent_code": top["code"]})
    loop = await a.client.put(f"/v1/org/departments/{top['code']}", json={
        "code": top["code"], "name": "Plant", "parent_code": below["code"]},
        headers={**a.admin, "If-Match": 'W/"1"'})
    assert loop.status_code == 422 and "below" in loop.json()["errors"][0]["message"]
