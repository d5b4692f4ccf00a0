"""Stock value per item at moving-average cost, now (item valuations) or at any past moment
(the ledger's values up to then)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import ItemValuation
from services.stock.domain.valuation import money
from services.stock.schemas import ItemValuationOut, ValuationOut
from services.stock.usecases.overview import item_worth
from shared.http.pagination import PageParams, next_cursor


def _out(code: str, quantity: Decimal, value: Decimal, last: Decimal) -> ItemValuationOut:
    average = money(value / quantity) if quantity > 0 else last
    return ItemValuationOut(item_code=code, quantity=quantity, value=value, average_cost=average)


async def valuation(
    session: AsyncSession,
    page: PageParams,
    *,
    as_of: datetime | None,
    item_codes: Sequence[str],
    include_empty: bool,
) -> ValuationOut:
    """Per item (of `item_codes`; all when empty), by code, a page at a time."""
    after = str(page.cursor[0]) if page.cursor else None
    if as_of is None:
        query = select(ItemValuation).order_by(ItemValuation.item_code)
        total = select(func.coalesce(func.sum(ItemValuation.value), 0))
        if item_codes:
            query = query.where(ItemValuation.item_code.in_(item_codes))
            total = total.where(ItemValuation.item_code.in_(item_codes))
        if not include_empty:
            query = query.where(ItemValuation.quantity != 0)
        if after is not None:
            query = query.where(ItemValuation.item_code > after)
        rows = list(await session.scalars(query.limit(page.limit + 1)))
        shown, cursor = next_cursor(rows, page.limit, lambda r: [r.item_code])
        return ValuationOut(
            as_of=None,
            items=[_out(r.item_code, r.quantity, r.value, r.last_unit_cost) for r in shown],
            total_value=Decimal(await session.scalar(total) or 0),
            next_cursor=cursor,
        )
    worth = await item_worth(session, as_of, list(item_codes) or None)
    codes = sorted(
        code
        for code, (quantity, _) in worth.items()
        if (include_empty or quantity != 0) and (after is None or code > after)
    )
    chosen, cursor = next_cursor(codes, page.limit, lambda code: [code])
    return ValuationOut(
        as_of=as_of,
        items=[_out(code, *worth[code], Decimal(0)) for code in chosen],
        total_value=sum((value for _, value in worth.values()), Decimal(0)),
        next_cursor=cursor,
    )
