"""The BOM release approval gate: under a closed `bom_release` gate a release that passes
every check keeps the draft waiting (202, `approval: pending`, `ApprovalRequested`), and
only workflow's decision releases it or returns it to draft."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import auth
from tests.service.catalog_support import code, line, make_bom, make_item, release, released_bom
from tests.service.test_catalog_imports import upload, xlsx

WORKFLOW = auth("service", subject="service:workflow")
PLANNER = auth("planner", subject="user:planner")
GATE = "/v1/bom-approval-gate"


async def set_gate(catalog: httpx.AsyncClient, required: bool = True) -> dict:
    response = await catalog.put(
        GATE, json={"required": required, "flow": "BOM release"}, headers=WORKFLOW
    )
    assert response.status_code == 200, response.text
    return response.json()


async def decide(
    catalog: httpx.AsyncClient,
    bom_id: int,
    decision: str = "approved",
    reference: str = "workflow:1",
    **extra: Any,
) -> httpx.Response:
    return await catalog.post(
        f"/v1/boms/{bom_id}/approval-decision",
        json={"decision": decision, "reference": reference, **extra},
        headers=WORKFLOW,
    )


async def events(catalog: httpx.AsyncClient, kind: str, bom_id: int | None = None) -> list[dict]:
    found = (await catalog.get("/v1/events")).json()["events"]
    return [
        e
        for e in found
        if e["type"] == kind and (bom_id is None or e["aggregate_id"] == str(bom_id))
    ]


def refused(response: httpx.Response, status: int, problem: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == problem


async def held(catalog: httpx.AsyncClient, **body: Any) -> tuple[dict, dict, dict, dict]:
    """A board with a draft BOM held for approval: (board, part, glue, the held BOM)."""
    board = await make_item(catalog, made=True)
    part = await make_item(catalog)
    glue = await make_item(catalog, uom="g")
    bom = await make_bom(catalog, board, [line(part, "2", position=10), line(glue, "0.5")])
    response = await release(catalog, bom, **body)
    assert response.status_code == 202, response.text
    return board, part, glue, response.json()


async def test_gate_reads_and_sets_idempotently(catalog: httpx.AsyncClient) -> None:
    first = (await catalog.get(GATE)).json()
    assert first == {
        "document_type": "bom_release",
        "required": False,
        "flow": "",
        "updated_at": None,
        "updated_by": None,
    }
    closed = await set_gate(catalog)
    again = await set_gate(catalog)
    assert closed["required"] is again["required"] is True
    assert again["updated_by"] == "service:workflow" and again["flow"] == "BOM release"
    assert (await catalog.get(GATE)).json()["required"] is True
    changed = await events(catalog, "ApprovalGateChanged")
    assert changed and changed[-1]["payload"]["required"] is True
    planner = await catalog.put(GATE, json={"required": False}, headers=PLANNER)
    refused(planner, 403, "forbidden")
    assert (await catalog.get(GATE, headers=PLANNER)).status_code == 200
    assert (await set_gate(catalog, required=False))["required"] is False


async def test_closed_gate_holds_the_release(catalog: httpx.AsyncClient) -> None:
    await set_gate(catalog)
    board, part, glue, bom = await held(
        catalog, effective_from="2030-01-01", allow_end_of_life=True
    )
    assert bom["status"] == "draft" and bom["approval"] == "pending"
    assert bom["approval_ref"] == "" and bom["released_at"] is None
    assert bom["release_request"] == {"effective_from": "2030-01-01", "allow_end_of_life": True}
    assert (await catalog.get(f"/v1/boms/{bom['id']}")).json() == bom
    [requested] = await events(catalog, "ApprovalRequested", bom["id"])
    assert requested["payload"] == {
        "document_type": "bom_release",
        "document_id": bom["id"],
        "number": f"{board['code']} rev A",
        "requested_by": "user:tester",
        "item_code": board["code"],
        "revision": "A",
        "effective_from": "2030-01-01",
        "effective_to": None,
        "lines": [
            {
                "line_no": 10,
                "item_code": part["code"],
                "quantity": "2",
                "uom": "pcs",
                "lot_number": None,
                "unit_price": None,
            },
            {
                "line_no": 20,
                "item_code": glue["code"],
                "quantity": "0.5",
                "uom": "g",
                "lot_number": None,
                "unit_price": None,
            },
        ],
        "location_code": "",
        "supplier": "",
        "purchase_order": "",
        "reason": "",
        "note": "",
    }
    assert not await events(catalog, "BomReleased", bom["id"])


async def test_a_refused_release_is_refused_not_held(catalog: httpx.AsyncClient) -> None:
    await set_gate(catalog)
    board = await make_item(catalog, made=True)
    empty = await make_bom(catalog, board, [])
    refused(await release(catalog, empty), 422, "bom_release_refused")
    part = await make_item(catalog)
    window = await make_bom(catalog, board, [line(part)], revision="B")
    bad = await release(catalog, window, effective_from="2030-01-02", effective_to="2030-01-01")
    refused(bad, 422, "bom_release_refused")
    assert (await catalog.get(f"/v1/boms/{window['id']}")).json()["approval"] == "not_required"
    assert not await events(catalog, "ApprovalRequested")


async def test_a_pending_draft_cannot_change_or_be_released(catalog: httpx.AsyncClient) -> None:
    await set_gate(catalog)
    _, part, _, bom = await held(catalog)
    etag = {"If-Match": f'W/"{bom["version"]}"'}
    edit = await catalog.put(f"/v1/boms/{bom['id']}", json={"lines": [line(part)]}, headers=etag)
    refused(edit, 409, "approval_pending")
    refused(await release(catalog, bom), 409, "approval_pending")
    # A decision for a version that waits may not come from a planner.
    refused(await catalog.post(
        f"/v1/boms/{bom['id']}/approval-decision",
        json={"decision": "approved", "reference": "workflow:1"},
        headers=PLANNER,
    ), 403, "forbidden")  # fmt: skip
    assert (await catalog.get(f"/v1/boms/{bom['id']}")).json()["approval"] == "pending"


async def test_approval_releases_with_the_held_request(catalog: httpx.AsyncClient) -> None:
    await set_gate(catalog)
    _, _, _, bom = await held(catalog, effective_from="2030-01-01")
    approved = await decide(catalog, bom["id"], reference="workflow:7")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "released" and body["approval"] == "approved"
    assert body["approval_ref"] == "workflow:7" and body["release_request"] is None
    assert body["effective_from"] == "2030-01-01" and body["released_at"]
    assert approved.headers["etag"] == f'W/"{body["version"]}"'
    assert len(await events(catalog, "BomReleased", bom["id"])) == 1
    replay = await decide(catalog, bom["id"], reference="workflow:7")
    assert replay.status_code == 200 and replay.json() == body
    refused(await decide(catalog, bom["id"], reference="workflow:8"), 409, "bom_status_conflict")
    assert len(await events(catalog, "BomReleased", bom["id"])) == 1


async def test_an_approval_now_refused_keeps_it_pending(catalog: httpx.AsyncClient) -> None:
    await set_gate(catalog)
    board, part, _, bom = await held(catalog, effective_from="2030-01-01")
    await set_gate(catalog, required=False)
    # Meanwhile another revision is released over the same window.
    other = await released_bom(catalog, board, [line(part)], revision="B")
    assert other["approval"] == "not_required"
    refused(await decide(catalog, bom["id"]), 409, "effectivity_overlap")
    after = (await catalog.get(f"/v1/boms/{bom['id']}")).json()
    assert after["status"] == "draft" and after["approval"] == "pending"
    assert after["release_request"] == {"effective_from": "2030-01-01"}


async def test_rejection_returns_it_to_draft(catalog: httpx.AsyncClient) -> None:
    await set_gate(catalog)
    board, part, _, bom = await held(catalog)
    rejected = await decide(
        catalog, bom["id"], "rejected", reference="workflow:9", reason="wrong glue"
    )
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert body["status"] == "draft" and body["approval"] == "not_required"
    assert body["approval_ref"] == "workflow:9" and body["release_request"] is None
    [returned] = await events(catalog, "ApprovalReturned", bom["id"])
    assert returned["payload"] == {
        "document_type": "bom_release",
        "document_id": bom["id"],
        "number": f"{board['code']} rev A",
        "decision": "rejected",
        "reason": "wrong glue",
        "reference": "workflow:9",
    }
    again = await decide(catalog, bom["id"], "rejected", reference="workflow:9")
    assert again.status_code == 200 and again.json() == body
    refused(await decide(catalog, bom["id"], reference="workflow:10"), 409, "bom_status_conflict")
    # A draft again: it can change, and releasing it asks again.
    etag = {"If-Match": f'W/"{body["version"]}"'}
    edit = await catalog.put(f"/v1/boms/{bom['id']}", json={"lines": [line(part)]}, headers=etag)
    assert edit.status_code == 200, edit.text
    asked = await release(catalog, edit.json())
    assert asked.status_code == 202 and asked.json()["approval"] == "pending"
    assert len(await events(catalog, "ApprovalRequested", bom["id"])) == 2


async def test_deleting_a_pending_draft_cancels_it(catalog: httpx.AsyncClient) -> None:
    await set_gate(catalog)
    board, _, _, bom = await held(catalog)
    deleted = await catalog.delete(
        f"/v1/boms/{bom['id']}", headers={"If-Match": f'W/"{bom["version"]}"'}
    )
    assert deleted.status_code == 204, deleted.text
    [cancelled] = await events(catalog, "ApprovalCancelled", bom["id"])
    assert cancelled["payload"] == {
        "document_type": "bom_release",
        "document_id": bom["id"],
        "number": f"{board['code']} rev A",
    }
    refused(await decide(catalog, bom["id"]), 404, "not_found")


async def test_decisions_need_a_version_that_waits(catalog: httpx.AsyncClient) -> None:
    board = await make_item(catalog, made=True)
    part = await make_item(catalog)
    draft = await make_bom(catalog, board, [line(part)])
    refused(await decide(catalog, draft["id"]), 409, "bom_status_conflict")
    bad = await decide(catalog, draft["id"], "maybe")
    assert bad.status_code == 422
    refused(await decide(catalog, 2**40), 404, "not_found")


async def test_an_approval_decision_accepts_an_idempotency_key(
    catalog: httpx.AsyncClient,
) -> None:
    await set_gate(catalog)
    _, _, _, bom = await held(catalog)
    key = {**WORKFLOW, "Idempotency-Key": code("K")}
    body = {"decision": "approved", "reference": "workflow:3"}
    path = f"/v1/boms/{bom['id']}/approval-decision"
    first = await catalog.post(path, json=body, headers=key)
    second = await catalog.post(path, json=body, headers=key)
    assert first.status_code == second.status_code == 200, first.text
    assert second.json() == first.json() and first.json()["status"] == "released"
    assert second.headers["idempotent-replayed"] == "true"


async def test_open_gate_releases_as_before(catalog: httpx.AsyncClient) -> None:
    board = await make_item(catalog, made=True)
    part = await make_item(catalog)
    bom = await make_bom(catalog, board, [line(part)])
    assert bom["approval"] == "not_required"
    await set_gate(catalog)
    await set_gate(catalog, required=False)
    released = await release(catalog, bom)
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    assert released.json()["approval"] == "not_required"
    assert not await events(catalog, "ApprovalRequested")


async def test_import_may_not_release_while_the_gate_is_closed(
    catalog: httpx.AsyncClient,
) -> None:
    top = await make_item(catalog, made=True)
    part = await make_item(catalog)
    data = xlsx([["Parent", "Child", "Qty"], [top["code"], part["code"], 1]])
    await set_gate(catalog)
    for dry_run in (True, False):
        response = await upload(catalog, "/v1/imports/boms", data, dry_run=dry_run, release=True)
        refused(response, 409, "approval_gate_closed")
    assert (await catalog.get("/v1/boms", params={"item_code": top["code"]})).json()["items"] == []
    drafts = await upload(catalog, "/v1/imports/boms", data, dry_run=False)
    assert drafts.status_code == 201, drafts.text
    [created] = drafts.json()["created"]
    assert created["status"] == "draft"
    bom = (await catalog.get(f"/v1/boms/{created['id']}")).json()
    assert (await release(catalog, bom)).status_code == 202
