"""Erp's copy of the catalog's items (`erp_items`), kept from the catalog's feed: the item
type is the valuation class that decides a movement's stock account.

`ItemCreated` and `ItemUpdated` carry the whole item; the copy keeps the newest version.
`ItemDeleted` leaves the copy (vouchers already built may name it). An item arriving may
release vouchers held because its type was not known yet.
"""

from __future__ import annotations

from sqlalchemy import select

from services.erp.db.models import Item
from services.erp.usecases import vouchers
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

SOURCE = "catalog"
CHANGED = frozenset({"ItemCreated", "ItemUpdated"})


async def apply_catalog_event(uow: UnitOfWork, event: FeedEvent) -> None:
    await apply_catalog_events(uow, [event])


async def apply_catalog_events(uow: UnitOfWork, events: list[FeedEvent]) -> None:
    newest: dict[str, dict[str, object]] = {}
    for event in events:
        if event.type not in CHANGED:
            continue
        item = event.payload
        code = str(item["code"])
        known = newest.get(code)
        if known is None or int(str(item["version"])) >= int(str(known["version"])):
            newest[code] = item
    if not newest:
        return
    session = uow.session
    rows = {
        row.code: row
        for row in await session.scalars(select(Item).where(Item.code.in_(list(newest))))
    }
    for code, item in newest.items():
        version = int(str(item["version"]))
        row = rows.get(code)
        if row is None:
            row = Item(code=code)
            session.add(row)
        elif row.version > version:
            continue
        row.name = str(item["name"])[:200]
        row.item_type = str(item["item_type"])
        row.category = str(item["category"]) if item.get("category") else None
        row.uom = str(item["uom"])
        row.version = version
    await session.flush()
    await vouchers.release_held(session, reason_contains="item type")
