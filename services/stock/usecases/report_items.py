"""What the reports need to know of items from the catalog (name, unit, type, category),
kept for a few minutes.

A report over the whole stock asks about every item holding it: twenty thousand items are
a hundred catalog calls. Reports take the catalog's answers from a cache kept per stock
app (per catalog client) for `FRESH_SECONDS`, so a report run again, or another report
over the same items, asks only about items it has not seen lately. A changed name or
category shows in reports within that time; an item's unit and tracking never change once
stock holds it. Documents never read this cache: posting always asks the catalog.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from weakref import WeakKeyDictionary

from sqlalchemy import ARRAY, String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import NamedFromClause

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import ItemValuation
from services.stock.usecases.document_lines import catalog_items
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.filters import one_of

#: How long a catalog answer serves reports.
FRESH_SECONDS = 300.0

#: Per catalog client: item code -> (the catalog's item or None, when it was asked).
_CACHES: WeakKeyDictionary[ServiceClient, dict[str, tuple[CatalogItem | None, float]]] = (
    WeakKeyDictionary()
)


async def report_items(catalog: CatalogClient, codes: Iterable[str]) -> dict[str, CatalogItem]:
    """The catalog's items among `codes` (codes it has no item for are absent)."""
    cache = _CACHES.setdefault(catalog.client, {})
    now = time.monotonic()
    wanted = set(codes)
    stale = [
        code
        for code in wanted
        if (hit := cache.get(code)) is None or hit[1] < now - FRESH_SECONDS
    ]
    if stale:
        for code, item in (await catalog_items(catalog, stale)).items():
            cache[code] = (item, now)
    found: dict[str, CatalogItem] = {}
    for code in wanted:
        item = cache[code][0]
        if item is not None:
            found[code] = item
    return found


def catalog_table(items: dict[str, CatalogItem]) -> NamedFromClause:
    """PostgreSQL only: `items`' codes, categories, types and units as a table (`catalog`)
    to join to the flows, so the database groups by the catalog's fields."""
    codes = sorted(items)
    return (
        func.unnest(
            bindparam("codes", codes, ARRAY(String)),
            bindparam("categories", [items[c].category for c in codes], ARRAY(String)),
            bindparam("item_types", [items[c].item_type for c in codes], ARRAY(String)),
            bindparam("uoms", [items[c].uom for c in codes], ARRAY(String)),
        )
        .table_valued("item_code", "category", "item_type", "uom")
        .render_derived(name="catalog")
    )


async def valued_items(session: AsyncSession, item_codes: Sequence[str] = ()) -> list[str]:
    """Every item stock ever held (each has its valuation row), or those of `item_codes`."""
    query = select(ItemValuation.item_code)
    if item_codes:
        query = query.where(one_of(session, ItemValuation.item_code, list(item_codes)))
    return list(await session.scalars(query))


async def items_for_database(
    db: Database, catalog: CatalogClient, item_codes: Sequence[str] = ()
) -> dict[str, CatalogItem] | None:
    """On PostgreSQL, the catalog's items of every item stock ever valued (or of
    `item_codes`), asked before the report's snapshot and outside any transaction, for the
    database to group flows by their catalog fields (`catalog_table`); None on SQLite,
    where reports group in Python. An item first posted between this look-up and the
    snapshot counts as unknown to the catalog in that answer."""
    if db.engine.dialect.name != "postgresql":
        return None
    async with db.read() as session:
        codes = await valued_items(session, item_codes)
    return await report_items(catalog, codes)
