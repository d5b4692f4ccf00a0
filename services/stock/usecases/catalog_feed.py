"""Stock's copy of the catalog's items (`catalog_items`), kept from the catalog's feed.

Reports name items and group them by unit, type and category from this copy, so a report
over twenty thousand items asks the catalog nothing and still works while the catalog is
down; documents never read it (posting always asks the catalog, which may refuse an item).

* `ItemCreated` and `ItemUpdated` carry the whole item (the catalog's `ItemOut`): the copy
  takes its fields, unless it already holds a newer version of the same item.
* `ItemDeleted` removes the copy.

A page of the feed is applied with one statement per kind of change (`apply_catalog_events`);
applying the events one at a time gives the same table. Replaying the feed into an empty
table gives the same copy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, or_

from services.stock.db.models import CatalogItemCopy
from shared.db.dialects import dialect_insert
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

SOURCE = "catalog"
CHANGED = frozenset({"ItemCreated", "ItemUpdated"})
DELETED = "ItemDeleted"
_FIELDS = ("item_id", "name", "uom", "item_type", "tracking", "shelf_life_days", "category")


def _table() -> Table:
    table = CatalogItemCopy.__table__
    assert isinstance(table, Table)
    return table


def _row(event: FeedEvent) -> dict[str, Any]:
    item = event.payload
    return {
        "code": item["code"],
        "item_id": int(item["id"]),
        "name": item["name"],
        "uom": item["uom"],
        "item_type": item["item_type"],
        "tracking": item["tracking"],
        "shelf_life_days": item.get("shelf_life_days"),
        "category": item.get("category"),
        "version": int(item["version"]),
        "updated_at": datetime.fromisoformat(item["updated_at"]),
    }


async def apply_catalog_event(uow: UnitOfWork, event: FeedEvent) -> None:
    await apply_catalog_events(uow, [event])


async def apply_catalog_events(uow: UnitOfWork, events: list[FeedEvent]) -> None:
    """Apply a page of the catalog's feed in order: runs of changes are one upsert (the
    last of each item's changes in the run), each deletion one statement."""
    run: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.type in CHANGED:
            row = _row(event)
            run[row["code"]] = row
        elif event.type == DELETED:
            await _upsert(uow, run)
            run = {}
            await _delete(uow, event.payload)
    await _upsert(uow, run)


async def _upsert(uow: UnitOfWork, rows: dict[str, dict[str, Any]]) -> None:
    """Write `rows` over the copies, except over a newer version of the same item (a
    re-created item with an old code is another item: it replaces the copy)."""
    if not rows:
        return
    table = _table()
    insert = dialect_insert(uow.session)(table)
    statement = insert.on_conflict_do_update(
        index_elements=["code"],
        set_={name: insert.excluded[name] for name in (*_FIELDS, "version", "updated_at")},
        where=or_(
            table.c.item_id != insert.excluded.item_id,
            table.c.version <= insert.excluded.version,
        ),
    )
    await uow.session.execute(statement, [rows[code] for code in sorted(rows)])


async def _delete(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    copy = CatalogItemCopy.item_id == int(payload["id"])
    if "code" in payload:
        copy = and_(copy, CatalogItemCopy.code == payload["code"])
    await uow.session.execute(delete(CatalogItemCopy).where(copy))
