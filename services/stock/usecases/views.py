"""Read-side use-cases: balances, the movement ledger, lots."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Balance, Location, Lot, MovementRow
from services.stock.db.queries import (
    location_by_code,
    location_subtree_ids,
    locations_by_ids,
    lots_by_ids,
)
from services.stock.domain.model import QualityState, Stage
from services.stock.schemas import BalanceOut, LotOut, MovementOut
from services.stock.usecases.receipts import lot_out, movement_out
from shared.db.paging import page_by_id, where_equal
from shared.errors import NotFound
from shared.http.pagination import PageParams


async def _location_id(session: AsyncSession, code: str | None) -> int | None:
    if code is None:
        return None
    location = await location_by_code(session, code)
    return location.id if location else -1  # an unknown code matches nothing


async def list_balances(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    location_code: str | None,
    lot_number: str | None,
    quality_state: QualityState | None,
    stage: Stage | None,
    include_zero: bool,
    subtree: bool = False,
) -> tuple[list[BalanceOut], str | None]:
    """Balances by the given filters; with `subtree`, at the location and all below it."""
    location_id = await _location_id(session, location_code)
    query = where_equal(
        select(Balance),
        {
            Balance.item_code: item_code,
            Balance.location_id: None if subtree else location_id,
            Balance.quality_state: quality_state.value if quality_state else None,
            Balance.stage: stage.value if stage else None,
        },
    )
    if subtree and location_id is not None:
        query = query.where(Balance.location_id.in_(location_subtree_ids(location_id)))
    if lot_number is not None:  # "" asks for the stock without a lot
        query = query.where(Balance.lot_key == lot_number)
    if not include_zero:
        query = query.where(Balance.quantity != 0)
    items, cursor = await page_by_id(session, query, Balance.id, page)
    locations = await locations_by_ids(session, [row.location_id for row in items])
    return [_balance_out(row, locations) for row in items], cursor


def _balance_out(row: Balance, locations: dict[int, Location]) -> BalanceOut:
    return BalanceOut(
        item_code=row.item_code,
        location_code=locations[row.location_id].code,
        lot_number=row.lot_key or None,
        quality_state=QualityState(row.quality_state),
        stage=Stage(row.stage),
        quantity=row.quantity,
        updated_at=row.updated_at,
    )


async def list_movements(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    location_code: str | None,
    document_type: str | None,
    lot_number: str | None,
) -> tuple[list[MovementOut], str | None]:
    query = where_equal(
        select(MovementRow),
        {MovementRow.item_code: item_code, MovementRow.document_type: document_type},
    )
    location_id = await _location_id(session, location_code)
    if location_id is not None:
        query = query.where(
            (MovementRow.from_location_id == location_id)
            | (MovementRow.to_location_id == location_id)
        )
    if lot_number:
        query = query.join(Lot, Lot.id == MovementRow.lot_id).where(Lot.lot_number == lot_number)
    items, cursor = await page_by_id(session, query, MovementRow.id, page)
    locations = await locations_by_ids(
        session, [r.from_location_id for r in items] + [r.to_location_id for r in items]
    )
    lots = await lots_by_ids(session, [r.lot_id for r in items])
    return [movement_out(row, locations, lots) for row in items], cursor


async def list_lots(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    lot_number: str | None,
    supplier: str | None,
) -> tuple[list[LotOut], str | None]:
    query = where_equal(
        select(Lot), {Lot.item_code: item_code, Lot.lot_number: lot_number, Lot.supplier: supplier}
    )
    items, cursor = await page_by_id(session, query, Lot.id, page)
    return [lot_out(row) for row in items], cursor


async def get_lot(session: AsyncSession, lot_id: int) -> LotOut:
    lot = await session.get(Lot, lot_id)
    if lot is None:
        raise NotFound(f"lot {lot_id} does not exist")
    return lot_out(lot)
