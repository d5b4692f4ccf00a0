"""Lookups every catalog use-case shares: units, categories and items by code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import BomGraphStamp, Category, Item, Unit
from services.catalog.domain.units import Rounding, UnitRule
from shared.errors import NotFound, PreconditionFailed

RowT = TypeVar("RowT")


async def unit_rules(session: AsyncSession) -> dict[str, UnitRule]:
    """Every unit's rule by code (a few dozen rows)."""
    rows = await session.scalars(select(Unit))
    return {
        unit.code: UnitRule(
            unit.code,
            unit.decimals,
            Rounding(unit.rounding),
            unit.base_unit,
            unit.factor_to_base,
        )
        for unit in rows
    }


async def categories_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, Category]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await session.scalars(select(Category).where(Category.code.in_(wanted)))
    return {category.code: category for category in rows}


async def category_codes(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(select(Category.id, Category.code).where(Category.id.in_(wanted)))
    return {row.id: row.code for row in rows}


async def items_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, Item]:
    """The items with these codes, in chunks that stay under every driver's bind limit."""
    wanted = sorted(set(codes))
    found: dict[str, Item] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        rows = await session.scalars(select(Item).where(Item.code.in_(chunk)))
        found.update({item.code: item for item in rows})
    return found


async def bump_graph_stamp(session: AsyncSession) -> None:
    """Tell every reader's cached item/BOM graph that it is stale (in this transaction)."""
    await session.execute(
        update(BomGraphStamp).where(BomGraphStamp.id == 1).values(counter=BomGraphStamp.counter + 1)
    )


async def locked_row(
    session: AsyncSession,
    model: type[RowT],
    row_id: int,
    what: str,
    expected_version: int | None = None,
) -> RowT:
    """The row locked for update: 404 if it is missing, 412 if not at `expected_version`."""
    row = await session.get(model, row_id, with_for_update=True)
    if row is None:
        raise NotFound(f"{what} {row_id} does not exist")
    version = getattr(row, "version")  # noqa: B009 - every versioned catalog table has it
    if expected_version is not None and version != expected_version:
        raise PreconditionFailed(f"{what} {row_id} is at version {version}, not {expected_version}")
    return row
