"""Saved report definitions (`/v1/report-definitions`): create, who sees them, running
them with dates overridden, replacing with If-Match, deleting, duplicate names and bad
queries; SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from tests.conftest import auth
from tests.service.test_stock_report_query import END_P, LABEL_P, LABEL_P1, P1, P, world
from tests.service.test_thin_slice_inprocess import Slice, code

D = Decimal
URL = "/v1/report-definitions"
FINANCE = auth("finance", subject="user:fiona")
PLANNER = auth("planner", subject="user:paul")
WAREHOUSE = auth("warehouse", subject="user:wang")
OTHER_FINANCE = auth("finance", subject="user:frank")


def definition(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": code("Monthly issues"),
        "description": "Issued per month and category",
        "query": {
            "measures": ["issued_quantity", "issued_value"],
            "dimensions": ["month", "category"],
        },
        "shared_with_roles": ["planner"],
    }
    return {**body, **changes}


async def create(s: Slice, body: dict[str, Any], headers: dict[str, str]) -> dict:
    response = await s.stock.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == 'W/"1"'
    return response.json()


async def names(s: Slice, headers: dict[str, str]) -> set[str]:
    response = await s.stock.get(URL, headers=headers)
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["items"]}


async def test_create_list_by_owner_and_role_get_and_page(wired: Slice) -> None:
    shared = await create(wired, definition(), FINANCE)
    assert shared["owner"] == "user:fiona" and shared["version"] == 1
    assert shared["format"] == "json" and shared["shared_with_roles"] == ["planner"]
    assert shared["query"]["measures"] == ["issued_quantity", "issued_value"]
    mine = await create(
        wired,
        definition(query={"measures": ["movements"]}, shared_with_roles=[]),
        WAREHOUSE,
    )
    assert await names(wired, FINANCE) == {shared["name"]}
    assert await names(wired, PLANNER) == {shared["name"]}  # shared with planner
    assert await names(wired, WAREHOUSE) == {mine["name"]}
    assert await names(wired, OTHER_FINANCE) == set()
    assert await names(wired, auth("admin")) == {shared["name"], mine["name"]}

    first = await wired.stock.get(URL, params={"limit": 1})
    assert len(first.json()["items"]) == 1 and first.json()["next_cursor"]
    rest = await wired.stock.get(URL, params={"limit": 1, "cursor": first.json()["next_cursor"]})
    assert [i["id"] for i in rest.json()["items"]] == [mine["id"]]

    seen = await wired.stock.get(f"{URL}/{shared['id']}", headers=PLANNER)
    assert seen.status_code == 200 and seen.headers["etag"] == 'W/"1"'
    hidden = await wired.stock.get(f"{URL}/{shared['id']}", headers=WAREHOUSE)
    assert hidden.status_code == 404

    again = await wired.stock.post(URL, json=definition(name=shared["name"]), headers=FINANCE)
    assert again.status_code == 409 and again.json()["code"] == "already_exists"

    key = {"Idempotency-Key": code("k"), **FINANCE}
    body = definition()
    once = await wired.stock.post(URL, json=body, headers=key)
    twice = await wired.stock.post(URL, json=body, headers=key)
    assert once.status_code == twice.status_code == 201
    assert twice.headers["idempotent-replayed"] == "true"
    assert once.json()["id"] == twice.json()["id"]


async def test_run_with_dates_overridden_and_by_role(wired: Slice) -> None:
    w = await world(wired)
    saved = await create(
        wired,
        definition(query={**definition()["query"], "filters": {"date_from": P1.isoformat(),
                                                                "date_to": P1.isoformat()}}),
        FINANCE,
    )  # fmt: skip
    result = f"{URL}/{saved['id']}/result"
    just_p1_day = await wired.stock.get(result, headers=FINANCE)
    assert just_p1_day.status_code == 200, just_p1_day.text
    assert just_p1_day.json()["rows"] == []  # nothing issued on P1's first day

    both = await wired.stock.get(
        result,
        params={"date_from": P1.isoformat(), "date_to": END_P.isoformat()},
        headers=FINANCE,
    )
    assert both.status_code == 200, both.text
    rows = [(r["month"], r["category"], D(r["issued_quantity"]), D(r["issued_value"]))
            for r in both.json()["rows"]]  # fmt: skip
    assert rows == [
        (LABEL_P1, w["category"], D(10), D(20)),
        (LABEL_P, w["category"], D(5), D(10)),
        (LABEL_P, None, D(4), D(12)),
    ]
    last_month = await wired.stock.get(
        result, params={"date_from": P.isoformat(), "date_to": END_P.isoformat(),
                        "format": "csv"}, headers=FINANCE,
    )  # fmt: skip
    assert last_month.headers["content-type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(last_month.text)))
    assert lines[0] == ["month", "category", "issued_quantity", "issued_value"]
    assert [line[3] for line in lines[1:]] == ["10", "12"]

    # shared with planner, but planner may not read cost
    refused = await wired.stock.get(result, headers=PLANNER)
    assert refused.status_code == 403
    assert [e["field"] for e in refused.json()["errors"]] == ["query.measures.1"]
    backwards = await wired.stock.get(
        result, params={"date_from": END_P.isoformat(), "date_to": P.isoformat()},
        headers=FINANCE,
    )  # fmt: skip
    assert backwards.status_code == 422
    assert [e["field"] for e in backwards.json()["errors"]] == ["query.date_from"]
    unseen = await wired.stock.get(result, headers=WAREHOUSE)
    assert unseen.status_code == 404

    # saved without dates: this month's, every time it runs
    current = await create(
        wired, definition(query={"measures": ["movements"]}, format="xlsx"), PLANNER
    )
    run = await wired.stock.get(f"{URL}/{current['id']}/result", headers=PLANNER)
    assert run.status_code == 200
    assert run.headers["content-disposition"] == 'attachment; filename="report.xlsx"'


async def test_update_and_delete_by_owner_or_admin(wired: Slice) -> None:
    saved = await create(wired, definition(), FINANCE)
    one = f"{URL}/{saved['id']}"
    changed = definition(name=code("Renamed"), shared_with_roles=["planner", "warehouse"])
    missing = await wired.stock.put(one, json=changed, headers=FINANCE)
    assert missing.status_code == 428
    not_owner = await wired.stock.put(
        one, json=changed, headers={"If-Match": 'W/"1"', **PLANNER}
    )
    assert not_owner.status_code == 403
    updated = await wired.stock.put(one, json=changed, headers={"If-Match": 'W/"1"', **FINANCE})
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] == 'W/"2"'
    assert updated.json()["name"] == changed["name"]
    assert updated.json()["shared_with_roles"] == ["planner", "warehouse"]
    assert await names(wired, WAREHOUSE) == {changed["name"]}
    stale = await wired.stock.put(one, json=changed, headers={"If-Match": 'W/"1"', **FINANCE})
    assert stale.status_code == 412
    by_admin = await wired.stock.put(
        one, json={**changed, "description": "admin"}, headers={"If-Match": 'W/"2"'}
    )
    assert by_admin.status_code == 200 and by_admin.json()["owner"] == "user:fiona"

    other = await create(wired, definition(), OTHER_FINANCE)
    clash = await wired.stock.put(
        f"{URL}/{other['id']}", json=changed, headers={"If-Match": 'W/"1"', **OTHER_FINANCE}
    )
    assert clash.status_code == 409

    assert (await wired.stock.delete(one, headers=WAREHOUSE)).status_code == 403
    assert (await wired.stock.delete(one, headers=FINANCE)).status_code == 204
    assert (await wired.stock.get(one, headers=FINANCE)).status_code == 404
    assert (await wired.stock.delete(one, headers=FINANCE)).status_code == 404
    assert (await wired.stock.delete(f"{URL}/{other['id']}")).status_code == 204


async def test_saving_checks_the_query_as_the_query_endpoint_does(wired: Slice) -> None:
    bad = await wired.stock.post(
        URL,
        json=definition(
            query={
                "measures": ["bogus", "value"],
                "dimensions": ["day", "month", "supplier"],
                "sort": [{"by": "item"}],
            },
            shared_with_roles=["planner", "janitor"],
        ),
        headers=FINANCE,
    )
    assert bad.status_code == 422, bad.text
    assert {(e["field"], e["type"]) for e in bad.json()["errors"]} == {
        ("body.query.measures.0", "unknown_measure"),
        ("body.query.dimensions.1", "second_time_dimension"),
        ("body.query.dimensions.2", "not_with_stock_measures"),
        ("body.query.sort.0.by", "not_in_query"),
        ("body.shared_with_roles.1", "invalid"),
    }
    blind = await wired.stock.post(
        URL, json=definition(query={"measures": ["value"]}), headers=WAREHOUSE
    )
    assert blind.status_code == 403
    assert [e["field"] for e in blind.json()["errors"]] == ["body.query.measures.0"]
    shape = await wired.stock.post(URL, json={"name": "", "query": {}}, headers=FINANCE)
    assert shape.status_code == 422
    assert {e["field"] for e in shape.json()["errors"]} == {"body.name", "body.query.measures"}
    assert await names(wired, auth("admin")) == set()
