"""The thin slice over TCP against the real processes, started exactly as `make run` does.

Six uvicorn processes on free ports with a temporary var dir (SQLite files, secrets,
logs), then through the gateway with a token: item -> location -> purchase receipt ->
balance -> the lot in trace within a second -> the same receipt replayed, not reposted.
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

TRACE_DEADLINE_SECONDS = 1.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var_dir: Path = tmp_path_factory.mktemp("var")
    running = start_stack(var_dir, base_port=0, log_level="WARNING")
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

    seen_after = wait_for_lot(gateway, item_code, lot_number, since=received_at)
    assert seen_after <= TRACE_DEADLINE_SECONDS, f"trace saw the lot after {seen_after:.2f} s"

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
    deadline = since + TRACE_DEADLINE_SECONDS + 4.0  # wait longer, to report how late it was
    while True:
        response = gateway.get("/v1/genealogy/lots", params=params)
        assert response.status_code == 200, response.text
        lots = response.json()["items"]
        if any(lot["lot_number"] == lot_number for lot in lots):
            return time.monotonic() - since
        if time.monotonic() > deadline:
            pytest.fail(f"trace never showed lot {lot_number} of {item_code}")
        time.sleep(0.05)
