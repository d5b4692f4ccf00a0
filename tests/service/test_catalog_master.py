"""Item master data: units, categories with attribute schemas, planning fields, AVL, policy."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.conftest import auth
from tests.service.catalog_support import code, make_bom, make_item


async def test_units_are_seeded_and_convert_with_rounding(catalog: httpx.AsyncClient) -> None:
    units = {u["code"]: u for u in (await catalog.get("/v1/units")).json()["items"]}
    assert units["pcs"]["decimals"] == 0 and units["g"]["base_unit"] == "kg"
    grams = await catalog.get(
        "/v1/units/convert", params={"quantity": "1234.5678", "from_uom": "g", "to_uom": "kg"}
    )
    assert grams.status_code == 200, grams.text
    assert Decimal(grams.json()["exact"]) == Decimal("1.2345678")
    assert Decimal(grams.json()["rounded"]) == Decimal("1.235")
    apart = await catalog.get(
        "/v1/units/convert", params={"quantity": "1", "from_uom": "kg", "to_uom": "m"}
    )
    assert apart.status_code == 422 and apart.json()["errors"][0]["type"] == "no_conversion"
    unknown = await catalog.get(
        "/v1/units/convert", params={"quantity": "1", "from_uom": "lb", "to_uom": "oz"}
    )
    assert {e["field"] for e in unknown.json()["errors"]} == {"query.from_uom", "query.to_uom"}


async def test_item_specific_conversion_reel_to_pieces(catalog: httpx.AsyncClient) -> None:
    resistor = await make_item(catalog)
    capacitor = await make_item(catalog)
    put = await catalog.put(
        f"/v1/items/{resistor['id']}/unit-conversions", json=[{"uom": "reel", "factor": "5000"}]
    )
    assert put.status_code == 200, put.text
    await catalog.put(
        f"/v1/items/{capacitor['id']}/unit-conversions", json=[{"uom": "reel", "factor": "10000"}]
    )

    async def convert(item: dict, quantity: str, source: str, target: str) -> httpx.Response:
        return await catalog.get(
            f"/v1/items/{item['id']}/convert",
            params={"quantity": quantity, "from_uom": source, "to_uom": target},
        )

    assert Decimal((await convert(resistor, "2", "reel", "pcs")).json()["exact"]) == 10000
    assert Decimal((await convert(capacitor, "2", "reel", "pcs")).json()["exact"]) == 20000
    partial = (await convert(resistor, "7501", "pcs", "reel")).json()
    assert Decimal(partial["exact"]) == Decimal("1.5002")
    assert Decimal(partial["rounded"]) == 2, "reels are whole and round up"
    bad = await catalog.put(
        f"/v1/items/{resistor['id']}/unit-conversions",
        json=[{"uom": "parsec", "factor": "1"}, {"uom": "pcs", "factor": "2"}],
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["body.0.uom", "body.1.uom"]
    kept = (await catalog.get(f"/v1/items/{resistor['id']}/unit-conversions")).json()
    assert kept["items"] == [{"uom": "reel", "factor": "5000"}]


async def test_category_schema_validates_custom_attributes(catalog: httpx.AsyncClient) -> None:
    schema = {
        "type": "object",
        "properties": {
            "msl": {"type": "integer", "minimum": 1, "maximum": 6},
            "package": {"enum": ["0402", "0603"]},
        },
        "required": ["package"],
        "additionalProperties": False,
    }
    category = await catalog.post(
        "/v1/categories",
        json={"code": code("RES"), "name": "Resistors", "attribute_schema": schema},
    )
    assert category.status_code == 201, category.text
    cat = category.json()
    bad = await catalog.post(
        "/v1/items",
        json={
            "code": code("R"),
            "name": "R",
            "uom": "pcs",
            "item_type": "raw_material",
            "category": cat["code"],
            "attributes": {"msl": 9, "colour": "red"},
        },
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"body.attributes.msl", "body.attributes"} <= fields
    item = await make_item(catalog, category=cat["code"], attributes={"package": "0402", "msl": 3})
    assert item["category"] == cat["code"] and item["attributes"]["msl"] == 3
    # A schema change that an existing item would break is refused and names the item.
    tighter = {
        **schema,
        "properties": {**schema["properties"], "msl": {"type": "integer", "maximum": 2}},
    }
    refused = await catalog.patch(
        f"/v1/categories/{cat['id']}",
        json={"attribute_schema": tighter},
        headers={"If-Match": 'W/"1"'},
    )
    assert refused.status_code == 422 and item["code"] in refused.json()["errors"][0]["message"]
    broken = await catalog.post(
        "/v1/categories",
        json={"code": code("X"), "name": "X", "attribute_schema": {"type": "strin"}},
    )
    assert broken.status_code == 422 and broken.json()["errors"][0]["type"] == "bad_schema"


async def test_planning_fields_and_lot_sizing_rules(catalog: httpx.AsyncClient) -> None:
    item = await make_item(
        catalog,
        safety_stock="20000",
        lead_time_days=14,
        lot_sizing={"policy": "minimum", "minimum_quantity": "10000", "multiple": "5000"},
        lifecycle="not_recommended",
        specification="10kΩ ±1% 0402",
    )
    assert item["lot_sizing"] == {
        "policy": "minimum",
        "fixed_quantity": None,
        "minimum_quantity": "10000",
        "multiple": "5000",
    }
    assert item["safety_stock"] == "20000" and item["lead_time_days"] == 14
    bad = await catalog.post(
        "/v1/items",
        json={
            "code": code("R"),
            "name": "R",
            "uom": "furlong",
            "item_type": "raw_material",
            "lot_sizing": {"policy": "fixed"},
            "lead_time_days": -1,
        },
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"body.lot_sizing", "body.lead_time_days"} <= fields
    unknown_unit = await catalog.post(
        "/v1/items",
        json={
            "code": code("R"),
            "name": "R",
            "uom": "furlong",
            "item_type": "raw_material",
            "category": "NO-SUCH",
        },
    )
    assert {e["field"] for e in unknown_unit.json()["errors"]} == {"body.uom", "body.category"}
    listed = (await catalog.get("/v1/items", params={"lifecycle": "not_recommended"})).json()
    assert [i["code"] for i in listed["items"]] == [item["code"]]
    found = (await catalog.get("/v1/items", params={"q": "±1%"})).json()
    assert [i["code"] for i in found["items"]] == [item["code"]]


async def test_standard_cost_is_finance_only(catalog: httpx.AsyncClient) -> None:
    planner = auth("planner")
    finance = auth("finance")
    body = {"code": code("R"), "name": "R", "uom": "pcs", "item_type": "raw_material"}
    refused = await catalog.post(
        "/v1/items", json={**body, "standard_cost": "0.0021"}, headers=planner
    )
    assert refused.status_code == 403 and refused.json()["code"] == "field_write_forbidden"
    assert refused.json()["errors"][0]["field"] == "body.standard_cost"
    item = (await catalog.post("/v1/items", json=body, headers=planner)).json()
    assert "standard_cost" not in item
    path = f"/v1/items/{item['id']}"
    cost = await catalog.patch(
        path, json={"standard_cost": "0.0021"}, headers={**finance, "If-Match": 'W/"1"'}
    )
    assert cost.status_code == 200 and cost.json()["standard_cost"] == "0.0021"
    not_name = await catalog.patch(
        path, json={"name": "x", "standard_cost": "1"}, headers={**finance, "If-Match": 'W/"2"'}
    )
    assert not_name.status_code == 403
    assert [e["field"] for e in not_name.json()["errors"]] == ["body.name"]
    seen_by_planner = (await catalog.get(path, headers=planner)).json()
    assert "standard_cost" not in seen_by_planner
    listed = (
        await catalog.get("/v1/items", params={"code_prefix": body["code"]}, headers=planner)
    ).json()
    assert "standard_cost" not in listed["items"][0]
    assert (await catalog.get(path)).json()["standard_cost"] == "0.0021"  # admin


async def test_manufacturer_parts_form_the_avl(catalog: httpx.AsyncClient) -> None:
    item = await make_item(catalog)
    base = f"/v1/items/{item['id']}/manufacturer-parts"
    first = await catalog.post(base, json={"manufacturer": "Yageo", "mpn": "RC0402FR-0710KL"})
    assert first.status_code == 201, first.text
    second = await catalog.post(
        base, json={"manufacturer": "UniOhm", "mpn": "0402WGF1002TCE", "priority": 2}
    )
    again = await catalog.post(base, json={"manufacturer": "Yageo", "mpn": "RC0402FR-0710KL"})
    assert again.status_code == 409
    changed = await catalog.patch(f"{base}/{second.json()['id']}", json={"approved": False})
    assert changed.json()["approved"] is False
    parts = (await catalog.get(base)).json()["items"]
    assert [(p["mpn"], p["approved"]) for p in parts] == [
        ("RC0402FR-0710KL", True),
        ("0402WGF1002TCE", False),
    ]
    by_mpn = (await catalog.get("/v1/items", params={"mpn": "0402WGF1002TCE"})).json()
    assert [i["code"] for i in by_mpn["items"]] == [item["code"]]
    assert (await catalog.delete(f"{base}/{first.json()['id']}")).status_code == 204
    assert len((await catalog.get(base)).json()["items"]) == 1


async def test_routing_operations_in_sequence(catalog: httpx.AsyncClient) -> None:
    board = await make_item(catalog, made=True)
    ops = [
        {
            "sequence": 20,
            "code": "REFLOW",
            "name": "Reflow",
            "work_center": "SMT-1",
            "standard_minutes": "0.5",
        },
        {
            "sequence": 10,
            "code": "PRINT",
            "name": "Solder paste print",
            "work_center": "SMT-1",
            "standard_minutes": "0.2",
            "setup_minutes": "15",
        },
    ]
    created = await catalog.post(
        "/v1/routings", json={"item_code": board["code"], "operations": ops}
    )
    assert created.status_code == 201, created.text
    routing = created.json()
    assert [o["code"] for o in routing["operations"]] == ["PRINT", "REFLOW"]
    twice = await catalog.post("/v1/routings", json={"item_code": board["code"], "operations": ops})
    assert twice.status_code == 409
    bought = await make_item(catalog)
    refused = await catalog.post(
        "/v1/routings", json={"item_code": bought["code"], "operations": ops}
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["type"] == "not_made"
    dup = await catalog.put(
        f"/v1/routings/{routing['id']}",
        json={"operations": [ops[0], {**ops[1], "code": "REFLOW"}]},
        headers={"If-Match": 'W/"1"'},
    )
    assert dup.status_code == 422
    # A BOM line consuming at PRINT keeps PRINT in the routing.
    paste = await make_item(catalog, uom="g")
    await make_bom(
        catalog,
        board,
        [
            {
                "component_code": paste["code"],
                "quantity": "0.3",
                "consumable": True,
                "operation_code": "PRINT",
            }
        ],
    )
    dropped = await catalog.put(
        f"/v1/routings/{routing['id']}",
        json={"operations": [ops[0]]},
        headers={"If-Match": 'W/"1"'},
    )
    assert dropped.status_code == 422 and dropped.json()["errors"][0]["type"] == "in_use"
    listed = (await catalog.get("/v1/routings", params={"item_code": board["code"]})).json()
    assert [r["id"] for r in listed["items"]] == [routing["id"]]


@pytest.mark.parametrize("use", ["bom_component", "routing"])
async def test_item_in_use_cannot_be_deleted(catalog: httpx.AsyncClient, use: str) -> None:
    part = await make_item(catalog)
    board = await make_item(catalog, made=True)
    if use == "bom_component":
        await make_bom(catalog, board, [{"component_code": part["code"], "quantity": "1"}])
        target = part
    else:
        await catalog.post(
            "/v1/routings",
            json={
                "item_code": board["code"],
                "operations": [
                    {
                        "sequence": 10,
                        "code": "A",
                        "name": "A",
                        "work_center": "W",
                        "standard_minutes": "1",
                    }
                ],
            },
        )
        target = board
    refused = await catalog.delete(f"/v1/items/{target['id']}", headers={"If-Match": 'W/"1"'})
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "item_in_use" and "obsolete" in refused.json()["detail"]
    assert (await catalog.get(f"/v1/items/{target['id']}")).status_code == 200


async def test_unreadable_multipart_body_is_a_validation_problem(
    catalog: httpx.AsyncClient,
) -> None:
    response = await catalog.post(
        "/v1/imports/items",
        content=b"--abc\r\n[not a part]--abc--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=abc"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["type"] == "multipart_invalid"


async def test_a_schema_with_an_integer_beyond_64_bits_is_answered(
    catalog: httpx.AsyncClient,
) -> None:
    """Free-form JSON may hold any integer; the response must not fail to render."""
    schema = {"type": "object", "properties": {"count": {"type": "integer", "maximum": 2**70}}}
    created = await catalog.post(
        "/v1/categories", json={"code": code("BIG"), "name": "Big", "attribute_schema": schema}
    )
    assert created.status_code == 201, created.text
    assert created.json()["attribute_schema"] == schema
