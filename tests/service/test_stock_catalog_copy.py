"""Stock's copy of the catalog's items, kept from the catalog's feed (catalog_items): it
follows creations, changes and deletions, never goes back to an older version, and reports
name and group items from it without asking the catalog; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select

from services.stock.clients import CatalogClient
from services.stock.db.models import CatalogItemCopy
from services.stock.usecases.catalog_feed import apply_catalog_events
from shared.events.schemas import FeedEvent
from tests.service.test_stock_dead_stock_and_since import receive
from tests.service.test_thin_slice_inprocess import Slice, code, make_item, make_location


async def catch_up(s: Slice) -> int:
    applied: int = await s.apps["stock"].state.consumers["catalog"].catch_up()
    return applied


async def copies(s: Slice) -> dict[str, dict[str, Any]]:
    async with s.apps["stock"].state.db.read() as session:
        rows = await session.scalars(select(CatalogItemCopy))
        return {
            row.code: {
                "item_id": row.item_id,
                "name": row.name,
                "uom": row.uom,
                "item_type": row.item_type,
                "tracking": row.tracking,
                "shelf_life_days": row.shelf_life_days,
                "category": row.category,
                "version": row.version,
            }
            for row in rows
        }


async def item(s: Slice, item_code: str) -> dict[str, Any]:
    response = await s.catalog.get(f"/v1/items/by-code/{item_code}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_the_copy_follows_the_catalog_feed(wired: Slice) -> None:
    s = wired
    category = code("CAT")
    made = await s.catalog.post("/v1/categories", json={"code": category, "name": "Caps"})
    assert made.status_code == 201, made.text
    cap = await make_item(s, tracking="none", category=category, shelf_life_days=365)
    reel = await make_item(s, tracking="lot", uom="m", name="Tape")
    await catch_up(s)
    first = await item(s, cap)
    assert await copies(s) == {
        cap: {
            "item_id": first["id"],
            "name": "Resistor",
            "uom": "pcs",
            "item_type": "raw_material",
            "tracking": "none",
            "shelf_life_days": 365,
            "category": category,
            "version": 1,
        },
        reel: {
            "item_id": (await item(s, reel))["id"],
            "name": "Tape",
            "uom": "m",
            "item_type": "raw_material",
            "tracking": "lot",
            "shelf_life_days": None,
            "category": None,
            "version": 1,
        },
    }

    changed = await s.catalog.patch(
        f"/v1/items/{first['id']}",
        json={"name": "Cap 10uF", "category": None},
        headers={"If-Match": 'W/"1"'},
    )
    assert changed.status_code == 200, changed.text
    gone = await item(s, reel)
    deleted = await s.catalog.delete(f"/v1/items/{gone['id']}", headers={"If-Match": 'W/"1"'})
    assert deleted.status_code == 204, deleted.text
    await catch_up(s)
    after = await copies(s)
    assert set(after) == {cap}
    assert after[cap]["name"] == "Cap 10uF"
    assert after[cap]["category"] is None
    assert after[cap]["version"] == 2
    assert await catch_up(s) == 0  # nothing new: the copy stays as it is
    assert await copies(s) == after


def event(seq: int, kind: str, payload: dict[str, Any]) -> FeedEvent:
    return FeedEvent(
        seq=seq,
        event_id=f"e{seq}",
        type=kind,
        aggregate_type="item",
        aggregate_id=str(payload["id"]),
        occurred_at=datetime.now(UTC),
        actor="user:tester",
        payload=payload,
    )


def item_out(item_id: int, version: int, name: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "code": "R-COPY",
        "name": name,
        "uom": "pcs",
        "item_type": "raw_material",
        "tracking": "none",
        "shelf_life_days": None,
        "category": None,
        "version": version,
        "updated_at": datetime.now(UTC).isoformat(),
    }


async def test_an_older_version_never_overwrites_and_a_new_item_replaces(wired: Slice) -> None:
    s = wired
    db = s.apps["stock"].state.db

    async def apply(*events: FeedEvent) -> None:
        async with db.uow(actor="test") as uow:
            await apply_catalog_events(uow, list(events))
            await uow.commit()

    await apply(event(1, "ItemCreated", item_out(7, 1, "one")))
    await apply(event(2, "ItemUpdated", item_out(7, 3, "three")))
    await apply(event(3, "ItemUpdated", item_out(7, 2, "two (late)")))
    assert (await copies(s))["R-COPY"]["name"] == "three"
    # deleted and created again under its code: another item, version 1 again
    await apply(
        event(4, "ItemDeleted", {"id": 7, "code": "R-COPY"}),
        event(5, "ItemCreated", item_out(8, 1, "new")),
        event(6, "ItemUpdated", item_out(8, 2, "newer")),
    )
    assert (await copies(s))["R-COPY"] == {
        **(await copies(s))["R-COPY"],
        "item_id": 8,
        "name": "newer",
        "version": 2,
    }
    # a deletion of the old item, replayed late, leaves the new one alone
    await apply(event(7, "ItemDeleted", {"id": 7, "code": "R-COPY"}))
    assert (await copies(s))["R-COPY"]["item_id"] == 8


async def test_reports_name_items_from_the_copy_without_asking_the_catalog(
    wired: Slice, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = wired
    copied = await make_item(s, tracking="none", name="Copied part")
    missing = await make_item(s, tracking="none", name="Not copied yet")
    where = await make_location(s)
    await receive(s, copied, where, "3", price="2")
    await receive(s, missing, where, "1", price="5")
    await catch_up(s)
    # as if the missing item's event were still on its way
    async with s.apps["stock"].state.db.uow(actor="test") as uow:
        await uow.session.execute(delete(CatalogItemCopy).where(CatalogItemCopy.code == missing))
        await uow.commit()
    asked: list[list[str]] = []
    ask = CatalogClient.items_by_codes

    async def counting(self: CatalogClient, codes: list[str]) -> Any:
        asked.append(sorted(codes))
        return await ask(self, codes)

    monkeypatch.setattr(CatalogClient, "items_by_codes", counting)
    summary = await s.stock.get("/v1/reports/movement-summary", params={"group_by": "kind_item"})
    assert summary.status_code == 200, summary.text
    names = {r["key"]: r["item_name"] for r in summary.json()["rows"]}
    assert names == {copied: "Copied part", missing: "Not copied yet"}
    assert asked == [[missing]]  # only the item the copy lacks was asked of the catalog
