"""Stock's copy of the catalog's items (`catalog_items`), kept from the catalog's feed.

Reports name items and group them by unit, type and category from this copy, so a report
over twenty thousand items asks the catalog nothing and still works while the catalog is
down; documents never read it (posting always asks the catalog, which may refuse an item).

* `ItemCreated` and `ItemUpdated` carry the whole item (the catalog's `ItemOut`): the copy
  takes its fields, unless it already holds a newer version of the same item.
* `ItemDeleted` removes the copy.

A page of the feed is applied with one statement per kind of change (`apply_catalog_events`);
applying the events one at a time gives the same table. Replaying the feed into an empty
table gives the same copy. The copy's category, item type and unit key the stock rollups
(usecases/rollups.py): an item that arrives, changes them or leaves moves its flows there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, or_, select

from services.stock.db.models import CatalogItemCopy
from services.stock.usecases import rollups
from shared.db.dialects import dialect_insert
from shared.db.filters import one_of
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
    last of each item's changes in the run), each deletion one statement. Items whose
    category, type or unit change (or that arrive or leave) move their flows in the
    rollups, holding the aggregation row as the aggregation does (usecases/rollups.py)."""
    if not any(event.type in CHANGED or event.type == DELETED for event in events):
        return
    await rollups.hold(uow.session)
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


async def _copies(uow: UnitOfWork, codes: list[str]) -> dict[str, tuple[Any, ...]]:
    """code -> (item id, version, rollup fields) of the copies among `codes`."""
    copy = CatalogItemCopy
    query = select(
        copy.code, copy.item_id, copy.version, copy.category, copy.item_type, copy.uom
    ).where(one_of(uow.session, copy.code, codes))
    return {
        code: (item_id, version, (category or "", item_type, uom))
        for code, item_id, version, category, item_type, uom in await uow.session.execute(query)
    }


async def _upsert(uow: UnitOfWork, rows: dict[str, dict[str, Any]]) -> None:
    """Write `rows` over the copies, except over a newer version of the same item (a
    re-created item with an old code is another item: it replaces the copy); an item whose
    rollup fields change takes its flows from under the old ones to under the new."""
    if not rows:
        return
    codes = sorted(rows)
    before = await _copies(uow, codes)
    moved = []
    for code in codes:
        row, old = rows[code], before.get(code)
        fields = (row["category"] or "", row["item_type"], row["uom"])
        newer = old is None or old[0] != row["item_id"] or old[1] <= row["version"]
        if newer and (old is None or old[2] != fields):
            moved.append(code)
    await rollups.shift(uow.session, [code for code in moved if code in before], -1)
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
    await uow.session.execute(statement, [rows[code] for code in codes])
    await rollups.shift(uow.session, moved, 1)


async def _delete(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    copy = CatalogItemCopy.item_id == int(payload["id"])
    if "code" in payload:
        copy = and_(copy, CatalogItemCopy.code == payload["code"])
    codes = list(await uow.session.scalars(select(CatalogItemCopy.code).where(copy)))
    await rollups.shift(uow.session, codes, -1)
    await uow.session.execute(delete(CatalogItemCopy).where(copy))
