"""`GET /v1/planning-data`: items and released BOMs for MRP at one graph stamp."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.app import create_app
from services.catalog.db.models import Item
from services.catalog.planning_schemas import PlanningDataOut
from services.catalog.settings import Settings
from services.catalog.usecases.bom_queries import GraphCache, read_stamp
from services.catalog.usecases.lookups import bump_graph_stamp
from services.catalog.usecases.planning import ATTEMPTS, planning_data
from tests.conftest import TEST_SECRET, auth, running
from tests.service.catalog_support import line, make_bom, make_item, released_bom

D = Decimal
PATH = "/v1/planning-data"


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


async def planning(client: httpx.AsyncClient, role: str = "planner") -> dict[str, Any]:
    response = await client.get(PATH, headers=auth(role))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    PlanningDataOut.model_validate(body)
    return body


def items_by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["code"]: item for item in body["items"]}


def boms_of(body: dict[str, Any], parent: dict[str, Any]) -> list[dict[str, Any]]:
    return [bom for bom in body["boms"] if bom["item_id"] == parent["id"]]


def lines_by_code(bom: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["component_code"]: row for row in bom["lines"]}


async def set_conversions(client: httpx.AsyncClient, item: dict[str, Any], **factors: str) -> None:
    response = await client.put(
        f"/v1/items/{item['id']}/unit-conversions",
        json=[{"uom": uom, "factor": factor} for uom, factor in factors.items()],
    )
    assert response.status_code == 200, response.text


@dataclass
class Board:
    top: dict[str, Any]
    sub: dict[str, Any]
    kit: dict[str, Any]
    r: dict[str, Any]
    c: dict[str, Any]
    c_alt: dict[str, Any]
    solder: dict[str, Any]
    screw: dict[str, Any]
    top_bom: dict[str, Any]


async def board(client: httpx.AsyncClient) -> Board:
    """TOP (per 4) <- SUB, phantom KIT, R by the reel, SOLDER in g, C (or C_ALT x 1.5)."""
    top = await make_item(client, made=True, item_type="finished_good", standard_cost="12.5")
    sub = await make_item(client, made=True, lead_time_days=3)
    kit = await make_item(client, made=True)
    r = await make_item(
        client,
        lead_time_days=14,
        safety_stock="2000.50",
        lot_sizing={"policy": "minimum", "minimum_quantity": "10000", "multiple": "5000"},
        standard_cost="0.01",
    )
    await set_conversions(client, r, reel="5000")
    c = await make_item(client, lot_sizing={"policy": "fixed", "fixed_quantity": "4000"})
    c_alt = await make_item(client, procurement="make")
    solder = await make_item(client, uom="kg")
    screw = await make_item(client)
    await released_bom(client, sub, [line(r, "2"), line(solder, "1.5", uom="g")])
    await released_bom(client, kit, [line(screw, "8")], base_quantity="2")
    top_bom = await released_bom(
        client,
        top,
        [
            line(sub, "1", position=10),
            line(kit, "2", phantom=True, position=20),
            line(
                r,
                "1",
                uom="reel",
                scrap_percent="5",
                fixed_quantity="0.5",
                rounding_multiple="0.2",
                backflush=True,
                position=30,
            ),
            line(solder, "10", uom="g", position=40),
            line(
                c,
                "3",
                position=50,
                substitutes=[{"component_code": c_alt["code"], "priority": 1, "ratio": "1.5"}],
            ),
        ],
        base_quantity="4",
    )
    return Board(top, sub, kit, r, c, c_alt, solder, screw, top_bom)


async def test_items_carry_planning_fields_lot_sizing_and_low_level_codes(
    catalog: httpx.AsyncClient,
) -> None:
    b = await board(catalog)
    old = await make_item(catalog, lifecycle="obsolete")
    body = await planning(catalog)
    items = items_by_code(body)
    assert [item["id"] for item in body["items"]] == sorted(item["id"] for item in body["items"])
    r = items[b.r["code"]]
    assert r["id"] == b.r["id"] and r["uom"] == "pcs" and r["item_type"] == "raw_material"
    assert r["procurement"] == "buy" and r["lead_time_days"] == 14
    assert r["safety_stock"] == "2000.5" and r["lifecycle"] == "active"
    assert r["lot_sizing"] == {
        "policy": "minimum",
        "fixed_quantity": None,
        "minimum_quantity": "10000",
        "multiple": "5000",
    }
    assert items[b.c["code"]]["lot_sizing"] == {
        "policy": "fixed",
        "fixed_quantity": "4000",
        "minimum_quantity": None,
        "multiple": None,
    }
    assert items[b.c_alt["code"]]["procurement"] == "make"
    top = items[b.top["code"]]
    assert top["procurement"] == "make" and top["item_type"] == "finished_good"
    assert top["lot_sizing"]["policy"] == "lot_for_lot" and top["safety_stock"] == "0"
    assert items[old["code"]]["lifecycle"] == "obsolete", "every lifecycle is listed"
    assert all("standard_cost" not in item for item in body["items"])
    codes = {code: item["low_level_code"] for code, item in items.items()}
    assert codes[b.top["code"]] == 0 and codes[old["code"]] == 0
    assert codes[b.sub["code"]] == 1 and codes[b.kit["code"]] == 1 and codes[b.c["code"]] == 1
    assert codes[b.c_alt["code"]] == 1, "substitutes count as components"
    assert codes[b.r["code"]] == 2 and codes[b.solder["code"]] == 2
    assert codes[b.screw["code"]] == 2


async def test_lines_are_in_component_stock_units_per_parent_unit(
    catalog: httpx.AsyncClient,
) -> None:
    b = await board(catalog)
    body = await planning(catalog)
    [top_bom] = boms_of(body, b.top)
    assert top_bom["id"] == b.top_bom["id"] and top_bom["item_code"] == b.top["code"]
    assert top_bom["revision"] == "A" and top_bom["base_quantity"] == "4"
    assert [row["position"] for row in top_bom["lines"]] == [10, 20, 30, 40, 50]
    rows = lines_by_code(top_bom)
    reel = rows[b.r["code"]]
    # 1 reel per 4 parents = 0.25 reel = 1250 pcs per parent; fixed 0.5 reel = 2500 pcs
    assert reel["quantity"] == "1" and reel["uom"] == "reel"
    assert reel["quantity_per"] == "1250" and reel["scrap_percent"] == "5"
    assert reel["fixed_quantity"] == "2500" and reel["rounding_multiple"] == "1000"
    assert reel["backflush"] is True and reel["phantom"] is False
    assert reel["conversion_problem"] is None and reel["substitutes"] == []
    solder = rows[b.solder["code"]]
    # 10 g per 4 parents = 2.5 g = 0.0025 kg per parent
    assert solder["quantity"] == "10" and solder["uom"] == "g"
    assert solder["quantity_per"] == "0.0025" and solder["fixed_quantity"] == "0"
    assert solder["rounding_multiple"] is None and solder["backflush"] is False
    kit = rows[b.kit["code"]]
    assert kit["phantom"] is True and kit["quantity_per"] == "0.5" and kit["uom"] == "pcs"
    assert rows[b.sub["code"]]["quantity_per"] == "0.25"
    cap = rows[b.c["code"]]
    assert cap["quantity_per"] == "0.75" and cap["operation_code"] is None
    assert cap["substitutes"] == [
        {
            "component_id": b.c_alt["id"],
            "component_code": b.c_alt["code"],
            "priority": 1,
            "ratio": "1.5",
        }
    ]
    [kit_bom] = boms_of(body, b.kit)
    assert kit_bom["base_quantity"] == "2"
    assert lines_by_code(kit_bom)[b.screw["code"]]["quantity_per"] == "4"
    [sub_bom] = boms_of(body, b.sub)
    assert lines_by_code(sub_bom)[b.solder["code"]]["quantity_per"] == "0.0015"
    for bom in body["boms"]:
        for row in bom["lines"]:
            assert D(row["quantity_per"]) > 0 and "E" not in row["quantity_per"]


async def test_only_released_versions_with_every_effectivity_window(
    catalog: httpx.AsyncClient,
) -> None:
    board_item = await make_item(catalog, made=True)
    part, other_part = await make_item(catalog), await make_item(catalog)
    first = await released_bom(
        catalog,
        board_item,
        [line(part, "2")],
        effective_from="2025-01-01",
        effective_to="2025-06-30",
    )
    second = await released_bom(
        catalog, board_item, [line(other_part, "3")], revision="B", effective_from="2025-07-01"
    )
    draft = await make_bom(catalog, board_item, [line(part, "9")], revision="C")
    gone_item = await make_item(catalog, made=True)
    gone = await released_bom(catalog, gone_item, [line(part, "1")])
    obsoleted = await catalog.post(
        f"/v1/boms/{gone['id']}/obsolete", headers={"If-Match": f'W/"{gone["version"]}"'}
    )
    assert obsoleted.status_code == 200, obsoleted.text

    body = await planning(catalog)
    versions = boms_of(body, board_item)
    assert [(v["id"], v["revision"]) for v in versions] == [(first["id"], "A"), (second["id"], "B")]
    assert (versions[0]["effective_from"], versions[0]["effective_to"]) == (
        "2025-01-01",
        "2025-06-30",
    )
    assert (versions[1]["effective_from"], versions[1]["effective_to"]) == ("2025-07-01", None)
    assert [row["component_code"] for row in versions[1]["lines"]] == [other_part["code"]]
    ids = {bom["id"] for bom in body["boms"]}
    assert draft["id"] not in ids and gone["id"] not in ids
    assert boms_of(body, gone_item) == []
    assert items_by_code(body)[gone_item["code"]]["low_level_code"] == 0


async def test_stamp_moves_with_releases_and_item_changes(catalog: httpx.AsyncClient) -> None:
    parent, part = await make_item(catalog, made=True), await make_item(catalog)
    before = await planning(catalog)
    again = await catalog.get(PATH, headers=auth("planner"))
    assert again.json()["graph_stamp"] == before["graph_stamp"]
    assert boms_of(before, parent) == []

    bom = await released_bom(catalog, parent, [line(part, "2")])
    after = await planning(catalog)
    assert after["graph_stamp"] > before["graph_stamp"]
    assert [v["id"] for v in boms_of(after, parent)] == [bom["id"]]
    assert items_by_code(after)[part["code"]]["low_level_code"] == 1

    changed = await catalog.patch(
        f"/v1/items/{part['id']}",
        json={"lead_time_days": 21},
        headers={"If-Match": f'W/"{part["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    latest = await planning(catalog)
    assert latest["graph_stamp"] > after["graph_stamp"]
    assert items_by_code(latest)[part["code"]]["lead_time_days"] == 21


async def test_a_current_copy_is_not_sent_again(catalog: httpx.AsyncClient) -> None:
    parent, part = await make_item(catalog, made=True), await make_item(catalog)
    await released_bom(catalog, parent, [line(part, "2")])
    first = await catalog.get(PATH, params={"root": parent["code"]}, headers=auth("planner"))
    tag = first.headers["etag"]
    assert tag == f'W/"{first.json()["graph_stamp"]}"'

    for sent in (tag, tag.removeprefix("W/"), f'W/"0", {tag}'):
        same = await catalog.get(
            PATH,
            params={"root": parent["code"]},
            headers={**auth("planner"), "If-None-Match": sent},
        )
        assert same.status_code == 304, sent
        assert same.content == b""
        assert same.headers["etag"] == tag

    stale = await catalog.get(PATH, headers={**auth("planner"), "If-None-Match": 'W/"0"'})
    assert stale.status_code == 200
    changed = await catalog.patch(
        f"/v1/items/{part['id']}",
        json={"lead_time_days": 9},
        headers={"If-Match": f'W/"{part["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    fresh = await catalog.get(
        PATH, params={"root": parent["code"]}, headers={**auth("planner"), "If-None-Match": tag}
    )
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != tag
    assert items_by_code(fresh.json())[part["code"]]["lead_time_days"] == 9
    refused = await catalog.get(PATH, headers={**auth("warehouse"), "If-None-Match": tag})
    assert refused.status_code == 403


async def test_planners_services_and_admins_read_it_others_do_not(
    catalog: httpx.AsyncClient,
) -> None:
    await make_item(catalog, standard_cost="3")
    for role in ("planner", "service", "admin"):
        body = await planning(catalog, role)
        assert all("standard_cost" not in item for item in body["items"])
    for role in ("warehouse", "finance", "qc", "integration"):
        refused = await catalog.get(PATH, headers=auth(role))
        assert refused.status_code == 403, role
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "forbidden"
    anonymous = await catalog.get(PATH, headers={"Authorization": ""})
    assert anonymous.status_code == 401


async def test_a_line_whose_unit_no_longer_converts_is_listed_with_the_problem(
    catalog: httpx.AsyncClient,
) -> None:
    parent = await make_item(catalog, made=True)
    r, c = await make_item(catalog), await make_item(catalog)
    await set_conversions(catalog, r, reel="5000")
    bom = await released_bom(
        catalog,
        parent,
        [line(r, "1", uom="reel", fixed_quantity="1", rounding_multiple="1"), line(c, "2")],
        base_quantity="2",
    )
    assert (
        lines_by_code(boms_of(await planning(catalog), parent)[0])[r["code"]]["quantity_per"]
        == "2500"
    )
    await set_conversions(catalog, r)  # the reel conversion is gone; the released line stays
    body = await planning(catalog)
    [version] = boms_of(body, parent)
    assert version["id"] == bom["id"]
    rows = lines_by_code(version)
    broken = rows[r["code"]]
    assert broken["quantity_per"] is None and broken["fixed_quantity"] is None
    assert broken["rounding_multiple"] is None
    assert broken["quantity"] == "1" and broken["uom"] == "reel"
    assert "reel" in broken["conversion_problem"] and r["code"] in broken["conversion_problem"]
    assert rows[c["code"]]["quantity_per"] == "1" and rows[c["code"]]["conversion_problem"] is None


# --- consistency ---------------------------------------------------------------------------


@dataclass
class RacingCache(GraphCache):
    """A graph cache after whose answer a writer commits (before the items are read)."""

    writer: Callable[[], Awaitable[None]] | None = None
    races: int = 0
    every_time: bool = False

    async def current(self, session: AsyncSession, *, force: bool = False) -> Any:
        snapshot = await super().current(session, force=force)
        if self.writer is not None and (self.every_time or self.races == 0):
            self.races += 1
            await self.writer()
        return snapshot


def lead_time_writer(app: FastAPI, item_id: int, seen: dict[int, int]) -> Callable[[], Any]:
    """Each call commits a new lead time (stamp bumped first); `seen`: stamp -> lead time."""

    async def write() -> None:
        db = app.state.db
        lead_time = len(seen) + 100
        async with db.sessionmaker() as session, session.begin():
            await bump_graph_stamp(session)
            await session.execute(
                update(Item).where(Item.id == item_id).values(lead_time_days=lead_time)
            )
        async with db.read() as session:
            seen[await read_stamp(session)] = lead_time

    return write


@pytest.mark.parametrize("every_time", [False, True])
async def test_items_and_boms_are_of_the_stamp_they_say_when_writers_race(
    app: FastAPI, catalog: httpx.AsyncClient, backend: str, every_time: bool
) -> None:
    part = await make_item(catalog, lead_time_days=7)
    await released_bom(catalog, await make_item(catalog, made=True), [line(part, "1")])
    start = (await planning(catalog))["graph_stamp"]
    seen = {start: 7}
    cache = RacingCache(writer=lead_time_writer(app, part["id"], seen), every_time=every_time)
    app.state.bom_graph_cache = cache

    body = await planning(catalog)
    assert items_by_code(body)[part["code"]]["lead_time_days"] == seen[body["graph_stamp"]]
    if backend == "sqlite":
        # the read transaction is one snapshot: the first try holds
        assert body["graph_stamp"] == start and cache.races == 1
    elif every_time:
        # every try saw a writer commit: the answer was read in one snapshot at the end
        assert cache.races == ATTEMPTS and body["graph_stamp"] == start + ATTEMPTS
    else:
        # the first try saw the writer commit and was read again
        assert cache.races == 1 and body["graph_stamp"] == start + 1
    cache.writer = None
    latest = await planning(catalog)
    assert latest["graph_stamp"] == max(seen)
    assert items_by_code(latest)[part["code"]]["lead_time_days"] == seen[max(seen)]


async def test_the_one_snapshot_read_answers_the_same(
    app: FastAPI, catalog: httpx.AsyncClient
) -> None:
    b = await board(catalog)
    await make_bom(catalog, b.sub, [line(b.r, "1")], revision="B")
    cached = await catalog.get(PATH, headers=auth("service"))
    assert cached.status_code == 200
    stamp, direct = await planning_data(app.state.db, GraphCache(), attempts=0)
    assert json.loads(direct) == cached.json()
    assert direct == cached.content
    assert cached.headers["etag"] == f'W/"{stamp}"'
    assert stamp == cached.json()["graph_stamp"]


async def test_roots_give_the_items_below_them_and_nothing_else(
    catalog: httpx.AsyncClient,
) -> None:
    part, other, substitute = (
        await make_item(catalog),
        await make_item(catalog),
        await make_item(catalog),
    )
    sub = await make_item(catalog, made=True)
    top = await make_item(catalog, made=True)
    elsewhere = await make_item(catalog, made=True)
    await released_bom(
        catalog, sub, [line(part, "2", substitutes=[{"component_code": substitute["code"]}])]
    )
    await released_bom(catalog, top, [line(sub, "1")])
    await released_bom(catalog, elsewhere, [line(other, "1")])
    response = await catalog.get(PATH, params={"root": top["code"]}, headers=auth("planner"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(items_by_code(body)) == {top["code"], sub["code"], part["code"], substitute["code"]}
    assert {bom["item_code"] for bom in body["boms"]} == {top["code"], sub["code"]}
    both = await catalog.get(
        PATH, params={"root": [sub["code"], elsewhere["code"]]}, headers=auth("planner")
    )
    assert {bom["item_code"] for bom in both.json()["boms"]} == {sub["code"], elsewhere["code"]}
    unknown = await catalog.get(PATH, params={"root": ["NO-SUCH"]}, headers=auth("planner"))
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.root.0"
    whole = await planning(catalog)
    assert len(whole["items"]) > len(body["items"])
    # a rooted answer is remembered until the stamp moves: an item change moves it
    changed = await catalog.patch(
        f"/v1/items/{part['id']}",
        json={"lead_time_days": 42},
        headers={"If-Match": f'W/"{part["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    again = await catalog.get(PATH, params={"root": top["code"]}, headers=auth("planner"))
    assert items_by_code(again.json())[part["code"]]["lead_time_days"] == 42
