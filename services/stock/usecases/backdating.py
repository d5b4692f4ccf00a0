"""Back-dated postings: the closed period, no negative stock at any later moment, and the
values of later movements recomputed.

A movement takes effect at its `posted_at`, which may lie in the past as long as that
day is after the closed period (`closed_through`, set by finance). The ledger's time
order is (posted_at, sequence). Posting in the past:

* a bucket the posting takes stock from must hold enough at that moment and at every
  later one: its lowest balance from then on (the balance at that moment plus the lowest
  running sum of the later movements) must cover the quantity taken;
* the item's moving average is replayed from that moment: the new movements are valued
  with the item's quantity and value at that moment, then every later movement of the
  item is revalued in time order (priced inbound movements keep their price, reversals
  follow the row they take back), and the item's valuation ends where the replay ends.
  Only values change; quantities, locations and states never do.

Every posting holds the item's valuation lock (see posting.py), so the replay sees a
ledger nobody else is changing for that item.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Location, MovementRow, PostingPeriod
from services.stock.domain.model import Movement, QualityState
from services.stock.domain.valuation import ItemValue, value_movements
from shared.db.types import utcnow
from shared.errors import FieldError, InvalidInput

#: How far ahead of the server clock a client's posting time may be (clock skew).
FUTURE_SKEW = timedelta(minutes=5)


def posting_time(requested: datetime | None) -> datetime:
    """The moment a posting takes effect, in UTC: the requested one, or now. Days (of the
    closed period, of receipt dates) are UTC days."""
    return utcnow() if requested is None else requested.astimezone(UTC)


class PeriodClosed(InvalidInput):
    code = "period_closed"
    title = "The posting date lies in a closed period"


async def closed_through(session: AsyncSession) -> date | None:
    return await session.scalar(select(PostingPeriod.closed_through).where(PostingPeriod.id == 1))


async def check_posting_time(session: AsyncSession, posted_at: datetime) -> None:
    """Refuse a posting time in the future or in the closed period (field body.posted_at)."""
    if posted_at > utcnow() + FUTURE_SKEW:
        raise InvalidInput(
            "the posting time lies in the future",
            errors=[FieldError("body.posted_at", "must not lie in the future", "invalid")],
        )
    closed = await closed_through(session)
    if closed is not None and posted_at.date() <= closed:
        raise PeriodClosed(
            f"the period through {closed.isoformat()} is closed",
            errors=[
                FieldError(
                    "body.posted_at",
                    f"on or before {closed.isoformat()}, which is closed",
                    "period_closed",
                )
            ],
        )


async def items_with_later_movements(
    session: AsyncSession, item_codes: set[str], posted_at: datetime
) -> set[str]:
    if not item_codes:
        return set()
    found = await session.scalars(
        select(MovementRow.item_code)
        .where(MovementRow.item_code.in_(item_codes), MovementRow.posted_at > posted_at)
        .group_by(MovementRow.item_code)
    )
    return set(found)


async def lowest_balance_from(
    session: AsyncSession,
    *,
    item_code: str,
    location_id: int,
    lot_id: int | None,
    serial_number: str,
    state: QualityState,
    posted_at: datetime,
) -> Decimal:
    """The bucket's lowest balance at `posted_at` or any later moment (movements so far)."""
    arrives = and_(MovementRow.to_location_id == location_id, MovementRow.to_state == state.value)
    leaves = and_(
        MovementRow.from_location_id == location_id, MovementRow.from_state == state.value
    )
    signed = case((arrives, MovementRow.quantity), else_=0) - case(
        (leaves, MovementRow.quantity), else_=0
    )
    lot = MovementRow.lot_id.is_(None) if lot_id is None else MovementRow.lot_id == lot_id
    serial = (
        MovementRow.serial_number == serial_number
        if serial_number
        else MovementRow.serial_number.is_(None)
    )
    bucket = and_(MovementRow.item_code == item_code, lot, serial, or_(arrives, leaves))
    at = await session.scalar(
        select(func.coalesce(func.sum(signed), 0)).where(bucket, MovementRow.posted_at <= posted_at)
    )
    running = (
        select(
            func.sum(signed)
            .over(order_by=(MovementRow.posted_at, MovementRow.sequence))
            .label("running")
        )
        .where(bucket, MovementRow.posted_at > posted_at)
        .subquery("later")
    )
    lowest_later = await session.scalar(select(func.min(running.c.running)))
    return Decimal(at or 0) + min(Decimal(0), Decimal(lowest_later or 0))


async def replay_later(
    session: AsyncSession, item_code: str, posted_at: datetime, item: ItemValue
) -> int:
    """Revalue the item's movements after `posted_at`, continuing from `item` (the item's
    value right after the new movements); `item` ends as the item's value now.

    Returns how many movements changed value.
    """
    rows = (
        await session.execute(
            select(
                MovementRow.id,
                MovementRow.quantity,
                MovementRow.from_location_id,
                MovementRow.to_location_id,
                MovementRow.priced,
                MovementRow.unit_cost,
                MovementRow.value,
                MovementRow.reversal_of_id,
            )
            .where(MovementRow.item_code == item_code, MovementRow.posted_at > posted_at)
            .order_by(MovementRow.posted_at, MovementRow.sequence)
        )
    ).all()
    if not rows:
        return 0
    virtual = frozenset(
        str(location_id)
        for location_id in await session.scalars(
            select(Location.id).where(Location.is_virtual.is_(True))
        )
    )
    replayed = {row.id for row in rows}
    outside = {row.reversal_of_id for row in rows if row.reversal_of_id} - replayed
    stored: dict[int, Decimal] = {}
    if outside:
        found = await session.execute(
            select(MovementRow.id, MovementRow.value).where(MovementRow.id.in_(outside))
        )
        stored = {row_id: value for row_id, value in found}
    moves = [
        Movement(
            item_code=item_code,
            lot_number="",
            quantity=row.quantity,
            source_location=str(row.from_location_id),
            target_location=str(row.to_location_id),
            source_state=QualityState.QUALIFIED,
            target_state=QualityState.QUALIFIED,
            reverses=row.reversal_of_id,
            unit_cost=row.unit_cost if row.priced else None,
        )
        for row in rows
    ]
    revalued: dict[int, Decimal] = {}
    worth = value_movements(
        moves,
        {item_code: item},
        virtual,
        stored,
        row_ids=[row.id for row in rows],
        revalued=revalued,
    )
    changes = [
        {"id": row.id, "value": valued.value, "unit_cost": valued.unit_cost}
        for row, valued in zip(rows, worth, strict=True)
        if (valued.value, valued.unit_cost) != (row.value, row.unit_cost)
    ]
    if changes:
        await session.execute(update(MovementRow), changes)
    return len(changes)
