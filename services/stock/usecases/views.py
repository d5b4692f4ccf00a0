"""Read-side use-cases: balances, the movement ledger, lots."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

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
from services.stock.usecases.overview import bucket_of, replayed_sums
from services.stock.usecases.receipts import lot_out, movement_out
from shared.db.paging import page_by_id, where_equal
from shared.errors import FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams, cursor_int, next_cursor


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
    as_of: datetime | None = None,
    expiring_before: date | None = None,
    held_since_before: datetime | None = None,
) -> tuple[list[BalanceOut], str | None]:
    """Balances by the given filters; with `subtree`, at the location and all below it; with
    `as_of`, as they stood then (replayed from the ledger). `expiring_before` keeps the
    balances of lots expiring on or before that day, `held_since_before` those holding stock
    since before that moment: facts of now, refused together with `as_of`."""
    if as_of is not None:
        _refuse_with_as_of(expiring_before=expiring_before, held_since_before=held_since_before)
    location_id = await _location_id(session, location_code)
    if as_of is not None:
        return await _balances_then(
            session,
            page,
            as_of,
            item_code=item_code,
            location_id=location_id,
            subtree=subtree,
            lot_number=lot_number,
            quality_state=quality_state,
            stage=stage,
            include_zero=include_zero,
        )
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
    if expiring_before is not None:
        expiring = select(Lot.id).where(Lot.expiry_date <= expiring_before)
        query = query.where(Balance.lot_id.in_(expiring))
    if held_since_before is not None:
        query = query.where(Balance.since < held_since_before)
    items, cursor = await page_by_id(session, query, Balance.id, page)
    locations = await locations_by_ids(session, [row.location_id for row in items])
    lots = await lots_by_ids(session, [row.lot_id for row in items])
    return [_balance_out(row, locations, lots) for row in items], cursor


def _refuse_with_as_of(**filters: object) -> None:
    """`since` and lots' expiry are facts of now: their filters do not go with `as_of`."""
    given = [name for name, value in filters.items() if value is not None]
    if given:
        raise InvalidInput(
            f"{' and '.join(given)} cannot be combined with as_of",
            errors=[
                FieldError(
                    f"query.{name}",
                    "filters the balances as they are now; leave it out with as_of",
                    "conflict",
                )
                for name in given
            ],
        )


async def _balances_then(
    session: AsyncSession,
    page: PageParams,
    as_of: datetime,
    *,
    item_code: str | None,
    location_id: int | None,
    subtree: bool,
    lot_number: str | None,
    quality_state: QualityState | None,
    stage: Stage | None,
    include_zero: bool,
) -> tuple[list[BalanceOut], str | None]:
    scope: Any = None
    if location_id is not None:
        scope = (
            location_subtree_ids(location_id)
            if subtree
            else select(Location.id).where(Location.id == location_id)
        )
    summed = replayed_sums(as_of, item_code, scope)
    query = where_equal(
        select(Balance, summed.c.quantity).join(summed, bucket_of(summed)),
        {
            Balance.quality_state: quality_state.value if quality_state else None,
            Balance.stage: stage.value if stage else None,
        },
    )
    if lot_number is not None:
        query = query.where(Balance.lot_key == lot_number)
    if not include_zero:
        query = query.where(summed.c.quantity != 0)
    if page.cursor:
        query = query.where(Balance.id > cursor_int(page.cursor))
    rows = list((await session.execute(query.order_by(Balance.id).limit(page.limit + 1))).all())
    shown, cursor = next_cursor(rows, page.limit, key=lambda row: [row[0].id])
    locations = await locations_by_ids(session, [row[0].location_id for row in shown])
    lots = await lots_by_ids(session, [row[0].lot_id for row in shown])
    return [
        _balance_out(balance, locations, lots, quantity=Decimal(quantity))
        for balance, quantity in shown
    ], cursor


def _balance_out(
    row: Balance,
    locations: dict[int, Location],
    lots: dict[int, Lot],
    *,
    quantity: Decimal | None = None,
) -> BalanceOut:
    """A balance as it is now, or (given the replayed `quantity`) as it stood at a past
    moment, when its `since` is unknown."""
    lot = lots.get(row.lot_id) if row.lot_id is not None else None
    return BalanceOut(
        item_code=row.item_code,
        location_code=locations[row.location_id].code,
        lot_number=row.lot_key or None,
        serial_number=row.serial_key or None,
        quality_state=QualityState(row.quality_state),
        stage=Stage(row.stage),
        quantity=row.quantity if quantity is None else quantity,
        updated_at=row.updated_at,
        since=row.since if quantity is None else None,
        expiry_date=lot.expiry_date if lot is not None else None,
    )


#: The movement columns `list_movements` filters references by.
REFERENCE_COLUMNS = frozenset(
    {"work_order", "purchase_order", "sales_order", "supplier", "customer"}
)


async def list_movements(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    location_code: str | None,
    document_type: str | None,
    lot_number: str | None,
    references: Mapping[str, str | None] | None = None,
) -> tuple[list[MovementOut], str | None]:
    """Movements by id; `references` maps a reference column (work_order, purchase_order,
    sales_order, supplier, customer) to the value it must have (None: any)."""
    query = where_equal(
        select(MovementRow),
        {
            MovementRow.item_code: item_code,
            MovementRow.document_type: document_type,
            **{
                getattr(MovementRow, name): value
                for name, value in (references or {}).items()
                if name in REFERENCE_COLUMNS
            },
        },
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
