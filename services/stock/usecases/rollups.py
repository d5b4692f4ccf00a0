"""Stock rollups (`stock_rollups`): the day and month flows summed over items by the
catalog fields reports group by (category, item type, unit), kept current incrementally.

A year of flows is about two million item rows; summed by category, type and unit it is a
few thousand, so the in/out summary and dashboard queries that do not look at single items
read the rollups instead (`complete` says when they may).

An item's flows are in the rollups while stock's copy of the catalog (`catalog_items`,
usecases/catalog_feed.py) holds the item, under the copy's fields:

* the aggregation (usecases/aggregation.py) adds the flows of the movements it reaches
  (`add`), holding the aggregation row: every writer of rollups holds it, so their
  shared rows never deadlock and new flows and a change of an item's fields never cross;
* when the copy first receives an item, changes its category, type or unit, or loses it,
  `shift` moves the item's flows from its old fields to its new ones (`catalog_feed`,
  holding the aggregation row too): the flows the aggregation adds later go under the
  new fields.

`expected` sums the rollups from the flows and the copy, what the stored ones always equal
(rows that sum to nothing aside); `rebuild` writes them so (for a ledger written by other
means, the benchmark's).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import (
    CatalogItemCopy,
    ItemValuation,
    StockAggregation,
    StockFlow,
    StockRollup,
)
from services.stock.domain.flows import FlowKey, FlowSums, Grain
from services.stock.usecases.flows import SUMS
from shared.db.dialects import dialect_insert, upsert_adding
from shared.db.filters import one_of

KEY = (
    "grain",
    "period",
    "category",
    "item_type",
    "uom",
    "location_id",
    "quality_state",
    "stage",
    "kind",
    "external",
)
#: The flow grains summed into rollups.
GRAINS = (Grain.DAY.value, Grain.MONTH.value)
#: category ("" for none), item type, unit
Fields = tuple[str, str, str]


def _table() -> Table:
    table = StockRollup.__table__
    assert isinstance(table, Table)
    return table


async def fields_of(session: AsyncSession, codes: Collection[str]) -> dict[str, Fields]:
    """The copy's fields of the items among `codes` that it holds."""
    if not codes:
        return {}
    copy = CatalogItemCopy
    query = select(copy.code, copy.category, copy.item_type, copy.uom).where(
        one_of(session, copy.code, list(codes))
    )
    return {
        code: (category or "", item_type, uom)
        for code, category, item_type, uom in await session.execute(query)
    }


async def add(session: AsyncSession, added: Mapping[FlowKey, FlowSums]) -> None:
    """Add day and month flows just recorded (`added`) to the rollups, for the items the
    copy holds; the caller holds the aggregation row."""
    keys = [(key, sums) for key, sums in added.items() if key.grain in GRAINS]
    if not keys:
        return
    fields = await fields_of(session, {key.item_code for key, _ in keys})
    totals: dict[tuple[Any, ...], FlowSums] = {}
    for key, sums in keys:
        found = fields.get(key.item_code)
        if found is None:
            continue  # joins the rollups when the copy receives it
        rollup_key = (
            key.grain,
            key.period,
            *found,
            key.location_id,
            key.quality_state,
            key.stage,
            key.kind,
            key.external,
        )
        totals.setdefault(rollup_key, FlowSums()).add(sums)
    if totals:
        rows = sorted(totals.items())
        columns = {
            **{name: [key[at] for key, _ in rows] for at, name in enumerate(KEY)},
            **{name: [getattr(sums, name) for _, sums in rows] for name in SUMS},
        }
        await upsert_adding(session, _table(), KEY, SUMS, columns)


def _adding(insert: Any) -> Any:
    """`insert` into the rollups adding its sums to the rows already there."""
    return insert.on_conflict_do_update(
        index_elements=list(KEY),
        set_={name: _table().c[name] + insert.excluded[name] for name in SUMS},
    )


async def hold(session: AsyncSession) -> StockAggregation:
    """Lock the aggregation row until the transaction ends (every writer of flows,
    closings and rollups does), and return it: how far they follow the ledger."""
    row = await session.get(StockAggregation, 1, with_for_update=True, populate_existing=True)
    if row is None:
        raise RuntimeError("the stock aggregation row is missing (run the stock migrations)")
    return row


def _summed(sign: int, codes: Collection[str] | None, session: AsyncSession) -> Any:
    """The rollup rows of the items' flows under the copy's fields, times `sign`; of the
    items among `codes` (every item the copy holds when None)."""
    flows, copy = StockFlow, CatalogItemCopy
    keys = [
        flows.grain,
        flows.period,
        func.coalesce(copy.category, ""),
        copy.item_type,
        copy.uom,
        flows.location_id,
        flows.quality_state,
        flows.stage,
        flows.kind,
        flows.external,
    ]
    query = (
        select(
            *keys,
            *(
                func.sum(getattr(flows, name)) if sign > 0 else -func.sum(getattr(flows, name))
                for name in SUMS
            ),
        )
        .join(copy, copy.code == flows.item_code)
        .where(flows.grain.in_(GRAINS))
        .group_by(*keys)
    )
    if codes is not None:
        query = query.where(one_of(session, flows.item_code, list(codes)))
    return query


async def shift(session: AsyncSession, codes: Collection[str], sign: int) -> None:
    """Add (`sign` 1) or take away (-1) the flows of the items among `codes` under the
    fields the copy holds for them now; the caller holds the aggregation row and changes
    the copy between a -1 and a +1. Rows left summing to nothing are removed."""
    if not codes:
        return
    insert = dialect_insert(session)(_table())
    await session.execute(_adding(insert.from_select([*KEY, *SUMS], _summed(sign, codes, session))))
    if sign < 0:
        fields = set((await fields_of(session, codes)).values())
        if fields:
            await session.execute(
                delete(StockRollup).where(
                    tuple_(StockRollup.category, StockRollup.item_type, StockRollup.uom).in_(
                        sorted(fields)
                    ),
                    *(getattr(StockRollup, name) == 0 for name in SUMS),
                )
            )


async def complete(session: AsyncSession) -> bool:
    """Every item stock ever valued is in the copy, so its flows are in the rollups."""
    copied = select(CatalogItemCopy.code).where(CatalogItemCopy.code == ItemValuation.item_code)
    missing = select(ItemValuation.item_code).where(~copied.exists()).limit(1)
    return await session.scalar(missing) is None


async def expected(session: AsyncSession) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The rollups summed from the flows and the copy (rows summing to nothing left out)."""
    return _nonzero(await session.execute(_summed(1, None, session)))


async def stored(session: AsyncSession) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The stored rollups (rows summing to nothing left out)."""
    columns = [getattr(StockRollup, name) for name in (*KEY, *SUMS)]
    return _nonzero(await session.execute(select(*columns)))


def _nonzero(rows: Iterable[Any]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    out: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        key, sums = tuple(row[: len(KEY)]), tuple(Decimal(v) for v in row[len(KEY) :])
        if any(sums):
            out[key] = sums
    return out


async def rebuild(session: AsyncSession) -> None:
    """Write the rollups anew from the flows and the copy (holding the aggregation row)."""
    await hold(session)
    await session.execute(delete(StockRollup))
    await session.execute(_table().insert().from_select([*KEY, *SUMS], _summed(1, None, session)))
