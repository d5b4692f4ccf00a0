"""What the reports need to know of items from the catalog (name, unit, type, category),
kept for a few minutes.

A report over the whole stock asks about every item holding it. Reports read stock's copy
of the catalog's items (`catalog_items`, kept from the catalog's feed by
usecases/catalog_feed.py) and ask the catalog only about items the copy lacks yet (twenty
thousand items would be a hundred calls); the answers are kept per stock app (per catalog
client) for `FRESH_SECONDS`, so a report run again, or another report over the same items,
reads only items it has not seen lately. A changed name or category shows in reports
within that time; an item's unit and tracking never change once stock holds it. Documents
never read the copy or this cache: posting always asks the catalog.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from weakref import WeakKeyDictionary

from sqlalchemy import ARRAY, String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import NamedFromClause

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import CatalogItemCopy, ItemValuation
from services.stock.usecases.document_lines import catalog_items
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.filters import one_of

#: How long a catalog answer serves reports.
FRESH_SECONDS = 300.0
#: Codes per read of the copy (SQLite takes at most 32,766 values a statement).
COPY_CHUNK = 10_000

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
        copied = await copied_items(catalog.copy, stale) if catalog.copy is not None else {}
        asked = [code for code in stale if code not in copied]
        fetched = await catalog_items(catalog, asked) if asked else {}
        for code in stale:
            cache[code] = (copied.get(code) or fetched.get(code), now)
    found: dict[str, CatalogItem] = {}
    for code in wanted:
        item = cache[code][0]
        if item is not None:
            found[code] = item
    return found


async def copied_items(db: Database, codes: Sequence[str]) -> dict[str, CatalogItem]:
    """The items among `codes` in stock's copy of the catalog's items."""
    copy = CatalogItemCopy
    query = select(
        copy.code,
        copy.name,
        copy.uom,
        copy.item_type,
        copy.tracking,
        copy.shelf_life_days,
        copy.item_id,
        copy.category,
    )
    wanted = list(codes)
    found: dict[str, CatalogItem] = {}
    async with db.read() as session:
        for start in range(0, len(wanted), COPY_CHUNK):
            chunk = wanted[start : start + COPY_CHUNK]
            for row in await session.execute(query.where(one_of(session, copy.code, chunk))):
                found[row[0]] = CatalogItem(*row)
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
