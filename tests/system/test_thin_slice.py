"""The thin slice over TCP against the real processes, started exactly as `make run` does.

Seven uvicorn processes on free ports with a temporary var dir (SQLite files, secrets,
logs), then through the gateway with a token: item -> location -> purchase receipt ->
balance -> the lot in trace (brought by the nudge: trace's poll is a minute here) -> the
same receipt replayed, not reposted. How soon the lot shows (issue #2: within a second) is
measured by `bench/slice.py`, not asserted here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tools.run import SERVICES, Stack, start_stack

pytestmark = pytest.mark.system

#: Trace's poll interval in this stack: the lot showing well before it came by the nudge.
TRACE_POLL_SECONDS = 60
TRACE_DEADLINE_SECONDS = 15.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var_dir: Path = tmp_path_factory.mktemp("var")
    running = start_stack(
        var_dir,
        base_port=0,
        log_level="WARNING",
        extra_env={"trace": {"TRACE_EVENT_POLL_SECONDS": str(TRACE_POLL_SECONDS)}},
    )
    print(f"stack: {running.gateway_url}, logs in {var_dir / 'logs'}")
    try:
        yield running
    finally:
        running.stop()
        for proc in running.processes.values():
            print(f"--- {proc.name} (exit {proc.exited()}):\n{proc.log_tail(15)}")


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=10.0) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def token(gateway: httpx.Client, stack: Stack) -> str:
    response = gateway.post(
        "/v1/auth/token",
        data={"username": stack.secrets.admin_username, "password": stack.secrets.admin_password},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    return str(body["access_token"])


def test_gateway_health_lists_every_service(gateway: httpx.Client) -> None:
    response = gateway.get("/healthz")
    assert response.status_code == 200, response.text
    assert response.json()["services"] == {name: "ok" for name in SERVICES}


def test_thin_slice(gateway: httpx.Client, stack: Stack) -> None:
    gateway.headers["Authorization"] = f"Bearer {token(gateway, stack)}"
    item_code, location_code, lot_number = unique("R"), unique("A"), unique("LOT")

    item = gateway.post(
        "/v1/items",
        json={
            "code": item_code,
            "name": "Resistor 10k 0402",
            "uom": "pcs",
            "item_type": "raw_material",
            "tracking": "lot",
        },
    )
    assert item.status_code == 201, item.text
    location = gateway.post(
        "/v1/locations",
        json={
            "code": location_code,
            "name": "Raw store A-01",
            "location_type": "storage",
        },
    )
    assert location.status_code == 201, location.text

    receipt_body = {
        "item_code": item_code,
        "location_code": location_code,
        "lot_number": lot_number,
        "quantity": "5000",
        "supplier": "Yageo",
        "supplier_lot": "YG-1",
        "purchase_order": "PO-1",
    }
    key = {"Idempotency-Key": unique("receipt")}
    receipt = gateway.post("/v1/receipts", json=receipt_body, headers=key)
    received_at = time.monotonic()
    assert receipt.status_code == 201, receipt.text

    balances = gateway.get("/v1/balances", params={"item_code": item_code})
    assert balances.status_code == 200, balances.text
    rows = balances.json()["items"]
    assert len(rows) == 1, rows
    assert Decimal(rows[0]["quantity"]) == Decimal("5000")
    assert rows[0]["quality_state"] == "pending_inspection"

    wait_for_lot(gateway, item_code, lot_number, since=received_at)

    replay = gateway.post("/v1/receipts", json=receipt_body, headers=key)
    assert replay.status_code == receipt.status_code
    assert replay.json() == receipt.json()
    assert replay.headers.get("idempotent-replayed") == "true"

    again = gateway.get("/v1/balances", params={"item_code": item_code}).json()["items"]
    assert [Decimal(row["quantity"]) for row in again] == [Decimal("5000")]
    movements = gateway.get("/v1/movements", params={"item_code": item_code})
    assert movements.status_code == 200, movements.text
    assert len(movements.json()["items"]) == 1, movements.text


def wait_for_lot(gateway: httpx.Client, item_code: str, lot_number: str, *, since: float) -> float:
    """Poll trace (through the gateway) until it knows the lot; seconds since `since`."""
    params = {"item_code": item_code, "lot_number": lot_number}
    deadline = since + TRACE_DEADLINE_SECONDS
    while True:
        response = gateway.get("/v1/genealogy/nodes", params=params)
        assert response.status_code == 200, response.text
        lots = response.json()["items"]
        if any(lot["lot_number"] == lot_number for lot in lots):
            return time.monotonic() - since
        if time.monotonic() > deadline:
            pytest.fail(
                f"trace did not show lot {lot_number} of {item_code} within "
                f"{TRACE_DEADLINE_SECONDS} s: no nudge reached it"
            )
        time.sleep(0.05)


def test_mrp_through_the_gateway(gateway: httpx.Client, stack: Stack) -> None:
    """Order in, shortage out, planned order firmed, completion posted: every call through
    the gateway, stock's feed reaching MRP over real nudges."""
    gateway.headers["Authorization"] = f"Bearer {token(gateway, stack)}"
    part, board = unique("IC"), unique("PCBA")
    line_code, store, finished = unique("LINE"), unique("RAW"), unique("FG")
    for body in (
        {
            "code": part,
            "name": "MCU",
            "uom": "pcs",
            "item_type": "raw_material",
            "lead_time_days": 5,
        },
        {
            "code": board,
            "name": "Board",
            "uom": "pcs",
            "item_type": "semi_finished",
            "procurement": "make",
            "lead_time_days": 1,
        },
    ):
        assert gateway.post("/v1/items", json=body).status_code == 201
    bom = gateway.post(
        "/v1/boms",
        json={
            "item_code": board,
            "revision": "A",
            "lines": [{"component_code": part, "quantity": "2"}],
        },
    ).json()
    released = gateway.post(f"/v1/boms/{bom['id']}/release", json={}, headers={"If-Match": 'W/"1"'})
    assert released.status_code == 200, released.text
    for code_, kind in (
        (line_code, "production_line"),
        (store, "storage"),
        (finished, "finished_goods"),
    ):
        made = gateway.post(
            "/v1/locations", json={"code": code_, "name": code_, "location_type": kind}
        )
        assert made.status_code == 201, made.text
    received = gateway.post(
        "/v1/receipts",
        json={"item_code": part, "location_code": store, "quantity": "30", "supplier": "ST"},
    )
    assert received.status_code == 201, received.text
    inspected = gateway.post(
        "/v1/inspections",
        json={
            "item_code": part,
            "location_code": store,
            "accepted_quantity": "30",
            "rejected_quantity": "0",
            "sample_size": 1,
            "inspector": "QC",
        },
    )
    assert inspected.status_code == 201, inspected.text
    order = gateway.post(
        "/v1/sales-orders",
        json={
            "customer": "ACME",
            "lines": [{"item_code": board, "quantity": "20", "due_date": "2027-06-30"}],
        },
    )
    assert order.status_code == 201, order.text
    run = gateway.post(
        "/v1/mrp-runs", json={"mode": "net_change", "item_codes": [board], "run_date": "2027-06-01"}
    )
    assert run.status_code == 201, run.text
    run_id = run.json()["id"]
    shortages = gateway.get(f"/v1/mrp-runs/{run_id}/shortages").json()["items"]
    # 20 boards x 2 = 40 chips, 30 in stock
    assert {(s["item_code"], s["quantity"]) for s in shortages} == {(board, "20"), (part, "10")}
    planned = gateway.get(
        f"/v1/mrp-runs/{run_id}/planned-orders", params={"item_code": board}
    ).json()["items"]
    firmed = gateway.post(
        f"/v1/planned-orders/{planned[0]['id']}/firm",
        json={"release": True, "wip_location_code": line_code, "output_location_code": finished},
    )
    assert firmed.status_code == 200, firmed.text
    work_order = firmed.json()["work_order_id"]
    number = firmed.json()["order_number"]
    requisition = gateway.post(
        "/v1/requisitions",
        json={
            "work_order": number,
            "to_location_code": line_code,
            "lines": [{"item_code": part, "quantity": "30"}],
        },
    ).json()
    assert gateway.post(f"/v1/requisitions/{requisition['id']}/submit").status_code == 200
    assert gateway.post(f"/v1/requisitions/{requisition['id']}/post").status_code == 200
    deadline = time.monotonic() + 5
    while True:  # stock's feed reaches MRP (nudge, then pull)
        got = gateway.get(f"/v1/work-orders/{work_order}").json()
        if got["components"][0]["issued_quantity"] == "30":
            break
        assert time.monotonic() < deadline, got
        time.sleep(0.05)
    event = {"event_id": unique("MES"), "produced": [{"quantity": "15"}], "station": "S1"}
    done = gateway.post(f"/v1/work-orders/{work_order}/completions", json=event)
    assert done.status_code == 201, done.text
    again = gateway.post(f"/v1/work-orders/{work_order}/completions", json=event)
    assert again.json() == done.json() and again.headers["idempotent-replayed"] == "true"
    result = gateway.get(f"/v1/work-orders/{work_order}").json()
    assert result["produced_quantity"] == "15"
    assert result["components"][0]["consumed_quantity"] == "30"
    stock_boards = gateway.get(
        "/v1/balances", params={"item_code": board, "location_code": finished}
    ).json()["items"]
    assert [Decimal(b["quantity"]) for b in stock_boards] == [Decimal(15)]
