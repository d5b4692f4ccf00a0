"""Stock reports: dead stock (呆滞料), the items that hold stock but are no longer issued.

An *issue* is a movement from a physical location to a virtual one (consumed by a work
order, shipped, scrapped, returned to the supplier, lost in a count), neither a reversal
nor reversed itself: taking back a receipt is no issue, and a shipment taken back never
happened. Dead is decided per item, wherever it was issued; the filters choose which of
its stock the report shows.

The per-item times are index look-ups on `ix_movements_item_time` (item, posted_at): the
newest issue (whether it was reversed: `ix_movements_reversal_of`), the newest and the
oldest movement of each item that holds stock, one statement for all of them, never a walk
over the ledger. Values come from the item valuations, as `GET /v1/valuation` shows them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.stock.db.models import Balance, ItemValuation, Location, MovementRow
from services.stock.db.queries import location_by_code, location_subtree_ids
from services.stock.domain.model import Stage
from services.stock.domain.valuation import money
from services.stock.report_schemas import DeadStockItem, DeadStockReport
from shared.db.filters import one_of
from shared.db.types import utcnow


@dataclass(frozen=True, slots=True)
class StockScope:
    """Which stock a report looks at: a location (or its subtree), a stage, some items."""

    location_code: str | None = None
    subtree: bool = False
    stage: Stage | None = None
    item_codes: Sequence[str] = ()


async def scope_location_ids(session: AsyncSession, scope: StockScope) -> frozenset[int] | None:
    """The location ids the scope's location filter allows (None: every one); an unknown
    code allows none, as in every report."""
    if scope.location_code is None:
        return None
    root = await location_by_code(session, scope.location_code)
    if root is None:
        return frozenset()
    if not scope.subtree:
        return frozenset({root.id})
    return frozenset(await session.scalars(location_subtree_ids(root.id)))


async def dead_stock(
    session: AsyncSession, *, idle_days: int, limit: int, scope: StockScope
) -> DeadStockReport:
    """Items holding stock in `scope` with no issue for `idle_days` days (never issued: none
    since their first movement), by value, highest first; totals over every one of them."""
    now = utcnow()
    held = await _held_filter(session, scope)
    found = await _idle_items(session, held, now - timedelta(days=idle_days))
    holdings = await _holdings(session, held, list(found))
    worth = await _worth(session, list(found))
    items = [
        _item(code, times, holdings[code], worth.get(code), now)
        for code, times in found.items()
        if code in holdings  # always, read in one snapshot (the route's)
    ]
    items.sort(key=lambda item: (-(item.value or 0), item.item_code))
    return DeadStockReport(
        idle_days=idle_days,
        as_of=now,
        items=items[:limit],
        total_items=len(items),
        total_value=sum((item.value or Decimal(0) for item in items), Decimal(0)),
    )


async def _held_filter(session: AsyncSession, scope: StockScope) -> list[Any]:
    """Conditions on `Balance` (joined with its `Location`) for the stock `scope` holds."""
    where: list[Any] = [Balance.quantity != 0, Location.is_virtual.is_(False)]
    if scope.location_code is not None:
        root = await location_by_code(session, scope.location_code)
        root_id = root.id if root is not None else -1  # an unknown code matches nothing
        where.append(
            Balance.location_id.in_(location_subtree_ids(root_id))
            if scope.subtree
            else Balance.location_id == root_id
        )
    if scope.stage is not None:
        where.append(Balance.stage == scope.stage.value)
    if scope.item_codes:
        where.append(one_of(session, Balance.item_code, scope.item_codes))
    return where


#: (last issue or None, last movement, first movement) of an item.
Times = tuple[datetime | None, datetime, datetime]


async def _idle_items(session: AsyncSession, held: list[Any], cutoff: datetime) -> dict[str, Times]:
    """The items holding stock whose last issue (else first movement) is at `cutoff` or
    before, with their times."""
    items = (
        select(Balance.item_code.label("item_code"))
        .join(Location, Location.id == Balance.location_id)
        .where(*held)
        .group_by(Balance.item_code)
        .subquery("held")
    )
    move, taken_back = aliased(MovementRow, name="move"), aliased(MovementRow, name="taken_back")
    virtual = select(Location.id).where(Location.is_virtual.is_(True))

    def posted(*where: Any, first: bool = False) -> Any:
        """The item's last (or first) posting moment among the movements `where` selects."""
        order = move.posted_at.asc() if first else move.posted_at.desc()
        return (
            select(move.posted_at)
            .where(move.item_code == items.c.item_code, *where)
            .order_by(order)
            .limit(1)
            .scalar_subquery()
        )

    last_issue = posted(
        move.to_location_id.in_(virtual),
        move.from_location_id.not_in(virtual),
        move.reversal_of_id.is_(None),
        ~exists().where(taken_back.reversal_of_id == move.id),  # ix_movements_reversal_of
    )
    times = select(
        items.c.item_code,
        last_issue.label("last_issue_at"),
        posted().label("last_movement_at"),
        posted(first=True).label("first_movement_at"),
    )
    # filtered here: a WHERE on the times would have PostgreSQL look them up twice
    return {
        row.item_code: (row.last_issue_at, row.last_movement_at, row.first_movement_at)
        for row in await session.execute(times)
        if (row.last_issue_at or row.first_movement_at) <= cutoff
    }


async def _holdings(
    session: AsyncSession, held: list[Any], codes: list[str]
) -> dict[str, dict[str, Decimal]]:
    """Quantity per location code of each of `codes` within the scope."""
    if not codes:
        return {}
    rows = await session.execute(
        select(Balance.item_code, Location.code, func.sum(Balance.quantity))
        .join(Location, Location.id == Balance.location_id)
        .where(*held, one_of(session, Balance.item_code, codes))
        .group_by(Balance.item_code, Location.code)
    )
    found: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for code, location, quantity in rows:
        found[code][location] = Decimal(quantity)
    return found


async def _worth(session: AsyncSession, codes: list[str]) -> dict[str, tuple[Decimal, Decimal]]:
    """Quantity and value of each of `codes` over all physical locations (the valuation)."""
    if not codes:
        return {}
    rows = await session.execute(
        select(ItemValuation.item_code, ItemValuation.quantity, ItemValuation.value).where(
            one_of(session, ItemValuation.item_code, codes)
        )
    )
    return {code: (quantity, value) for code, quantity, value in rows}


def _item(
    code: str,
    times: Times,
    at: dict[str, Decimal],
    worth: tuple[Decimal, Decimal] | None,
    now: datetime,
) -> DeadStockItem:
    last_issue, last_movement, first_movement = times
    idle_since = last_issue or first_movement
    quantity = sum(at.values(), Decimal(0))
    return DeadStockItem(
        item_code=code,
        quantity=quantity,
        value=_share(quantity, worth),
        last_issue_at=last_issue,
        last_movement_at=last_movement,
        idle_since=idle_since,
        idle_days=(now - idle_since).days,
        locations=sorted(at),
    )


def _share(quantity: Decimal, worth: tuple[Decimal, Decimal] | None) -> Decimal:
    """What `quantity` of the item is worth: its whole value when it is all the item holds
    (as the valuation shows it), else pro rata at the item's average."""
    if worth is None:
        return Decimal(0)
    held, value = worth
    if quantity == held:
        return value
    return money(quantity * value / held) if held > 0 else Decimal(0)
