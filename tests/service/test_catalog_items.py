from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.catalog.app import create_app
from services.catalog.settings import Settings
from tests.conftest import TEST_SECRET, auth, running


@pytest.fixture
async def catalog(database_factory) -> AsyncIterator[httpx.AsyncClient]:
    url = await database_factory("catalog")
    settings = Settings(
        database_url=url,
        internal_token_secret=TEST_SECRET,
        run_background_tasks=False,
        log_json=True,
    )
    async with running(create_app(settings)) as client:
        yield client


def item_body(**overrides):
    import uuid

    body = {
        "code": f"R-{uuid.uuid4().hex[:8]}",
        "name": "Resistor 10k 0402",
        "uom": "pcs",
        "item_type": "raw_material",
        "tracking": "lot",
    }
    body.update(overrides)
    return body


async def test_create_and_read_item(catalog: httpx.AsyncClient) -> None:
    body = item_body()
    created = await catalog.post("/v1/items", json=body)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["procurement"] == "buy" and item["version"] == 1
    assert created.headers["etag"] == 'W/"1"'
    by_code = await catalog.get(f"/v1/items/by-code/{body['code']}")
    assert by_code.json() == item
    again = await catalog.post("/v1/items", json=body)
    assert again.status_code == 409 and again.json()["code"] == "already_exists"


async def test_validation_lists_every_bad_field(catalog: httpx.AsyncClient) -> None:
    response = await catalog.post("/v1/items", json={"code": "", "item_type": "gadget"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"body.code", "body.name", "body.uom", "body.item_type"} <= fields


async def test_unknown_route_and_method_are_problems(catalog: httpx.AsyncClient) -> None:
    missing = await catalog.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong = await catalog.delete("/v1/items")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"


async def test_update_needs_current_etag(catalog: httpx.AsyncClient) -> None:
    item = (await catalog.post("/v1/items", json=item_body())).json()
    path = f"/v1/items/{item['id']}"
    assert (await catalog.patch(path, json={"name": "x"})).status_code == 428
    ok = await catalog.patch(path, json={"name": "Resistor 10k 1%"}, headers={"If-Match": 'W/"1"'})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = await catalog.patch(path, json={"name": "y"}, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    audit = await catalog.get(
        "/v1/audit", params={"entity_type": "item", "entity_id": str(item["id"])}
    )
    entries = audit.json()["items"]
    assert [e["action"] for e in entries] == ["update", "create"]
    assert entries[0]["before"]["name"] == "Resistor 10k 0402"
    assert entries[0]["after"]["name"] == "Resistor 10k 1%"


async def test_idempotent_create_replays(catalog: httpx.AsyncClient) -> None:
    body = item_body()
    headers = {"Idempotency-Key": "k-1"}
    first = await catalog.post("/v1/items", json=body, headers=headers)
    second = await catalog.post("/v1/items", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    other = await catalog.post("/v1/items", json=item_body(), headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    events = (await catalog.get("/v1/events")).json()["events"]
    assert [e["type"] for e in events] == ["ItemCreated"]


async def test_roles_are_enforced(catalog: httpx.AsyncClient) -> None:
    no_token = await catalog.get("/v1/items", headers={"Authorization": ""})
    assert no_token.status_code == 401
    qc = await catalog.post("/v1/items", json=item_body(), headers=auth("qc"))
    assert qc.status_code == 403 and qc.json()["code"] == "forbidden"


async def test_list_pages_with_cursor_and_filters(catalog: httpx.AsyncClient) -> None:
    codes = [
        (
            await catalog.post("/v1/items", json=item_body(code=f"PG-{n}-{uuid.uuid4().hex[:6]}"))
        ).json()["code"]
        for n in range(3)
    ]
    await catalog.post("/v1/items", json=item_body(item_type="finished_good"))
    first = (await catalog.get("/v1/items", params={"limit": 2, "code_prefix": "PG-"})).json()
    assert [i["code"] for i in first["items"]] == codes[:2] and first["next_cursor"]
    rest = (
        await catalog.get(
            "/v1/items", params={"limit": 2, "code_prefix": "PG-", "cursor": first["next_cursor"]}
        )
    ).json()
    assert [i["code"] for i in rest["items"]] == codes[2:] and rest["next_cursor"] is None
    goods = (await catalog.get("/v1/items", params={"item_type": "finished_good"})).json()
    assert [i["item_type"] for i in goods["items"]] == ["finished_good"]
    bad = await catalog.get("/v1/items", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"


async def test_codes_with_slashes_are_found_by_code(catalog: httpx.AsyncClient) -> None:
    from urllib.parse import quote

    for item_code in (f"PCB/MAIN-{uuid.uuid4().hex[:6]}", f"X-{uuid.uuid4().hex[:6]}/"):
        created = await catalog.post("/v1/items", json=item_body(code=item_code))
        assert created.status_code == 201, created.text
        found = await catalog.get(f"/v1/items/by-code/{quote(item_code, safe='')}")
        assert found.status_code == 200, found.text
        assert found.json()["code"] == item_code


async def test_many_items_by_code_in_one_call(catalog: httpx.AsyncClient) -> None:
    for code in ("BULK-1", "BULK-2", "BULK/3"):
        assert (await catalog.post("/v1/items", json=item_body(code=code))).status_code == 201
    found = await catalog.get(
        "/v1/items", params={"code": ["BULK-1", "BULK/3", "NOPE"], "limit": 10}
    )
    assert found.status_code == 200, found.text
    assert sorted(i["code"] for i in found.json()["items"]) == ["BULK-1", "BULK/3"]
    too_many = await catalog.get("/v1/items", params={"code": [f"C{n}" for n in range(501)]})
    assert too_many.status_code == 422


async def test_items_with_or_without_a_safety_stock(catalog: httpx.AsyncClient) -> None:
    prefix = f"SS-{uuid.uuid4().hex[:6]}-"
    for n, safety in enumerate(("0", "500", "0.5")):
        body = item_body(code=f"{prefix}{n}", safety_stock=safety)
        assert (await catalog.post("/v1/items", json=body)).status_code == 201

    async def codes(flag: str) -> list[str]:
        params = {"code_prefix": prefix, "with_safety_stock": flag}
        return [i["code"] for i in (await catalog.get("/v1/items", params=params)).json()["items"]]

    assert await codes("true") == [f"{prefix}1", f"{prefix}2"]
    assert await codes("false") == [f"{prefix}0"]
    bad = await catalog.get("/v1/items", params={"with_safety_stock": "perhaps"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.with_safety_stock"
