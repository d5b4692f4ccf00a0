"""Scheduled rules through the gateway: daily at 08:00 in the calendar's time zone, over
lots expiring, stock waiting for inspection, dead stock and overdue approvals; each
occurrence runs once (a missed one once after a restart), fires once per episode and
closes what its source no longer gives."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.workflow.usecases.rules import switch_on
from services.workflow.usecases.runner import Runner
from shared.db.types import utcnow
from tests.service.test_workflow_approvals import (
    _act,
    _instance,
    _keepers,
    _org,
    _stock,
    _submit,
)
from tests.service.test_workflow_rules import _robot_channel, _todos
from tests.service.workflow_support import ROBOT_HOST, Approvals, approvals_fixture, code

__all__ = ["approvals_fixture"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def scheduled(channel: str, source: str, condition: str, key: str, **trigger: Any) -> dict:
    return {
        "code": code(source).lower(),
        "name": f"Scheduled {source}",
        "trigger": {"kind": "schedule", "at": "08:00", "source": source, **trigger},
        "condition": condition,
        "key": key,
        "actions": [{
            "kind": "notify", "channel": channel, "template": "rule_fired",
            "values": {"rule": f'"{source}"', "key": key},
        }],
        "active": True,
    }


async def _lot_item(a: Approvals, shelf_life_days: int | None = None) -> dict[str, str]:
    item, store = code("PASTE"), code("ST")
    await a.as_admin("POST", "/v1/items", 201, json={
        "code": item, "name": "Solder paste", "uom": "pcs", "item_type": "raw_material",
        "tracking": "lot", "shelf_life_days": shelf_life_days,
    })
    await a.as_admin("POST", "/v1/locations", 201,
                     json={"code": store, "name": "Store", "location_type": "storage"})
    return {"item": item, "store": store}


async def _receive(
    a: Approvals, s: dict[str, str], quantity: str, *, inspect: bool = True, **extra: Any
) -> str:
    lot = code("LOT")
    await a.as_admin("POST", "/v1/receipts", 201, json={
        "item_code": s["item"], "location_code": s["store"], "quantity": quantity,
        "lot_number": lot, "unit_price": "2", **extra,
    })
    if inspect:
        await a.as_admin("POST", "/v1/inspections", 201, json={
            "item_code": s["item"], "lot_number": lot, "location_code": s["store"],
            "accepted_quantity": quantity, "rejected_quantity": "0", "sample_size": 1,
            "inspector": "QC", **({"posted_at": extra["posted_at"]} if "posted_at" in extra
                                  else {}),
        })
    return lot


async def _rule(a: Approvals, rule_code: str) -> dict[str, Any]:
    return dict(await a.as_admin("GET", f"/v1/rules/{rule_code}"))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def test_expiring_lots_fire_once_at_eight_and_close_when_used_up(
    approvals: Approvals,
) -> None:
    a = approvals
    keeper = code("keeper").lower()
    await a.as_admin("POST", "/v1/org/role-holders", 201,
                     json={"role": "keeper", "username": keeper})
    channel = await _robot_channel(a)
    body = scheduled(channel, "expiring_lots", "subject.days_left <= 30",
                     'subject.item_code + "/" + subject.lot_number', days=30)
    body["actions"] = [
        {
            "kind": "notify", "channel": channel, "template": "lot_expiring",
            "values": {
                "item_code": "subject.item_code", "item_name": "subject.item_name",
                "lot_number": "subject.lot_number", "quantity": "subject.quantity",
                "expires_on": "subject.expiry_date", "days_left": "subject.days_left",
            },
        },
        {
            "kind": "todo", "todo_type": "expiring_lot", "assignee_role": "keeper",
            "title": '"Use " + subject.lot_number', "quantity": "subject.quantity",
        },
    ]
    rule = await a.as_admin("POST", "/v1/rules", 201, json=body)
    first = _at(rule["next_run_at"])
    local = first.astimezone(SHANGHAI)
    assert (local.hour, local.minute) == (8, 0) and first > utcnow()
    assert first - utcnow() <= timedelta(days=1)

    s = await _lot_item(a, shelf_life_days=10)
    soon = await _receive(a, s, "40")
    [expiring] = (await a.as_admin("GET", "/v1/lots", params={"lot_number": soon}))["items"]
    days_left = (date.fromisoformat(expiring["expiry_date"]) - local.date()).days
    assert 8 <= days_left <= 10
    later_item = await _lot_item(a, shelf_life_days=60)
    await _receive(a, later_item, "5")  # expires after the rule's 30 days: not a subject
    await a.settle(first - timedelta(minutes=1))  # not time yet
    assert a.robot.received == [] and await _todos(a, s["item"]) == []

    await a.settle(first)
    assert len(a.robot.received) == 1, a.robot.rejected
    text = a.robot.received[0]["markdown"]["text"]
    assert soon in text and "40" in text and "Solder paste" in text
    assert f"{days_left} " in text.replace("天", " ").replace("days", " ")
    [todo] = await _todos(a, s["item"])
    assert todo["todo_type"] == "expiring_lot" and todo["title"] == f"Use {soon}"
    got = await _rule(a, rule["code"])
    assert _at(got["next_run_at"]) == first + timedelta(days=1)
    assert got["last_run"]["subjects"] == 1 and got["last_run"]["fired"] == 1
    assert got["open_episodes"] == 1

    await a.settle(first)  # the same occurrence again: the clock moved on, nothing runs
    await a.settle(first + timedelta(days=1))  # the next day: still expiring, no repeat
    assert len(a.robot.received) == 1 and len(await _todos(a, s["item"])) == 1
    got = await _rule(a, rule["code"])
    assert got["last_run"]["fired"] == 0 and got["last_run"]["subjects"] == 1

    await a.as_admin("POST", "/v1/scraps", 201, json={
        "location_code": s["store"], "reason": "expired",
        "lines": [{"item_code": s["item"], "lot_number": soon, "quantity": "40",
                   "quality_state": "qualified"}],
    })
    await a.settle(first + timedelta(days=2))  # used up: the episode closes
    got = await _rule(a, rule["code"])
    assert got["open_episodes"] == 0 and got["last_run"]["closed"] == 1
    assert len(a.robot.received) == 1


async def test_pending_inspection_and_dead_stock_by_hand_with_preview_and_dry_run(
    approvals: Approvals,
) -> None:
    a = approvals
    channel = await _robot_channel(a)
    waiting = await _lot_item(a)
    three_days_ago = (utcnow() - timedelta(days=3)).isoformat()
    lot = await _receive(a, waiting, "12", inspect=False, posted_at=three_days_ago)
    old = await _lot_item(a)
    await _receive(a, old, "7", posted_at=(utcnow() - timedelta(days=120)).isoformat())

    pending = await a.as_admin("POST", "/v1/rules", 201, json=scheduled(
        channel, "pending_inspection", "subject.hours_waiting > 24.0",
        'subject.item_code + "/" + subject.lot_number + "@" + subject.location_code',
    ))
    preview = await a.as_admin("POST", f"/v1/rules/{pending['code']}/preview")
    assert preview["subjects"] == 1 and preview["would_close"] == []
    [would] = preview["would_fire"]
    assert would["subject"]["item_code"] == waiting["item"]
    assert would["subject"]["lot_number"] == lot and would["subject"]["quantity"] == 12
    assert 71 < would["subject"]["hours_waiting"] < 73
    assert would["actions"][0]["detail"]["channel"] == channel
    assert a.robot.received == []  # a preview sends nothing

    fresh = {**would["subject"], "hours_waiting": 2.0}
    dry = await a.as_admin("POST", f"/v1/rules/{pending['code']}/dry-run",
                           json={"subject": fresh})
    assert dry["condition"] is False and dry["would_fire"] is False
    missing = await a.client.post(f"/v1/rules/{pending['code']}/dry-run", headers=a.admin,
                                  json={"item_code": waiting["item"]})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["body.subject"]

    run = await a.as_admin("POST", f"/v1/rules/{pending['code']}/run")
    assert (run["subjects"], run["fired"], run["closed"]) == (1, 1, 0)
    again = await a.as_admin("POST", f"/v1/rules/{pending['code']}/run")
    assert again["fired"] == 0
    await a.settle()
    assert len(a.robot.received) == 1 and lot in a.robot.received[0]["markdown"]["text"]
    got = await _rule(a, pending["code"])
    assert _at(got["next_run_at"]) > utcnow()  # running by hand leaves the clock

    dead = await a.as_admin("POST", "/v1/rules", 201, json=scheduled(
        channel, "dead_stock", "subject.idle_days >= 90", "subject.item_code", days=90,
    ))
    run = await a.as_admin("POST", f"/v1/rules/{dead['code']}/run")
    assert (run["subjects"], run["fired"]) == (1, 1)  # the item received 3 days ago is not dead
    episodes = await a.as_admin("POST", f"/v1/rules/{dead['code']}/preview")
    assert episodes["would_fire"] == [] and episodes["subjects"] == 1
    dry = await a.as_admin("POST", f"/v1/rules/{dead['code']}/dry-run", json={
        "subject": {"item_code": old["item"], "idle_days": 120}})
    assert dry["key"] == old["item"] and dry["episode_open"] is True
    assert dry["would_fire"] is False


async def test_overdue_approvals_tell_the_channel_once_after_a_long_stop(
    approvals: Approvals,
) -> None:
    a = approvals
    names = await _org(a)
    s = await _stock(a)
    await _keepers(a, names, s["wh"])
    await a.as_admin("POST", "/v1/flows", 201, json={
        "document_type": "material_requisition", "name": "Slow lane", "activate": True,
        "stages": [{"key": "leader", "name": "Leader", "steps": [{
            "key": "leader", "name": "Team leader", "approvers": [{"kind": "manager"}],
            "time_limit_hours": "2", "on_timeout": "remind",
        }]}],
    })
    doc = await _submit(a, s, names["worker"], "10")
    await a.settle()
    instance = await _instance(a, doc["id"])
    await a.as_admin("POST", "/v1/notifications/channels", 201, json={
        "code": "approvals", "name": "Approvals group", "kind": "dingtalk_robot",
        "config": {
            "webhook_url": f"http://{ROBOT_HOST}/robot/send?access_token={a.robot.access_token}",
            "secret": a.robot.secret,
        },
    })
    assert await switch_on(a.apps["workflow"].state.db, ["overdue_approvals"]) == []
    shipped = await _rule(a, "overdue_approvals")
    first = _at(shipped["next_run_at"])

    later = first + timedelta(days=6)  # the service was down for days: one run
    await a.settle(later)
    got = await _rule(a, "overdue_approvals")
    assert got["last_run"]["fired"] == 1 and got["last_run"]["at"].startswith(
        later.isoformat()[:16])
    assert _at(got["next_run_at"]) == first + timedelta(days=7)
    texts = [m["markdown"]["text"] for m in a.robot.received]
    [overdue] = [t for t in texts if instance["document_number"] in t and "Team leader" in t]
    assert names["leader"] in overdue
    await a.settle(later + timedelta(days=1))
    assert (await _rule(a, "overdue_approvals"))["last_run"]["fired"] == 0

    # the leader decides: the next run closes the episode
    await _act(a, names["leader"], instance, "approve")
    await a.settle(later + timedelta(days=2))
    got = await _rule(a, "overdue_approvals")
    assert got["last_run"]["closed"] == 1 and got["open_episodes"] == 0


async def test_a_clock_runs_each_occurrence_once_however_many_runners(
    approvals: Approvals,
) -> None:
    a = approvals
    channel = await _robot_channel(a)
    s = await _lot_item(a)
    await _receive(a, s, "3", inspect=False)
    rule = await a.as_admin("POST", "/v1/rules", 201, json=scheduled(
        channel, "pending_inspection", "subject.quantity > 0.0", "subject.item_code"))
    due = _at(rule["next_run_at"])
    workflow = a.apps["workflow"]
    db, client = workflow.state.db, workflow.state.client
    runners = [Runner(db, client) for _ in range(3)]
    counts = await asyncio.gather(*(r.run_schedules(due) for r in runners))
    assert sorted(counts) == [0, 0, 1]
    assert (await _rule(a, rule["code"]))["last_run"]["fired"] == 1


async def test_scheduled_rules_are_refused_with_every_bad_part(approvals: Approvals) -> None:
    a = approvals
    channel = await _robot_channel(a)
    bad = scheduled(channel, "overdue_approvals", "subject.hours_overdue >", "subject.item_code")
    bad["trigger"]["calendar"] = "nowhere"
    response = await a.client.post("/v1/rules", headers=a.admin, json=bad)
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == {"body.condition", "body.key"}
    good_key = {**bad, "condition": "subject.hours_overdue > 1.0", "key": "string(subject.step_id)"}
    response = await a.client.post("/v1/rules", headers=a.admin, json=good_key)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.trigger.calendar"]
    no_time = {**good_key, "trigger": {"kind": "schedule", "source": "dead_stock"}}
    response = await a.client.post("/v1/rules", headers=a.admin, json=no_time)
    assert response.status_code == 422 and "at" in response.text

    balance = await a.as_admin("GET", "/v1/rules/safety_stock")
    response = await a.client.post("/v1/rules/safety_stock/preview", headers=a.admin)
    assert response.status_code == 409 and balance["next_run_at"] is None
    response = await a.client.post("/v1/rules/dead_stock/run", headers=a.admin)
    assert response.status_code == 409  # shipped, switched off
    codes = {r["code"] for r in (await a.as_admin("GET", "/v1/rules"))["items"]}
    assert codes == {"safety_stock", "lots_expiring", "pending_inspection",
                     "overdue_approvals", "dead_stock", "inventory_digest"}


async def test_a_rule_starts_a_review_flow_once_per_episode(approvals: Approvals) -> None:
    a = approvals
    names = await _org(a)
    await _keepers(a, names, code("WH"))
    await a.as_admin("POST", "/v1/flows", 201, json={
        "document_type": "rule_review", "name": "Dead stock review", "activate": True,
        "stages": [{
            "key": "director", "name": "Director", "condition": "document.amount > 100.0",
            "steps": [{"key": "director", "name": "Director",
                       "approvers": [{"kind": "role", "role": "director"}]}],
        }],
    })
    old = await _lot_item(a)
    await _receive(a, old, "7", posted_at=(utcnow() - timedelta(days=120)).isoformat())
    body = scheduled("-", "dead_stock", "subject.idle_days >= 90", "subject.item_code", days=90)
    body["actions"] = [{
        "kind": "start_flow", "title": '"Dispose of " + subject.item_code',
        "amount": "subject.value * 10.0",
    }]
    rule = await a.as_admin("POST", "/v1/rules", 201, json=body)
    preview = await a.as_admin("POST", f"/v1/rules/{rule['code']}/preview")
    [planned] = preview["would_fire"][0]["actions"]
    assert planned["kind"] == "start_flow" and planned["detail"]["flow"] == "Dead stock review"
    assert Decimal(planned["detail"]["amount"]) == 140

    assert (await a.as_admin("POST", f"/v1/rules/{rule['code']}/run"))["fired"] == 1
    await a.settle()
    found = await a.as_admin("GET", "/v1/approvals", params={"document_type": "rule_review"})
    [summary] = found["items"]
    review = await a.as_admin("GET", f"/v1/approvals/{summary['id']}")
    assert review["document_number"] == f"Dispose of {old['item']}"
    assert review["status"] == "pending" and review["current_stage"] == "director"
    assert Decimal(review["amount"]) == 140 and review["requester"] == f"rule:{rule['code']}"
    decided = await _act(a, names["director"], review, "approve")
    assert decided["status"] == "approved" and decided["sync_state"] == "none"
    await a.settle()

    assert (await a.as_admin("POST", f"/v1/rules/{rule['code']}/run"))["fired"] == 0
    again = await a.as_admin("GET", "/v1/approvals", params={"document_type": "rule_review"})
    assert len(again["items"]) == 1


async def test_the_inventory_digest_tells_managers_daily_with_the_workbook(
    approvals: Approvals,
) -> None:
    a = approvals
    await a.as_admin("POST", "/v1/notifications/channels", 201, json={
        "code": "managers", "name": "Managers group", "kind": "dingtalk_robot",
        "config": {
            "webhook_url": f"http://{ROBOT_HOST}/robot/send?access_token={a.robot.access_token}",
            "secret": a.robot.secret,
        },
    })
    short = code("SHORT")  # a safety stock of 100, nothing received
    await a.as_admin("POST", "/v1/items", 201, json={
        "code": short, "name": "Speaker cone", "uom": "pcs", "item_type": "raw_material",
        "tracking": "none", "safety_stock": "100",
    })
    old = await _lot_item(a)  # 50 x 2 received 200 days ago, never issued: dead and aged
    await _receive(a, old, "50", posted_at=(utcnow() - timedelta(days=200)).isoformat())
    fresh = await _lot_item(a)  # 15 x 2 today
    await _receive(a, fresh, "15")

    # a switched-off copy of the digest, to preview (its key, the date, by default)
    body = scheduled("managers", "inventory_health", "true", "subject.date", days=90)
    del body["key"]
    preview_rule = await a.as_admin("POST", "/v1/rules", 201, json={**body, "active": False})
    assert preview_rule["key"] == "subject.date"
    preview = await a.as_admin("POST", f"/v1/rules/{preview_rule['code']}/preview")
    [would] = preview["would_fire"]
    subject = would["subject"]
    assert (subject["stock_value"], subject["below_safety_stock"]) == (130, 1)
    assert (subject["dead_stock_items"], subject["dead_stock_value"]) == (1, 100)
    assert (subject["aged_days"], subject["aged_value"]) == (180, 100)
    assert subject["file_url"] == ""  # a preview keeps no workbook

    assert await switch_on(a.apps["workflow"].state.db, ["inventory_digest"]) == []
    first = _at((await _rule(a, "inventory_digest"))["next_run_at"])
    await a.settle(first)
    [message] = a.robot.received
    text = message["markdown"]["text"]
    assert "库存健康日报" in text and "库存金额：130" in text
    assert "低于安全库存：1 项" in text and short in text
    assert "呆滞料（90 天无出库）：1 项，金额 100" in text and old["item"] in text
    assert "库龄超过 180 天：100（占 76.92%）" in text  # 100 of 130
    [link] = [part for part in text.split("(") if "/v1/report-files/" in part]
    path = "/v1/report-files/" + link.split("/v1/report-files/")[1].rstrip(")")
    workbook = await a.client.get(path, headers={"Authorization": ""})
    assert workbook.status_code == 200 and workbook.content.startswith(b"PK")

    await a.settle(first)  # the same morning again: nothing more
    await a.settle(first + timedelta(days=1))  # the next morning: the next digest
    assert len(a.robot.received) == 2
    got = await _rule(a, "inventory_digest")
    assert (got["last_run"]["fired"], got["last_run"]["closed"]) == (1, 1)
