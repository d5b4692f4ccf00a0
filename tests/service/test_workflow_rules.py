"""Rules, to-dos and notifications through the gateway: the safety-stock rule fires once
per episode (one signed DingTalk message, one purchase to-do), a purchase order closes the
to-do, a robot's backlog becomes one digest, a refused message ends dead and is re-sent,
and approvals tell the flow's channels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.workflow.usecases.notify import ROBOT_PER_MINUTE
from services.workflow.usecases.rules import switch_on
from tests.service.test_workflow_approvals import (
    _act,
    _default_flow,
    _instance,
    _keepers,
    _org,
    _submit,
)
from tests.service.workflow_support import ROBOT_HOST, Approvals, approvals_fixture, code, ok

__all__ = ["approvals_fixture"]


def safety_rule(channel: str, **overrides: Any) -> dict[str, Any]:
    rule = {
        "code": code("safety").lower(),
        "name": "Below safety stock",
        "facts": ["item", "availability", "open_purchase"],
        "condition": "facts.availability.available < facts.item.safety_stock",
        "actions": [
            {
                "kind": "notify", "channel": channel, "template": "safety_stock",
                "values": {
                    "item_code": "subject.item_code", "item_name": "facts.item.name",
                    "available": "facts.availability.available",
                    "safety_stock": "facts.item.safety_stock", "shortage": "facts.shortage",
                    "suggested_quantity": "facts.suggested_quantity",
                },
            },
            {
                "kind": "todo", "todo_type": "purchase", "assignee_role": "buyer",
                "title": '"Buy " + subject.item_code',
                "quantity": "facts.suggested_quantity",
            },
        ],
        "active": True,
    }
    rule.update(overrides)
    return rule


async def _robot_channel(a: Approvals, **config: Any) -> str:
    channel = code("robot").lower()
    await a.as_admin("POST", "/v1/notifications/channels", 201, json={
        "code": channel, "name": "Buyers group", "kind": "dingtalk_robot",
        "config": {
            "webhook_url": f"http://{ROBOT_HOST}/robot/send?access_token={a.robot.access_token}",
            "secret": a.robot.secret, **config,
        },
    })
    return channel


async def _item(a: Approvals, safety: str) -> dict[str, str]:
    item = code("CAP")
    await a.as_admin("POST", "/v1/items", 201, json={
        "code": item, "name": "Capacitor 10uF", "uom": "pcs", "item_type": "raw_material",
        "tracking": "lot", "safety_stock": safety,
        "lot_sizing": {"policy": "fixed", "fixed_quantity": "500"},
    })
    store = code("ST")
    await a.as_admin("POST", "/v1/locations", 201,
                     json={"code": store, "name": "Store", "location_type": "storage"})
    return {"item": item, "store": store}


async def _receive(a: Approvals, s: dict[str, str], quantity: str) -> str:
    lot = code("LOT")
    await a.as_admin("POST", "/v1/receipts", 201, json={
        "item_code": s["item"], "location_code": s["store"], "quantity": quantity,
        "lot_number": lot, "unit_price": "0.1",
    })
    await a.as_admin("POST", "/v1/inspections", 201, json={
        "item_code": s["item"], "lot_number": lot, "location_code": s["store"],
        "accepted_quantity": quantity, "rejected_quantity": "0", "sample_size": 1,
        "inspector": "QC",
    })
    return lot


async def _scrap(a: Approvals, s: dict[str, str], lot: str, quantity: str) -> None:
    await a.as_admin("POST", "/v1/scraps", 201, json={
        "location_code": s["store"], "reason": "damaged",
        "lines": [{"item_code": s["item"], "lot_number": lot, "quantity": quantity,
                   "quality_state": "qualified"}],
    })


async def _todos(a: Approvals, item: str, status: str = "open") -> list[dict]:
    found = await a.as_admin("GET", "/v1/todos", params={"item_code": item, "status": status})
    return list(found["items"])


async def test_safety_stock_fires_once_per_episode(approvals: Approvals) -> None:
    a = approvals
    buyer = code("buyer").lower()
    await a.user(buyer)
    await a.as_admin("POST", "/v1/org/role-holders", 201,
                     json={"role": "buyer", "username": buyer})
    channel = await _robot_channel(a)
    rule = await a.as_admin("POST", "/v1/rules", 201, json=safety_rule(channel))
    s = await _item(a, safety="100")
    lot = await _receive(a, s, "150")
    await a.settle()
    assert a.robot.received == [] and await _todos(a, s["item"]) == []

    await _scrap(a, s, lot, "80")  # 70 left: below 100
    await a.settle()
    assert len(a.robot.received) == 1, a.robot.rejected  # the fake checked the signature
    text = a.robot.received[0]["markdown"]["text"]
    assert s["item"] in text and "70" in text and "500" in text
    [todo] = await _todos(a, s["item"])
    assert todo["todo_type"] == "purchase" and todo["assignee_role"] == "buyer"
    assert Decimal(todo["quantity"]) == 500 and todo["title"] == f"Buy {s['item']}"
    mine = await ok(await a.client.get("/v1/todos", params={"mine": "true"},
                                       headers=a.users[buyer]))
    assert [t["id"] for t in mine["items"]] == [todo["id"]]

    await _scrap(a, s, lot, "10")  # still below: the same episode, nothing new
    await a.settle()
    assert len(a.robot.received) == 1 and len(await _todos(a, s["item"])) == 1
    got = await a.as_admin("GET", f"/v1/rules/{rule['code']}")
    assert got["open_episodes"] == 1

    # the dry run shows it would not fire again now, and changes nothing
    dry = await a.as_admin("POST", f"/v1/rules/{rule['code']}/dry-run",
                           json={"item_code": s["item"]})
    assert dry["condition"] is True and dry["episode_open"] is True
    assert dry["would_fire"] is False
    assert dry["facts"]["availability"]["available"] == 60

    # back above safety stock closes the episode; the next drop fires again
    lot2 = await _receive(a, s, "100")  # 160
    await a.settle()
    assert (await a.as_admin("GET", f"/v1/rules/{rule['code']}"))["open_episodes"] == 0
    await _scrap(a, s, lot2, "100")  # 60
    await a.settle()
    assert len(a.robot.received) == 2 and len(await _todos(a, s["item"])) == 2

    # a purchase order for the item closes its purchase to-dos
    await a.as_admin("POST", "/v1/purchase-orders", 201, json={
        "supplier": "Murata", "lines": [{"item_code": s["item"], "quantity": "500",
                                          "due_date": "2027-01-15"}],
    })
    await a.settle()
    assert await _todos(a, s["item"]) == []
    done = await _todos(a, s["item"], status="done")
    assert len(done) == 2 and all(t["closed_by"].startswith("mrp:") for t in done)


async def test_rules_are_refused_with_every_bad_part(approvals: Approvals) -> None:
    a = approvals
    channel = await _robot_channel(a)
    bad = safety_rule(channel, condition="facts.availability.available <", key="item(subject)")
    bad["actions"][0]["values"].pop("shortage")
    bad["actions"][1]["quantity"] = "facts.nothing +"
    response = await a.client.post("/v1/rules", headers=a.admin, json=bad)
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {
        "body.condition", "body.key", "body.actions.0.values", "body.actions.1.quantity",
    }
    codes = [r["code"] for r in (await a.as_admin("GET", "/v1/rules"))["items"]]
    assert codes == [  # the shipped ones, and nothing of the refused one
        "safety_stock", "lots_expiring", "pending_inspection", "overdue_approvals", "dead_stock",
        "inventory_digest",
    ]


async def test_a_robot_backlog_becomes_one_digest_and_refusals_end_dead(
    approvals: Approvals,
) -> None:
    a = approvals
    buyer = code("buyer").lower()
    await a.as_admin("POST", "/v1/org/role-holders", 201,
                     json={"role": "buyer", "username": buyer})
    channel = await _robot_channel(a)
    rule = safety_rule(channel)
    rule["actions"] = rule["actions"][:1]
    await a.as_admin("POST", "/v1/rules", 201, json=rule)
    items = []
    for _ in range(ROBOT_PER_MINUTE + 5):  # more alerts than the robot takes in a minute
        s = await _item(a, safety="10")
        items.append(s["item"])
        await _scrap(a, s, await _receive(a, s, "5"), "1")
    await a.settle()
    assert len(a.robot.received) == 1  # one digest, not a queue of 25
    digest = a.robot.received[0]["markdown"]["text"]
    assert "25" in digest and items[0] in digest
    merged = await a.as_admin("GET", "/v1/notifications/messages",
                              params={"status": "merged", "limit": 100})
    assert len(merged["items"]) == ROBOT_PER_MINUTE + 5
    assert len({m["merged_into"] for m in merged["items"]}) == 1

    # a channel with a wrong secret: the robot refuses, no retry cures it: dead
    wrong = await _robot_channel(a, secret="SEC-wrong")
    rule = safety_rule(wrong, code=code("wrong").lower())
    rule["actions"] = rule["actions"][:1]
    await a.as_admin("POST", "/v1/rules", 201, json=rule)
    s = await _item(a, safety="10")
    await _receive(a, s, "5")
    await a.settle()
    dead = await a.as_admin("GET", "/v1/notifications/messages",
                            params={"status": "dead", "channel_code": wrong})
    [message] = dead["items"]
    detail = await a.as_admin("GET", f"/v1/notifications/messages/{message['id']}")
    assert len(detail["deliveries"]) == 1 and not detail["deliveries"][0]["ok"]
    assert "sign" in detail["last_error"]
    # fixed secret, re-sent: delivered
    current = await ok(await a.client.get(f"/v1/notifications/channels/{wrong}",
                                          headers=a.admin))
    assert current["config"]["secret"] == "***"
    await a.as_admin("PUT", f"/v1/notifications/channels/{wrong}", json={
        "code": wrong, "name": "Buyers group", "kind": "dingtalk_robot",
        "config": {**current["config"], "secret": a.robot.secret},
    }, headers={**a.admin, "If-Match": f'W/"{current["version"]}"'})
    await a.as_admin("POST", f"/v1/notifications/messages/{message['id']}/resend")
    before = len(a.robot.received)
    await a.settle()
    assert len(a.robot.received) == before + 1
    again = await a.as_admin("GET", f"/v1/notifications/messages/{message['id']}")
    assert again["status"] == "sent" and len(again["deliveries"]) == 2


async def test_approvals_tell_the_flows_channels(approvals: Approvals) -> None:
    a = approvals
    names = await _org(a)
    s = await _item(a, safety="0")
    wh = code("WH")
    await a.as_admin("POST", "/v1/locations", 201,
                     json={"code": wh, "name": "Warehouse", "location_type": "warehouse"})
    line = code("LINE")
    await a.as_admin("POST", "/v1/locations", 201,
                     json={"code": line, "name": "Line", "location_type": "production_line"})
    await _receive(a, s, "100")
    await _keepers(a, names, wh)
    channel = await _robot_channel(a)
    shipped = await _default_flow(a)
    await a.as_admin("POST", f"/v1/flows/{shipped['id']}/deactivate")
    flows = await a.as_admin("GET", f"/v1/flows/{shipped['id']}")
    body = {
        "document_type": "material_requisition", "name": "Told", "activate": True,
        "stages": flows["stages"][:1], "notify_channels": [channel],
    }
    await a.as_admin("POST", "/v1/flows", 201, json=body)
    doc = await _submit(a, {**s, "line": line}, names["worker"], "10")
    await a.settle()
    assert len(a.robot.received) == 1
    pending = a.robot.received[0]["markdown"]["text"]
    assert doc["number"] in pending and "/v1/approvals/" in pending
    inst = await _instance(a, doc["id"])
    await _act(a, names["leader"], inst, "approve")
    await a.settle()
    assert len(a.robot.received) == 2
    assert "已通过" in a.robot.received[1]["markdown"]["title"]


async def test_the_shipped_safety_stock_rule_switched_on_by_configuration(
    approvals: Approvals,
) -> None:
    a = approvals
    shipped = await a.as_admin("GET", "/v1/rules/safety_stock")
    assert shipped["active"] is False
    assert await switch_on(a.apps["workflow"].state.db, ["safety_stock", "nope"]) == ["nope"]
    assert (await a.as_admin("GET", "/v1/rules/safety_stock"))["active"] is True
    buyer = code("buyer").lower()
    await a.as_admin("POST", "/v1/org/role-holders", 201,
                     json={"role": "buyer", "username": buyer})
    await a.as_admin("POST", "/v1/notifications/channels", 201, json={
        "code": "buyers", "name": "Buyers", "kind": "dingtalk_robot",
        "config": {
            "webhook_url": f"http://{ROBOT_HOST}/robot/send?access_token={a.robot.access_token}",
            "secret": a.robot.secret,
        },
    })
    s = await _item(a, safety="100")
    await _receive(a, s, "40")
    await a.settle()
    [todo] = await _todos(a, s["item"])
    assert todo["title"] == f"补货 Replenish {s['item']}: 500"
    assert len(a.robot.received) == 1 and s["item"] in a.robot.received[0]["markdown"]["text"]
