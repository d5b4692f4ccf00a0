"""BOM versions: drafts, release rules, effectivity, cycles, revisions, immutability."""

from __future__ import annotations

import httpx

from tests.service.catalog_support import (
    line,
    make_bom,
    make_item,
    release,
    released_bom,
)


async def test_draft_keeps_lines_designators_and_substitutes(catalog: httpx.AsyncClient) -> None:
    board = await make_item(catalog, made=True)
    r10k, r10k_alt, cap = [await make_item(catalog) for _ in range(3)]
    bom = await make_bom(
        catalog,
        board,
        [
            line(cap, "2", designators="C1 C2", position=20),
            line(
                r10k,
                "4",
                designators="R1, R3-R5",
                scrap_percent="2.5",
                fixed_quantity="10",
                rounding_multiple="5000",
                position=10,
                substitutes=[{"component_code": r10k_alt["code"], "priority": 1}],
            ),
        ],
        base_quantity="1",
    )
    assert bom["status"] == "draft" and bom["line_count"] == 2
    first = bom["lines"][0]
    assert first["component_code"] == r10k["code"] and first["designator_count"] == 4
    assert first["substitutes"][0]["component_code"] == r10k_alt["code"]
    assert first["scrap_percent"] == "2.5" and first["fixed_quantity"] == "10"
    again = (await catalog.get(f"/v1/boms/{bom['id']}")).json()
    assert again == bom


async def test_bad_lines_are_all_named(catalog: httpx.AsyncClient) -> None:
    board = await make_item(catalog, made=True)
    part = await make_item(catalog)
    response = await catalog.post(
        "/v1/boms",
        json={
            "item_code": board["code"],
            "revision": "A",
            "lines": [
                line(part, "3", designators="R1-R2"),
                {"component_code": "NO-SUCH-PART", "quantity": "1"},
                line(part, "1", uom="furlong"),
                line(board, "1"),
            ],
        },
    )
    assert response.status_code == 422, response.text
    found = {(e["field"], e["type"]) for e in response.json()["errors"]}
    assert found == {
        ("body.lines.0.designators", "designator_count"),
        ("body.lines.1.component_code", "unknown_item"),
        ("body.lines.2.uom", "unknown_unit"),
        ("body.lines.3.component_code", "cycle"),
    }
    assert (await catalog.get("/v1/boms", params={"item_code": board["code"]})).json()[
        "items"
    ] == []
    bought = await catalog.post(
        "/v1/boms", json={"item_code": part["code"], "revision": "A", "lines": [line(board)]}
    )
    assert bought.status_code == 422 and bought.json()["errors"][0]["type"] == "not_made"


async def test_designators_per_base_quantity(catalog: httpx.AsyncClient) -> None:
    board = await make_item(catalog, made=True)
    part = await make_item(catalog)
    glue = await make_item(catalog, uom="g")
    # Per 10 boards, 20 resistors: two places on each board.
    ok = await catalog.post(
        "/v1/boms",
        json={
            "item_code": board["code"],
            "revision": "A",
            "base_quantity": "10",
            "lines": [line(part, "20", designators="R1,R2"), line(glue, "0.5", designators="G1")],
        },
    )
    assert ok.status_code == 201, ok.text


async def test_release_makes_a_version_immutable(catalog: httpx.AsyncClient) -> None:
    board = await make_item(catalog, made=True)
    part = await make_item(catalog)
    bom = await make_bom(catalog, board, [line(part, "2")])
    stale = await catalog.post(
        f"/v1/boms/{bom['id']}/release", json={}, headers={"If-Match": 'W/"9"'}
    )
    assert stale.status_code == 412
    released = await release(catalog, bom)
    assert released.status_code == 200, released.text
    body = released.json()
    assert body["status"] == "released" and body["effective_from"] and body["released_by"]
    etag = {"If-Match": released.headers["etag"]}
    edit = await catalog.put(
        f"/v1/boms/{bom['id']}", json={"lines": [line(part, "3")]}, headers=etag
    )
    assert edit.status_code == 409 and edit.json()["code"] == "bom_not_draft"
    delete = await catalog.delete(f"/v1/boms/{bom['id']}", headers=etag)
    assert delete.status_code == 409
    twice = await catalog.post(f"/v1/boms/{bom['id']}/release", json={}, headers=etag)
    assert twice.status_code == 409
    assert (await catalog.get(f"/v1/boms/{bom['id']}")).json()["lines"][0]["quantity"] == "2"
    events = [e["type"] for e in (await catalog.get("/v1/events")).json()["events"]]
    assert "BomReleased" in events


