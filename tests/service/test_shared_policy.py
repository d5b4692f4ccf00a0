"""Field-level policy end to end: unreadable fields are absent, unwritable ones are 403."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import auth
from tests.service.shared_support import widget_body, widget_service

PLANNER = auth("planner", subject="user:planner")
FINANCE = auth("finance", subject="user:finance")
ADMIN = auth("admin", subject="user:admin")


@pytest.fixture
async def service(database_factory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    url = await database_factory("catalog")
    async with widget_service(url) as (app, client):
        yield app, client


async def test_unreadable_fields_are_absent_not_null(service) -> None:
    _app, client = service
    created = await client.post("/v1/widgets", headers=FINANCE, json=widget_body(
        cost="2.50", notes=[{"text": "a", "secret": "supplier price"}]))
    assert created.status_code == 201, created.text
    assert created.json()["cost"] == "2.50"
    assert created.json()["notes"] == [{"text": "a", "secret": "supplier price"}]
    path = f"/v1/widgets/{created.json()['id']}"

    planner = (await client.get(path, headers=PLANNER)).json()
    assert "cost" not in planner
    assert planner["notes"] == [{"text": "n"}]
    assert planner["qty"] == "1.500000" and planner["name"] == "reel"
    for headers in (FINANCE, ADMIN, auth("service", subject="service:stock")):
        seen = (await client.get(path, headers=headers)).json()
        assert seen["cost"] == "2.500000" and seen["notes"] == [{"text": "n", "secret": "s"}]


async def test_planner_response_to_its_own_write_hides_fields(service) -> None:
    _app, client = service
    created = await client.post("/v1/widgets", headers=PLANNER,
                                json=widget_body(notes=[{"text": "plain"}]))
    assert created.status_code == 201, created.text
    assert "cost" not in created.json() and created.json()["notes"] == [{"text": "plain"}]


async def test_writing_unwritable_fields_is_403_naming_every_field(service) -> None:
    app, client = service
    body = widget_body(cost="1", notes=[{"text": "a"}, {"text": "b", "secret": "x"},
                                        {"text": "c", "secret": None}])
    response = await client.post("/v1/widgets", headers=PLANNER, json=body)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "field_write_forbidden"
    assert [e["field"] for e in problem["errors"]] == [
        "body.cost", "body.notes.1.secret", "body.notes.2.secret"]
    assert {e["type"] for e in problem["errors"]} == {"forbidden"}
    assert app.state.controls.executions == 0
    # the same body is fine for finance and admin
    for headers in (FINANCE, ADMIN):
        assert (await client.post("/v1/widgets", headers=headers, json=body)).status_code == 201


async def test_field_policy_is_checked_before_idempotency_claims(service) -> None:
    _app, client = service
    key = {"Idempotency-Key": "k"}
    denied = await client.post("/v1/widgets", headers={**PLANNER, **key},
                               json=widget_body(cost="1"))
    assert denied.status_code == 403
    allowed = await client.post("/v1/widgets", headers={**PLANNER, **key}, json=widget_body())
    assert allowed.status_code == 201 and "idempotent-replayed" not in allowed.headers


async def test_roles_are_published_in_openapi(service) -> None:
    _app, client = service
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    cost = schemas["WidgetOut"]["properties"]["cost"]
    assert cost["x-read-roles"] == ["finance"] and cost["x-write-roles"] == ["finance"]
    assert "x-read-roles" not in schemas["WidgetOut"]["properties"]["name"]
