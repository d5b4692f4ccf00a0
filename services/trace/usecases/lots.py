"""Reading lots from the genealogy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.trace.db.models import LotHistory, TraceLot
from services.trace.schemas import LotHistoryOut, TraceLotDetail, TraceLotOut
from shared.db.paging import page_by_id, where_equal
from shared.errors import NotFound
from shared.http.pagination import PageParams


async def list_lots(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    lot_number: str | None,
    supplier: str | None,
) -> tuple[list[TraceLotOut], str | None]:
    query = where_equal(
        select(TraceLot),
        {
            TraceLot.item_code: item_code,
            TraceLot.lot_number: lot_number,
            TraceLot.supplier: supplier,
        },
    )
    items, cursor = await page_by_id(session, query, TraceLot.id, page)
    return [TraceLotOut.model_validate(row, from_attributes=True) for row in items], cursor


async def get_lot(session: AsyncSession, lot_id: int) -> TraceLotDetail:
    lot = await session.get(TraceLot, lot_id)
    if lot is None:
        raise NotFound(f"the genealogy has no lot {lot_id}")
    history = await session.scalars(
        select(LotHistory).where(LotHistory.lot_id == lot_id).order_by(LotHistory.id)
    )
    return TraceLotDetail(
        **TraceLotOut.model_validate(lot, from_attributes=True).model_dump(),
        history=[LotHistoryOut.model_validate(h, from_attributes=True) for h in history],
    )
