"""BOM queries through the catalog app, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.catalog.app import create_app
from services.catalog.query_schemas import (
    BomDiffOut,
    CostRollupOut,
    ExplosionOut,
    LowLevelCodesOut,
    RequirementsOut,
    WhereUsedOut,
)
from services.catalog.settings import Settings
from tests.conftest import TEST_SECRET, auth, running

D = Decimal


@pytest.fixture
async def app(database_factory) -> FastAPI:  # type: ignore[no-untyped-def]
    url = await database_factory("catalog")
    settings = Settings(
        database_url=url,
        internal_token_secret=TEST_SECRET,
        run_background_tasks=False,
        log_json=True,
    )
    return create_app(settings)


@pytest.fixture
async def catalog(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as client:
        yield client


def _code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def item(client: httpx.AsyncClient, prefix: str, item_type: str = "raw_material",
               **extra: Any) -> dict[str, Any]:
    body = {"code": _code(prefix), "name": f"{prefix} part", "uom": "pcs", "item_type": item_type}
    body.update(extra)
    response = await client.post("/v1/items", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def bom(client: httpx.AsyncClient, parent: dict[str, Any], lines: list[dict[str, Any]],
              revision: str = "A", **extra: Any) -> dict[str, Any]:
    body = {"item_code": parent["code"], "revision": revision, "lines": lines, **extra}
    response = await client.post("/v1/boms", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def release(client: httpx.AsyncClient, draft: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"/v1/boms/{draft['id']}/release", json=body,
        headers={"If-Match": f'W/"{draft["version"]}"'},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def released(client: httpx.AsyncClient, parent: dict[str, Any],
                   lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    window = {k: extra.pop(k) for k in ("effective_from", "effective_to") if k in extra}
    return await release(client, await bom(client, parent, lines, **extra), **window)


def ln(component: dict[str, Any], quantity: str, **extra: Any) -> dict[str, Any]:
    return {"component_code": component["code"], "quantity": quantity, **extra}


async def get_json(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


class Board:
    """TOP (per 10) <- SUB, phantom KIT, R (scrap, fixed), LABEL (consumable)."""

    def __init__(self, **parts: dict[str, Any]) -> None:
        self.__dict__.update(parts)


async def board(client: httpx.AsyncClient) -> Board:
    top = await item(client, "TOP", "finished_good")
    sub = await item(client, "SUB", "semi_finished", standard_cost="9")
    kit = await item(client, "KIT", "semi_finished")
    r = await item(client, "R", standard_cost="0.01")
    c = await item(client, "C", standard_cost="0.02")
    c_alt = await item(client, "CALT", standard_cost="0.03")
    pcb = await item(client, "PCB", standard_cost="1.5")
    screw = await item(client, "SCREW", standard_cost="0.05")
    label = await item(client, "LABEL", standard_cost="0.001")
    sub_bom = await released(client, sub, [
        ln(pcb, "1", scrap_percent="10"),
        ln(r, "2", designators="R1-R2"),
        ln(c, "3", designators="C1-C3",
           substitutes=[{"component_code": c_alt["code"], "priority": 1, "ratio": "1.5"}]),
    ], effective_from="2025-01-01")
    kit_bom = await released(client, kit, [ln(screw, "8")], base_quantity="2",
                             effective_from="2025-01-01")
    top_bom = await released(client, top, [
        ln(sub, "10"),
        ln(kit, "20", phantom=True),
        ln(r, "40", scrap_percent="5", fixed_quantity="3"),
        ln(label, "10", consumable=True),
    ], base_quantity="10", effective_from="2025-01-01")
    return Board(top=top, sub=sub, kit=kit, r=r, c=c, c_alt=c_alt, pcb=pcb, screw=screw,
                 label=label, sub_bom=sub_bom, kit_bom=kit_bom, top_bom=top_bom)


def rows_by_path(explosion: dict[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    return {tuple(row["path"]): row for row in explosion["rows"]}


async def test_explosion_of_a_version_and_of_an_item(catalog: httpx.AsyncClient) -> None:
    b = await board(catalog)
    body = await get_json(catalog, f"/v1/boms/{b.top_bom['id']}/explosion", quantity="5",
                          date="2025-06-01")
    ExplosionOut.model_validate(body)
    assert body["bom"]["id"] == b.top_bom["id"] and body["row_count"] == len(body["rows"]) == 8
    rows = rows_by_path(body)
    top, sub, kit = b.top["code"], b.sub["code"], b.kit["code"]
    assert [(row["level"], row["component_code"]) for row in body["rows"]] == [
        (1, sub), (2, b.pcb["code"]), (2, b.r["code"]), (2, b.c["code"]),
        (1, kit), (2, b.screw["code"]), (1, b.r["code"]), (1, b.label["code"]),
    ]
    sub_row = rows[(top, sub)]
    assert sub_row["has_children"] and sub_row["child_bom_id"] == b.sub_bom["id"]
    assert sub_row["bom_id"] == b.top_bom["id"] and D(sub_row["quantity_per"]) == 1
    assert D(rows[(top, sub, b.pcb["code"])]["extended_quantity"]) == D("5.5")
    assert rows[(top, kit)]["phantom"] and D(rows[(top, kit)]["extended_quantity"]) == 10
    assert D(rows[(top, kit, b.screw["code"])]["extended_quantity"]) == 40
    r_row = rows[(top, b.r["code"])]
    assert D(r_row["extended_quantity"]) == 24 and D(r_row["quantity_per"]) == 4
    assert r_row["extended_quantity"] == "24"  # plain, no trailing zeros
    c_row = rows[(top, sub, b.c["code"])]
    assert c_row["designators"] == "C1-C3"
    assert [(s["component_code"], s["ratio"]) for s in c_row["substitutes"]] == [
        (b.c_alt["code"], "1.5")
    ]
    assert rows[(top, b.label["code"])]["consumable"]

    by_item = await get_json(catalog, f"/v1/items/{b.top['id']}/explosion", quantity="5",
                             date="2025-06-01")
    assert by_item == body
    again = await get_json(catalog, f"/v1/boms/{b.top_bom['id']}/explosion", quantity="5",
                           date="2025-06-01")
    assert again == body  # answered from the response cache, same content

    shallow = await get_json(catalog, f"/v1/boms/{b.top_bom['id']}/explosion", max_levels=1,
                             date="2025-06-01")
    assert [row["level"] for row in shallow["rows"]] == [1, 1, 1, 1]
    assert shallow["max_levels"] == 1 and shallow["quantity"] == "1"


async def test_requirements_are_summed_with_phantoms_passed_through(
    catalog: httpx.AsyncClient,
) -> None:
    b = await board(catalog)
    body = await get_json(catalog, f"/v1/boms/{b.top_bom['id']}/requirements", quantity="5",
                          date="2025-06-01")
    RequirementsOut.model_validate(body)
    needs = {(n["component_code"], n["consumable"]): n for n in body["items"]}
    assert (b.kit["code"], False) not in needs
    assert D(needs[(b.r["code"], False)]["quantity"]) == 34
    assert needs[(b.r["code"], False)]["occurrences"] == 2
    assert needs[(b.sub["code"], False)]["sub_assembly"]
    assert D(needs[(b.screw["code"], False)]["quantity"]) == 40
    assert D(needs[(b.label["code"], True)]["quantity"]) == 5


async def test_a_new_release_or_obsolete_is_seen_at_once(catalog: httpx.AsyncClient) -> None:
    """The cached graph (and cached answers) must follow releases, obsoletes and item edits."""
    top = await item(catalog, "TOP", "finished_good")
    sub = await item(catalog, "SUB", "semi_finished")
    old_part, new_part = await item(catalog, "OLD"), await item(catalog, "NEW")
    await released(catalog, sub, [ln(old_part, "1")], effective_from="2025-01-01",
                   effective_to="2025-12-31")
    top_bom = await released(catalog, top, [ln(sub, "2")], effective_from="2025-01-01")
    path = f"/v1/boms/{top_bom['id']}/explosion"

    async def codes() -> list[str]:
        body = await get_json(catalog, path, date="2026-03-01")
        return [row["component_code"] for row in body["rows"]]

    assert await codes() == [sub["code"]]  # SUB has no version effective in 2026
    rev_b = await released(catalog, sub, [ln(new_part, "3")], revision="B",
                           effective_from="2026-01-01")
    assert await codes() == [sub["code"], new_part["code"]]
    used = await get_json(catalog, f"/v1/items/{new_part['id']}/where-used")
    assert [row["parent_item_code"] for row in used["rows"]] == [sub["code"]]

    obsolete = await catalog.post(f"/v1/boms/{rev_b['id']}/obsolete",
                                  headers={"If-Match": f'W/"{rev_b["version"]}"'})
    assert obsolete.status_code == 200, obsolete.text
    assert await codes() == [sub["code"]]

    renamed = await catalog.patch(f"/v1/items/{sub['id']}", json={"name": "Renamed"},
                                  headers={"If-Match": f'W/"{sub["version"]}"'})
    assert renamed.status_code == 200, renamed.text
    body = await get_json(catalog, path, date="2026-03-01")
    assert body["rows"][0]["component_name"] == "Renamed"


async def test_concurrent_readers_load_the_graph_once(
    app: FastAPI, catalog: httpx.AsyncClient
) -> None:
    b = await board(catalog)
    path = f"/v1/boms/{b.top_bom['id']}/explosion"

    async def burst() -> None:
        answers = await asyncio.gather(
            *(catalog.get(path, params={"quantity": str(n)}) for n in range(1, 6))
        )
        assert {answer.status_code for answer in answers} == {200}

    await burst()
    cache = app.state.bom_graph_cache
    assert cache.loads == 1
    await burst()
    assert cache.loads == 1  # nothing changed: no reload
    await item(catalog, "X")  # an item write moves the stamp
    await burst()
    assert cache.loads == 2


async def test_a_draft_is_exploded_as_it_is_now(catalog: httpx.AsyncClient) -> None:
    b = await board(catalog)
    draft = await bom(catalog, b.top, [ln(b.sub, "1")], revision="B")
    path = f"/v1/boms/{draft['id']}/explosion"
    first = await get_json(catalog, path, date="2025-06-01")
    assert first["bom"]["status"] == "draft"
    assert [row["component_code"] for row in first["rows"]][:2] == [b.sub["code"], b.pcb["code"]]
    extra = await item(catalog, "EXTRA")  # created after the graph was loaded
    changed = await catalog.put(
        f"/v1/boms/{draft['id']}",
        json={"lines": [ln(b.sub, "1"), ln(extra, "7")]},
        headers={"If-Match": f'W/"{draft["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    second = await get_json(catalog, path, date="2025-06-01")
    assert second["rows"][-1]["component_code"] == extra["code"]
    assert D(second["rows"][-1]["extended_quantity"]) == 7


async def test_where_used_single_and_multi_level(catalog: httpx.AsyncClient) -> None:
    b = await board(catalog)
    other = await item(catalog, "OTHER", "finished_good")
    await released(catalog, other, [ln(b.sub, "1")], effective_from="2030-01-01")
    single = await get_json(catalog, f"/v1/items/{b.r['id']}/where-used")
    WhereUsedOut.model_validate(single)
    assert sorted(row["parent_item_code"] for row in single["rows"]) == sorted(
        [b.sub["code"], b.top["code"]]
    )
    assert single["top_products"] == [] and not single["multi_level"]

    multi = await get_json(catalog, f"/v1/items/{b.c_alt['id']}/where-used", multi_level="true")
    WhereUsedOut.model_validate(multi)
    first = multi["rows"][0]
    assert first["used_as"] == "substitute" and D(first["quantity"]) == D("4.5")
    assert first["level"] == 1 and first["parent_item_code"] == b.sub["code"]
    assert {row["level"] for row in multi["rows"]} == {1, 2}
    assert sorted(p["code"] for p in multi["top_products"]) == sorted(
        [b.top["code"], other["code"]]
    )
    dated = await get_json(catalog, f"/v1/items/{b.c_alt['id']}/where-used", multi_level="true",
                           date="2025-06-01")
    assert [p["code"] for p in dated["top_products"]] == [b.top["code"]]


async def test_low_level_codes(catalog: httpx.AsyncClient) -> None:
    b = await board(catalog)
    body = await get_json(catalog, "/v1/low-level-codes")
    LowLevelCodesOut.model_validate(body)
    codes = {row["item_code"]: row["low_level_code"] for row in body["items"]}
    assert codes[b.top["code"]] == 0 and codes[b.sub["code"]] == 1 and codes[b.kit["code"]] == 1
    assert codes[b.r["code"]] == 2 and codes[b.screw["code"]] == 2 and codes[b.c_alt["code"]] == 2
    assert body["max_level"] == 2 and body["item_count"] == len(body["items"])
    lonely = await item(catalog, "LONE")
    again = await get_json(catalog, "/v1/low-level-codes")
    assert again["graph_stamp"] > body["graph_stamp"]
    assert {row["item_code"]: row["low_level_code"] for row in again["items"]}[lonely["code"]] == 0


async def test_cost_roll_up_is_for_finance(catalog: httpx.AsyncClient) -> None:
    b = await board(catalog)
    path = f"/v1/boms/{b.top_bom['id']}/cost-rollup"
    planner = await catalog.get(path, headers=auth("planner"))
    assert planner.status_code == 403
    response = await catalog.get(path, params={"date": "2025-06-01"}, headers=auth("finance"))
    assert response.status_code == 200, response.text
    body = response.json()
    CostRollupOut.model_validate(body)
    # SUB 1.73 (rolled up: PCB 1.1 x 1.5 + R 2 x 0.01 + C 3 x 0.02) + KIT 2 x 0.2
    # + R 4 x 1.05 x 0.01 + LABEL 0.001
    assert D(body["cost_per_unit"]) == D("2.173") and body["complete"]
    assert D(body["cost_per_base_quantity"]) == D("21.73")
    assert D(body["fixed_cost_per_order"]) == D("0.03")
    sources = {line["component_code"]: line["cost_source"] for line in body["lines"]}
    assert sources[b.sub["code"]] == "rolled_up" and sources[b.r["code"]] == "standard"

    no_cost = await item(catalog, "NOCOST")
    draft = await bom(catalog, b.top, [ln(b.sub, "1"), ln(no_cost, "2")], revision="B")
    partial = await catalog.get(f"/v1/boms/{draft['id']}/cost-rollup",
                                params={"date": "2025-06-01"})  # admin passes
    assert partial.status_code == 200, partial.text
    body = partial.json()
    assert not body["complete"] and D(body["cost_per_unit"]) == D("1.73")
    assert [(m["component_code"], m["paths"]) for m in body["missing"]] == [
        (no_cost["code"], [[b.top["code"], no_cost["code"]]])
    ]


async def test_diff_of_two_versions(catalog: httpx.AsyncClient) -> None:
    b = await board(catalog)
    revised = await catalog.post(f"/v1/boms/{b.sub_bom['id']}/revise", json={"revision": "B"})
    assert revised.status_code == 201, revised.text
    draft = revised.json()
    lines = [
        ln(b.pcb, "1", scrap_percent="10"),
        ln(b.r, "3", designators="R1-R3"),
        ln(b.screw, "4"),
    ]
    changed = await catalog.put(f"/v1/boms/{draft['id']}", json={"lines": lines},
                                headers={"If-Match": f'W/"{draft["version"]}"'})
    assert changed.status_code == 200, changed.text
    body = await get_json(catalog, f"/v1/boms/{draft['id']}/diff", against=b.sub_bom["id"])
    BomDiffOut.model_validate(body)
    assert body["before"]["id"] == b.sub_bom["id"] and body["after"]["id"] == draft["id"]
    assert [line["component_code"] for line in body["added"]] == [b.screw["code"]]
    assert [line["component_code"] for line in body["removed"]] == [b.c["code"]]
    assert body["unchanged_count"] == 1
    (r_change,) = body["changed"]
    assert r_change["component_code"] == b.r["code"]
    assert {c["field"]: (c["before"], c["after"]) for c in r_change["changes"]}["quantity"] == (
        "2", "3"
    )
    assert r_change["designators_added"] == ["R3"]


async def test_errors_are_problems(catalog: httpx.AsyncClient) -> None:
    b = await board(catalog)
    path = f"/v1/boms/{b.top_bom['id']}/explosion"
    for params in ({"quantity": "0"}, {"quantity": "1.1234567"}, {"max_levels": "51"},
                   {"quantity": "abc"}, {"date": "yesterday"}):
        response = await catalog.get(path, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    missing = await catalog.get("/v1/boms/999999/explosion")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    leaf = await catalog.get(f"/v1/items/{b.r['id']}/explosion")
    assert leaf.status_code == 404 and leaf.json()["code"] == "no_effective_bom"
    early = await catalog.get(f"/v1/items/{b.top['id']}/explosion", params={"date": "2024-01-01"})
    assert early.status_code == 404 and early.json()["code"] == "no_effective_bom"
    assert (await catalog.get("/v1/items/999999/where-used")).status_code == 404
    assert (await catalog.get(f"/v1/boms/{b.top_bom['id']}/diff",
                              params={"against": 999999})).status_code == 404
    unauthenticated = await catalog.get(path, headers={"Authorization": ""})
    assert unauthenticated.status_code == 401