async def test_draft_can_change_and_be_deleted(catalog: httpx.AsyncClient) -> None:
    board = await make_item(catalog, made=True)
    part = await make_item(catalog)
    bom = await make_bom(catalog, board, [line(part, "2")])
    changed = await catalog.put(
        f"/v1/boms/{bom['id']}",
        json={"base_quantity": "1", "lines": [line(part, "3")]},
        headers={"If-Match": 'W/"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["lines"][0]["quantity"] == "3" and changed.json()["version"] == 2
    gone = await catalog.delete(f"/v1/boms/{bom['id']}", headers={"If-Match": 'W/"2"'})
    assert gone.status_code == 204
    assert (await catalog.get(f"/v1/boms/{bom['id']}")).status_code == 404


async def test_release_refuses_a_cycle_across_boms(catalog: httpx.AsyncClient) -> None:
    top, middle, bottom = [await make_item(catalog, made=True) for _ in range(3)]
    await released_bom(catalog, top, [line(middle)])
    await released_bom(catalog, middle, [line(bottom)])
    closing = await make_bom(catalog, bottom, [line(top)])
    refused = await release(catalog, closing)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "bom_cycle"
    assert top["code"] in problem["detail"] and bottom["code"] in problem["detail"]
    assert (await catalog.get(f"/v1/boms/{closing['id']}")).json()["status"] == "draft"
    # A substitute closing the loop is a cycle too.
    part = await make_item(catalog)
    sneaky = await make_bom(
        catalog,
        bottom,
        [line(part, substitutes=[{"component_code": middle["code"]}])],
        revision="B",
    )
    assert (await release(catalog, sneaky)).json()["code"] == "bom_cycle"


async def test_released_windows_never_overlap(catalog: httpx.AsyncClient) -> None:
    board = await make_item(catalog, made=True)
    part = await make_item(catalog)
    a = await released_bom(catalog, board, [line(part)], revision="A", effective_from="2026-01-01")
    b = await make_bom(catalog, board, [line(part, "2")], revision="B", effective_from="2026-06-01")
    overlap = await release(catalog, b)
    assert overlap.status_code == 409 and overlap.json()["code"] == "effectivity_overlap"
    assert "supersede" in overlap.json()["detail"]
    superseding = await release(catalog, b, supersede=True)
    assert superseding.status_code == 200, superseding.text
    a_now = (await catalog.get(f"/v1/boms/{a['id']}")).json()
    assert a_now["effective_to"] == "2026-05-31" and a_now["status"] == "released"
    # A window before A fits; one that would start before A and run on cannot be cut.
    c = await make_bom(
        catalog,
        board,
        [line(part, "3")],
        revision="C",
        effective_from="2025-01-01",
        effective_to="2025-12-31",
    )
    assert (await release(catalog, c)).status_code == 200
    d = await make_bom(catalog, board, [line(part, "4")], revision="D", effective_from="2025-06-01")
    refused = await release(catalog, d, supersede=True)
    assert refused.status_code == 409 and refused.json()["overlapping_bom_id"] == a["id"]
    c_now = (await catalog.get(f"/v1/boms/{c['id']}")).json()
    assert c_now["effective_to"] == "2025-12-31", "a refused release changes nothing"


async def test_end_of_life_needs_override_and_obsolete_is_refused(
    catalog: httpx.AsyncClient,
) -> None:
    board = await make_item(catalog, made=True)
    eol = await make_item(catalog, lifecycle="end_of_life")
    dead = await make_item(catalog, lifecycle="obsolete")
    bom = await make_bom(catalog, board, [line(eol)])
    refused = await release(catalog, bom)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["type"] == "end_of_life"
    assert (await release(catalog, bom, allow_end_of_life=True)).status_code == 200
    other = await make_bom(catalog, board, [line(dead)], revision="B")
    never = await release(catalog, other, allow_end_of_life=True, effective_from="2030-01-01")
    assert never.status_code == 422 and never.json()["errors"][0]["type"] == "obsolete"


async def test_revise_copies_into_a_new_draft_and_obsolete_ends_use(
    catalog: httpx.AsyncClient,
) -> None:
    board = await make_item(catalog, made=True)
    part, alt = await make_item(catalog), await make_item(catalog)
    a = await released_bom(
        catalog,
        board,
        [line(part, "2", designators="R1 R2", substitutes=[{"component_code": alt["code"]}])],
    )
    revised = await catalog.post(f"/v1/boms/{a['id']}/revise", json={"revision": "B"})
    assert revised.status_code == 201, revised.text
    b = revised.json()
    assert b["status"] == "draft" and b["revised_from_id"] == a["id"] and b["version"] == 1
    assert [(x["component_code"], x["designators"], len(x["substitutes"])) for x in b["lines"]] == [
        (part["code"], "R1 R2", 1)
    ]
    taken = await catalog.post(f"/v1/boms/{a['id']}/revise", json={"revision": "B"})
    assert taken.status_code == 409
    gone = await catalog.post(
        f"/v1/boms/{a['id']}/obsolete", headers={"If-Match": f'W/"{a["version"]}"'}
    )
    assert gone.status_code == 200 and gone.json()["status"] == "obsolete"
    again = await catalog.post(
        f"/v1/boms/{a['id']}/obsolete", headers={"If-Match": gone.headers["etag"]}
    )
    assert again.status_code == 409
    listed = (
        await catalog.get("/v1/boms", params={"item_code": board["code"], "status": "draft"})
    ).json()
    assert [x["revision"] for x in listed["items"]] == ["B"]
