"""The stock card: an item's movements in a scope, each with the running balance.

The scope is every physical location, or one location (with its subtree), optionally one
quality state. A movement changes the scope's quantity by +q when it arrives in the
scope, -q when it leaves, and 0 when both ends lie inside (a put-away within a
warehouse, or a QC result when no state is chosen); such movements are still listed.
Movements run in time order (posted_at, then ledger sequence), so a back-dated posting
shows where it took effect. The running balance starts from the sum of every earlier
movement, so any page of the card carries the right balances.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Location, MovementRow
from services.stock.db.queries import location_subtree_ids, locations_by_ids, lots_by_ids
from services.stock.domain.model import QualityState
from services.stock.schemas import StockCardOut, StockCardRow
from services.stock.usecases.receipts import movement_out
from shared.errors import FieldError, InvalidInput
from shared.http.pagination import PageParams, cursor_int, next_cursor


def _cursor(values: list[Any]) -> tuple[datetime, int]:
    try:
        at = datetime.fromisoformat(str(values[0]))
    except (IndexError, ValueError) as exc:
        raise InvalidInput(
            "the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")]
        ) from exc
    if at.tzinfo is None or len(values) != 2:
        raise InvalidInput(
            "the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")]
        )
    return at, cursor_int(values, 1)


def _scope(location_id: int | None, subtree: bool) -> Select[Any]:
    if location_id is None:
        return select(Location.id).where(Location.is_virtual.is_(False))
    if subtree:
        return location_subtree_ids(location_id)
    return select(Location.id).where(Location.id == location_id)


def _ends(scope: Select[Any], state: QualityState | None) -> tuple[Any, Any]:
    """SQL for "the movement arrives in the scope" and "it leaves the scope"."""
    arrives: ColumnElement[bool] = MovementRow.to_location_id.in_(scope)
    leaves: ColumnElement[bool] = MovementRow.from_location_id.in_(scope)
    if state is not None:
        arrives = and_(arrives, MovementRow.to_state == state.value)
        leaves = and_(leaves, MovementRow.from_state == state.value)
    return arrives, leaves


async def stock_card(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str,
    location_code: str | None,
    subtree: bool,
    quality_state: QualityState | None,
) -> StockCardOut:
    location_id = None
    if location_code is not None:
        location_id = await session.scalar(
            select(Location.id).where(Location.code == location_code)
        )
        if location_id is None:
            raise InvalidInput(
                f"no location {location_code!r}",
                errors=[FieldError("query.location_code", "unknown location", "not_found")],
            )
    scope = _scope(location_id, subtree)
    arrives, leaves = _ends(scope, quality_state)
    change = case((arrives, MovementRow.quantity), else_=0) - case(
        (leaves, MovementRow.quantity), else_=0
    )
    touches = and_(MovementRow.item_code == item_code, or_(arrives, leaves))
    upto: ColumnElement[bool] = false()
    if page.cursor:
        at, sequence = _cursor(page.cursor)
        upto = or_(
            MovementRow.posted_at < at,
            and_(MovementRow.posted_at == at, MovementRow.sequence <= sequence),
        )
    opening = await session.scalar(select(func.coalesce(func.sum(change), 0)).where(touches, upto))
    rows = list(
        (
            await session.execute(
                select(MovementRow, change.label("change"))
                .where(touches, not_(upto))
                .order_by(MovementRow.posted_at, MovementRow.sequence)
                .limit(page.limit + 1)
            )
        ).all()
    )
    rows, cursor = next_cursor(
        rows, page.limit, key=lambda row: [row[0].posted_at.isoformat(), row[0].sequence]
    )
    movements = [row[0] for row in rows]
    locations = await locations_by_ids(
        session, [m.from_location_id for m in movements] + [m.to_location_id for m in movements]
    )
    lots = await lots_by_ids(session, [m.lot_id for m in movements])
    balance = Decimal(opening or 0)
    opening_balance = balance
    card: list[StockCardRow] = []
    for movement, delta in rows:
        balance += Decimal(delta)
        card.append(
            StockCardRow(
                movement=movement_out(movement, locations, lots),
                change=Decimal(delta),
                balance=balance,
            )
        )
    return StockCardOut(
        item_code=item_code,
        location_code=location_code,
        subtree=subtree,
        quality_state=quality_state,
        opening_balance=opening_balance,
        closing_balance=balance,
        rows=card,
        next_cursor=cursor,
    )
