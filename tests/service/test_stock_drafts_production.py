"""Draft production receipts: the outputs and the named consumption are saved, nothing is
created, picked or moved; backflush, new lots and units happen when the draft is posted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import auth
from tests.service import test_stock_production_receipts as base
from tests.service.test_stock_production_receipts import (
    PRODUCTION,
    URL,
    Shop,
    balances,
    completion,
    component,
    events_of,
    ledger,
    moves,
    output,
)
from tests.service.test_thin_slice_inprocess import Slice

#: The fixture of the production receipt tests, used here by name.
shop = base.shop


def consumed(doc: dict[str, Any]) -> list[tuple[int, str, str | None, Decimal, bool]]:
    return [
        (c["line_no"], c["item_code"], c["lot_number"], Decimal(c["quantity"]), c["backflushed"])
        for c in doc["components"]
    ]


def produced(doc: dict[str, Any]) -> list[tuple[int, str, str | None, Decimal, str]]:
    return [
        (o["line_no"], o["item_code"], o["lot_number"], Decimal(o["quantity"]), o["quality_state"])
        for o in doc["outputs"]
    ]


async def draft_of(s: Slice, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = await s.stock.post(URL, json={**body, "draft": True}, **kwargs)
    assert response.status_code == 201, response.text
    draft: dict[str, Any] = response.json()
    assert (draft["status"], draft["movements"]) == ("draft", []), draft
    return draft


async def board_lots(s: Slice, board: str) -> list[str]:
    lots = (await s.stock.get("/v1/lots", params={"item_code": board})).json()["items"]
    return [lot["lot_number"] for lot in lots]


async def test_a_draft_backflushes_when_it_is_posted(wired: Slice, shop: Shop) -> None:
    s = shop
    before = await balances(wired)
    body = completion(
        s,
        output(s.board, "10", "BRD-D"),
        components=[component(s.a, "25"), component(s.b, "40"), component(s.c, "12", "C1")],
    )
    draft = await draft_of(wired, body)
    assert draft["number"] == f"PR-{draft['id']:08d}" and draft["posted_at"] is None
    # the lot is made when the draft posts; the backflushed line has no rows yet
    assert produced(draft) == [(1, s.board, None, Decimal(10), "qualified")]
    assert consumed(draft) == [
        (2, s.b, None, Decimal(40), False),
        (3, s.c, "C1", Decimal(12), False),
    ]
    assert draft["draft_request"]["outputs"][0]["lot_number"] == "BRD-D"
    assert await balances(wired) == before
    assert await board_lots(wired, s.board) == [] and await ledger(wired) == []
    listed = (await wired.stock.get(URL, params={"status": "draft"})).json()["items"]
    assert [d["id"] for d in listed] == [draft["id"]]

    # A-OLD leaves the line before posting: backflush picks from what is there then
    moved = await wired.stock.post(
        "/v1/transfers",
        json={
            "from_location_code": s.line,
            "to_location_code": s.store,
            "lines": [
                {
                    "item_code": s.a,
                    "lot_number": "A-OLD",
                    "quantity": "20",
                    "quality_state": "qualified",
                }
            ],
        },
    )
    assert moved.status_code == 201, moved.text
    posted = await wired.stock.post(f"{URL}/{draft['id']}/post")
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    assert (doc["id"], doc["number"], doc["status"]) == (draft["id"], draft["number"], "posted")
    assert doc["draft_request"] is None and doc["posted_at"] is not None
    assert produced(doc) == [(1, s.board, "BRD-D", Decimal(10), "qualified")]
    assert consumed(doc) == [
        (1, s.a, "A-NEW", Decimal(25), True),
        (2, s.b, None, Decimal(40), False),
        (3, s.c, "C1", Decimal(12), False),
    ]
    assert moves(doc) == [
        (s.a, "A-NEW", s.line, PRODUCTION, "qualified", Decimal(25), "wip"),
        (s.b, None, s.line, PRODUCTION, "qualified", Decimal(40), "wip"),
        (s.c, "C1", s.line, PRODUCTION, "qualified", Decimal(12), "wip"),
        (s.board, "BRD-D", PRODUCTION, s.fg, "qualified", Decimal(10), "finished"),
    ]
    # 25 A x 0.5 + 40 B x 0.1 + 12 C x 2 = 40.5 for the 10 boards
    assert Decimal(doc["movements"][-1]["value"]) == Decimal("40.5")
    assert await balances(wired, location_code=s.line) == {
        (s.a, s.line, "A-NEW", "qualified"): Decimal(15),
        (s.a, s.line, "A-EXP", "qualified"): Decimal(10),
        (s.b, s.line, None, "qualified"): Decimal(40),
        (s.c, s.line, "C1", "qualified"): Decimal(18),
    }
    assert await board_lots(wired, s.board) == ["BRD-D"]
    assert (await wired.stock.get(f"{URL}/{draft['id']}")).json() == doc
    again = await wired.stock.post(f"{URL}/{draft['id']}/post")
    assert again.status_code == 409 and again.json()["code"] == "document_not_draft"
    feed = await events_of(
        wired, "ProductionReceiptDrafted", "LotCreated", "ProductionReceiptPosted"
    )
    assert [
        e["type"]
        for e in feed
        if e["type"] != "LotCreated" or e["payload"]["lot_number"] == "BRD-D"
    ] == ["ProductionReceiptDrafted", "LotCreated", "ProductionReceiptPosted"]


async def test_a_draft_short_at_posting_stays_a_draft_until_cancelled(
    wired: Slice, shop: Shop
) -> None:
    s = shop
    before = await balances(wired)
    body = completion(s, output(s.module, "5"), components=[component(s.a, "100")])
    draft = await draft_of(wired, body)
    assert consumed(draft) == []  # all backflushed: nothing to show before posting
    short = await wired.stock.post(f"{URL}/{draft['id']}/post")
    assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
    assert (await wired.stock.get(f"{URL}/{draft['id']}")).json() == draft
    assert await balances(wired) == before and await ledger(wired) == []

    refused = await wired.stock.post(f"{URL}/{draft['id']}/reverse")
    assert refused.status_code == 409 and refused.json()["code"] == "document_not_posted"
    cancelled = await wired.stock.post(f"{URL}/{draft['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_by"]
    for path, code in (
        ("/post", "document_not_draft"),
        ("/cancel", "document_not_draft"),
        ("/reverse", "document_not_posted"),
    ):
        again = await wired.stock.post(f"{URL}/{draft['id']}{path}")
        assert again.status_code == 409 and again.json()["code"] == code, path
    listed = (await wired.stock.get(URL, params={"status": "cancelled"})).json()["items"]
    assert [d["id"] for d in listed] == [draft["id"]]
    types = [e["type"] for e in await events_of(wired, "ProductionReceiptCancelled")]
    assert types == ["ProductionReceiptCancelled"]
    assert await balances(wired) == before


async def test_a_draft_is_checked_when_saved_and_replaced_whole(wired: Slice, shop: Shop) -> None:
    s = shop
    bad = completion(s, output(s.board, "1", "BRD-X"), components=[component(s.c, "1", "NO")])
    refused = await wired.stock.post(URL, json={**bad, "draft": True, "wip_location_code": None})
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert "body.wip_location_code" in fields
    unknown_lot = await wired.stock.post(URL, json={**bad, "draft": True})
    assert unknown_lot.status_code == 422
    assert [e["field"] for e in unknown_lot.json()["errors"]] == ["body.components.0.lot_number"]

    # an existing output lot: shown at once, and refused now if another work order made it
    first = await wired.stock.post(URL, json=completion(s, output(s.board, "2", "BRD-1")))
    assert first.status_code == 201, first.text
    other = completion(s, output(s.board, "1", "BRD-1"), work_order="WO-2")
    conflict = await wired.stock.post(URL, json={**other, "draft": True})
    assert conflict.status_code == 409 and conflict.json()["code"] == "lot_conflict"
    same = await draft_of(wired, completion(s, output(s.board, "3", "BRD-1")))
    assert produced(same) == [(1, s.board, "BRD-1", Decimal(3), "qualified")]

    # replaced whole: the lines naming their lot (or untracked) show, backflush waits
    replacement = completion(
        s,
        output(s.module, "4", state="pending_inspection"),
        components=[component(s.b, "8"), component(s.a, "2", "A-NEW"), component(s.a, "1")],
    )
    replaced = await wired.stock.put(f"{URL}/{same['id']}", json=replacement)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["status"] == "draft"
    assert produced(replaced.json()) == [(1, s.module, None, Decimal(4), "pending_inspection")]
    assert consumed(replaced.json()) == [
        (1, s.b, None, Decimal(8), False),
        (2, s.a, "A-NEW", Decimal(2), False),
    ]
    posted = await wired.stock.post(f"{URL}/{same['id']}/post", json={})
    assert posted.status_code == 200, posted.text
    assert consumed(posted.json()) == [
        (1, s.b, None, Decimal(8), False),
        (2, s.a, "A-NEW", Decimal(2), False),
        (3, s.a, "A-OLD", Decimal(1), True),
    ]
    assert await balances(wired, item_code=s.module) == {
        (s.module, s.fg, None, "pending_inspection"): Decimal(4)
    }
    assert await balances(wired, item_code=s.board) == {
        (s.board, s.fg, "BRD-1", "qualified"): Decimal(2)
    }


async def test_the_mes_drafts_and_the_warehouse_posts(wired: Slice, shop: Shop) -> None:
    s = shop
    body = completion(s, output(s.module, "1"), components=[component(s.b, "3")])
    draft = await draft_of(wired, body, headers=auth("integration"))
    posted = await wired.stock.post(f"{URL}/{draft['id']}/post", headers=auth("warehouse"))
    assert posted.status_code == 200, posted.text
    doc = posted.json()
    assert (doc["status"], doc["created_at"]) == ("posted", draft["created_at"])
    assert doc["posted_by"] and [c["quantity"] for c in doc["components"]] == ["3"]
    for role in ("qc", "planner"):
        other = await draft_of(wired, body)
        for path in ("/post", "/cancel"):
            response = await wired.stock.post(f"{URL}/{other['id']}{path}", headers=auth(role))
            assert response.status_code == 403, (role, path)
    mine = await draft_of(wired, body, headers=auth("integration"))
    cancelled = await wired.stock.post(f"{URL}/{mine['id']}/cancel", headers=auth("integration"))
    assert cancelled.status_code == 200, cancelled.text  # the MES may end its own drafts
