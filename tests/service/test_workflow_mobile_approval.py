"""Mobile approval through the gateway: a step mirrored into (fake) DingTalk or WeCom; the
decision taken there posts the requisition exactly once, by its callback or, when the
callback is lost, by asking the app; a task decided here first is withdrawn in DingTalk
(WeCom cannot), and a late decision there changes nothing; a forged callback changes
nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from shared.db.types import utcnow
from tests.service.test_workflow_approvals import _instance, _keepers, _org, _stock, _submit
from tests.service.workflow_support import Approvals, approvals_fixture, code

__all__ = ["approvals_fixture"]


async def _mobile_flow(a: Approvals, names: dict[str, str], app: str = "dingtalk") -> None:
    for role, name in names.items():  # everyone has a DingTalk and a WeCom user id
        person = await a.as_admin("GET", f"/v1/org/people/{name}")
        body = {k: v for k, v in person.items()
                if k not in ("id", "version", "created_at")}
        await a.as_admin("PUT", f"/v1/org/people/{name}",
                         json={**body, "dingtalk_user_id": f"ding-{role}",
                               "wecom_user_id": f"wx-{role}"},
                         headers={"If-Match": f'W/"{person["version"]}"'})
    await a.as_admin("POST", "/v1/flows", 201, json={
        "document_type": "material_requisition", "name": "On the phone", "activate": True,
        "stages": [{"key": "leader", "name": "Leader", "steps": [{
            "key": "leader", "name": "Leader", "approvers": [{"kind": "manager"}],
            "mobile": app,
        }]}],
    })


async def _issued(a: Approvals, item: str) -> list[dict[str, Any]]:
    movements = await a.as_admin("GET", "/v1/movements", params={"item_code": item})
    return [m for m in movements["items"] if m["document_type"] == "requisition"]


async def test_a_decision_in_dingtalk_posts_once_with_or_without_its_callback(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)
    await _keepers(a, names, s["wh"])
    await _mobile_flow(a, names)

    doc = await _submit(a, s, names["worker"], "10")
    await a.settle()
    inst = await _instance(a, doc["id"])
    [task] = inst["steps"][0]["tasks"]
    [mirrored] = a.dingtalk.find_by_business_key(f"wf-task-{task['id']}")
    assert mirrored.approvers == ["ding-leader"] and mirrored.originator_user_id == "ding-worker"
    assert doc["number"] in str(mirrored.form_values)

    delivery = await a.dingtalk.decide(mirrored.instance_id, approver="ding-leader",
                                       result="agree", remark="fine by phone")
    assert delivery is not None and delivery.valid, delivery  # encrypted "success" answered
    inst = await a.as_admin("GET", f"/v1/approvals/{inst['id']}")
    assert inst["status"] == "approved"
    decided = [h for h in inst["history"] if h["action"] == "approved" and h["step_key"]]
    assert decided[0]["actor"] == f"user:{names['leader']}"
    assert decided[0]["detail"]["via"] == "dingtalk" and decided[0]["comment"] == "fine by phone"
    await a.settle(utcnow() + timedelta(hours=1))  # polling finds it decided: nothing more
    assert len(await _issued(a, s["item"])) == 1

    # the callback is lost: asking DingTalk brings the decision
    doc2 = await _submit(a, s, names["worker"], "5")
    await a.settle()
    inst2 = await _instance(a, doc2["id"])
    [task2] = inst2["steps"][0]["tasks"]
    [mirrored2] = a.dingtalk.find_by_business_key(f"wf-task-{task2['id']}")
    assert await a.dingtalk.decide(mirrored2.instance_id, approver="ding-leader",
                                   result="agree", lose_callback=True) is None
    await a.settle()
    assert (await a.as_admin("GET", f"/v1/approvals/{inst2['id']}"))["status"] == "pending"
    await a.settle(utcnow() + timedelta(minutes=10))  # the poll is due
    inst2 = await a.as_admin("GET", f"/v1/approvals/{inst2['id']}")
    assert inst2["status"] == "approved" and inst2["sync_state"] == "done"
    issued = await _issued(a, s["item"])
    assert sorted(Decimal(m["quantity"]) for m in issued) == [5, 10]

    # refused on the phone: rejected here, never posted
    doc3 = await _submit(a, s, names["worker"], "7")
    await a.settle()
    [task3] = (await _instance(a, doc3["id"]))["steps"][0]["tasks"]
    [mirrored3] = a.dingtalk.find_by_business_key(f"wf-task-{task3['id']}")
    await a.dingtalk.decide(mirrored3.instance_id, approver="ding-leader", result="refuse",
                            remark="too much")
    await a.settle()
    inst3 = await _instance(a, doc3["id"])
    assert inst3["status"] == "rejected" and inst3["reason"] == "too much"
    assert (await a.as_admin("GET", f"/v1/requisitions/{doc3['id']}"))["status"] == "draft"
    assert len(await _issued(a, s["item"])) == 2


async def test_a_forged_callback_is_refused(approvals: Approvals) -> None:
    a = approvals
    forged = await a.client.post(
        "/v1/mobile/dingtalk/callback",
        params={"signature": "0" * 40, "timestamp": "1700000000000", "nonce": code("n")},
        json={"encrypt": "bm90IHJlYWxseQ=="},
    )
    assert forged.status_code == 403, forged.text
    assert forged.json()["code"] == "forbidden"


async def test_a_task_decided_here_first_is_withdrawn_in_dingtalk(approvals: Approvals) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)
    await _keepers(a, names, s["wh"])
    await _mobile_flow(a, names)

    doc = await _submit(a, s, names["worker"], "10")
    await a.settle()
    inst = await _instance(a, doc["id"])
    [task] = inst["steps"][0]["tasks"]
    [mirrored] = a.dingtalk.find_by_business_key(f"wf-task-{task['id']}")
    approved = await a.client.post(
        f"/v1/approvals/{inst['id']}/approve", headers=a.users[names["leader"]], json={}
    )
    assert approved.status_code == 200, approved.text
    await a.settle()  # at once, not at the next poll
    assert mirrored.status == "TERMINATED"
    assert "approved in the workflow service" in mirrored.operation_records[-1]["remark"]
    inst = await a.as_admin("GET", f"/v1/approvals/{inst['id']}")
    assert inst["status"] == "approved" and inst["sync_state"] == "done"
    decided = [h for h in inst["history"] if h["action"] == "approved" and h["step_key"]]
    assert len(decided) == 1 and "via" not in (decided[0]["detail"] or {})
    assert len(await _issued(a, s["item"])) == 1

    # withdrawn by its requester: the approval there is withdrawn too; one that was
    # decided there meanwhile is left as it is and changes nothing here
    doc2 = await _submit(a, s, names["worker"], "5")
    await a.settle()
    inst2 = await _instance(a, doc2["id"])
    [task2] = inst2["steps"][0]["tasks"]
    [mirrored2] = a.dingtalk.find_by_business_key(f"wf-task-{task2['id']}")
    withdrawn = await a.client.post(
        f"/v1/approvals/{inst2['id']}/withdraw",
        headers=a.users[names["worker"]],
        json={"reason": "wrong line"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await a.dingtalk.decide(
        mirrored2.instance_id, approver="ding-leader", result="agree", lose_callback=True
    )
    await a.settle(utcnow() + timedelta(hours=1))
    assert mirrored2.status == "COMPLETED"
    inst2 = await a.as_admin("GET", f"/v1/approvals/{inst2['id']}")
    assert inst2["status"] == "withdrawn"
    assert (await a.as_admin("GET", f"/v1/requisitions/{doc2['id']}"))["status"] == "draft"
    assert len(await _issued(a, s["item"])) == 1


async def test_a_decision_in_wecom_posts_once_and_a_late_one_changes_nothing(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)
    await _keepers(a, names, s["wh"])
    await _mobile_flow(a, names, "wecom")

    doc = await _submit(a, s, names["worker"], "10")
    await a.settle()
    inst = await _instance(a, doc["id"])
    [task] = inst["steps"][0]["tasks"]
    [mirrored] = a.wecom.find_by_business_key(f"wf-task-{task['id']}")
    assert mirrored.approvers == ["wx-leader"] and mirrored.creator_userid == "wx-worker"
    delivery = await a.wecom.decide(
        mirrored.sp_no, approver="wx-leader", approve=True, speech="ok from WeCom"
    )
    assert delivery is not None and delivery.valid, delivery
    inst = await a.as_admin("GET", f"/v1/approvals/{inst['id']}")
    assert inst["status"] == "approved"
    decided = [h for h in inst["history"] if h["action"] == "approved" and h["step_key"]]
    assert decided[0]["actor"] == f"user:{names['leader']}"
    assert decided[0]["detail"]["via"] == "wecom" and decided[0]["comment"] == "ok from WeCom"
    await a.settle(utcnow() + timedelta(hours=1))
    assert len(await _issued(a, s["item"])) == 1

    # decided here first: WeCom cannot withdraw it, and a refusal there comes too late
    doc2 = await _submit(a, s, names["worker"], "5")
    await a.settle()
    inst2 = await _instance(a, doc2["id"])
    [task2] = inst2["steps"][0]["tasks"]
    [mirrored2] = a.wecom.find_by_business_key(f"wf-task-{task2['id']}")
    approved = await a.client.post(
        f"/v1/approvals/{inst2['id']}/approve", headers=a.users[names["leader"]], json={}
    )
    assert approved.status_code == 200, approved.text
    await a.settle()
    assert mirrored2.sp_status == 1  # still open there
    await a.wecom.decide(mirrored2.sp_no, approver="wx-leader", approve=False, speech="no")
    await a.settle(utcnow() + timedelta(hours=1))
    inst2 = await a.as_admin("GET", f"/v1/approvals/{inst2['id']}")
    assert inst2["status"] == "approved" and inst2["sync_state"] == "done"
    assert len(await _issued(a, s["item"])) == 2
