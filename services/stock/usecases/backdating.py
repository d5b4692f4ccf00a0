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

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Location, MovementRow, PostingPeriod
from services.stock.domain.flows import FlowMove
from services.stock.domain.model import QualityState
from services.stock.domain.valuation import Direction, ItemValue, StoredMovement, replay
from services.stock.usecases.flows import FUTURE_SKEW, Stages, balance_stages
from shared.db.types import utcnow
from shared.errors import FieldError, InvalidInput

#: Up to this many items, later movements are probed item by item (an index seek each).
FEW_ITEMS = 20


class Now(datetime):
    """A posting time nobody asked for: "when it reaches the ledger". `post_movements`
    takes it again once it holds its balance locks, so a posting that waited for the
    locks of another one is never dated before it (which would make it a back-dated
    posting, with the checks and revaluation of one)."""


def posting_time(requested: datetime | None) -> datetime:
    """The moment a posting takes effect, in UTC: the requested one, or now (a `Now`).
    Days (of the closed period, of receipt dates) are UTC days."""
    return Now.now(UTC) if requested is None else requested.astimezone(UTC)


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
    if posted_at.astimezone(UTC).date() >= utcnow().date():
        return  # only past days can be closed (set_posting_period refuses today)
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
    if len(item_codes) <= FEW_ITEMS:  # one index probe each, stopping at the first row
        hits = set()
        for code in sorted(item_codes):
            first = await session.scalar(
                select(MovementRow.id)
                .where(MovementRow.item_code == code, MovementRow.posted_at > posted_at)
                .limit(1)
            )
            if first is not None:
                hits.add(code)
        return hits
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


_LATER_SQL = (
    "SELECT id, quantity, from_location_id, to_location_id, priced, unit_cost, value, "
    "reversal_of_id, posted_at, from_state, to_state, stage, document_type, supplier, customer, "
    "sequence FROM movements WHERE item_code = $1 AND posted_at > $2 "
    "ORDER BY posted_at, sequence"
)


async def _later_rows(session: AsyncSession, item_code: str, posted_at: datetime) -> list[Any]:
    """The item's movements after `posted_at` in time order: (id, quantity, from id, to id,
    priced, unit cost, value, reversal of, posted at, from state, to state, stage, document
    type, supplier, customer, sequence). On PostgreSQL straight from the driver (a replay
    may read a hundred thousand rows), elsewhere through SQLAlchemy."""
    if session.get_bind().dialect.name == "postgresql":
        await session.flush()  # the driver sees only what the session has written
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        return list(await driver.fetch(_LATER_SQL, item_code, posted_at))
    result = await session.execute(
        select(
            MovementRow.id,
            MovementRow.quantity,
            MovementRow.from_location_id,
            MovementRow.to_location_id,
            MovementRow.priced,
            MovementRow.unit_cost,
            MovementRow.value,
            MovementRow.reversal_of_id,
            MovementRow.posted_at,
            MovementRow.from_state,
            MovementRow.to_state,
            MovementRow.stage,
            MovementRow.document_type,
            MovementRow.supplier,
            MovementRow.customer,
            MovementRow.sequence,
        )
        .where(MovementRow.item_code == item_code, MovementRow.posted_at > posted_at)
        .order_by(MovementRow.posted_at, MovementRow.sequence)
    )
    return list(result.all())


async def replay_later(
    session: AsyncSession, item_code: str, posted_at: datetime, item: ItemValue
) -> int:
    """Revalue the item's movements after `posted_at`, continuing from `item` (the item's
    value right after the new movements); `item` ends as the item's value now.

    Returns how many movements changed value. On PostgreSQL the new values are written in
    one `UPDATE .. FROM unnest(..)`.
    """
    rows = await _later_rows(session, item_code, posted_at)
    if not rows:
        return 0
    virtual = set(await session.scalars(select(Location.id).where(Location.is_virtual.is_(True))))

    def kind(source: int, target: int) -> Direction:
        if source in virtual and target not in virtual:
            return Direction.INBOUND
        if target in virtual and source not in virtual:
            return Direction.OUTBOUND
        return Direction.INTERNAL

    stored = [
        StoredMovement(
            row_id=row_id,
            quantity=quantity,
            kind=kind(source, target),
            unit_cost=unit_cost if priced else None,
            reverses=reverses,
            value=value,
            stored_unit_cost=unit_cost,
        )
        for row_id, quantity, source, target, priced, unit_cost, value, reverses, *_ in rows
    ]
    replayed = {row.row_id for row in stored}
    outside_ids = {row.reverses for row in stored if row.reverses} - replayed
    outside: dict[int, Decimal] = {}
    if outside_ids:
        found = await session.execute(
            select(MovementRow.id, MovementRow.value).where(MovementRow.id.in_(outside_ids))
        )
        outside = {row_id: value for row_id, value in found}
    changes = replay(stored, item, outside)
    if changes and session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(
                "UPDATE movements AS m SET value = v.value, unit_cost = v.unit_cost "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:values AS numeric[]), "
                "CAST(:costs AS numeric[])) AS v(id, value, unit_cost) WHERE m.id = v.id"
            ),
            {
                "ids": [row_id for row_id, _, _ in changes],
                "values": [value for _, value, _ in changes],
                "costs": [cost for _, _, cost in changes],
            },
        )
    elif changes:
        await session.execute(
            update(MovementRow),
            [{"id": row_id, "value": value, "unit_cost": cost} for row_id, value, cost in changes],
        )
    if changes:
        stages = await balance_stages(session, [item_code])
        session.info.setdefault(REVALUED, []).extend(
            _revaluations(item_code, rows, changes, virtual, stages)
        )
    return len(changes)


#: Where a posting's revaluations wait until it holds the ledger counter
#: (`posting.post_movements`, `aggregation.add_revaluations`).
REVALUED = "stock_revalued"


def revalued(session: AsyncSession) -> list[tuple[int, FlowMove]]:
    """The value changes `replay_later` made in the session's transaction since last
    asked: (the changed movement's sequence, the change as a flow)."""
    found: list[tuple[int, FlowMove]] = session.info.pop(REVALUED, [])
    return found


def _revaluations(
    item_code: str,
    rows: list[Any],
    changes: list[tuple[int, Decimal, Decimal]],
    virtual: set[int],
    stages: Stages,
) -> list[tuple[int, FlowMove]]:
    """The value changes of replayed movements, as flows (no quantity, no movement), with
    each movement's sequence."""
    new_values = {row_id: value for row_id, value, _ in changes}
    return [
        (
            row[15],
            FlowMove(
                posted_at=row[8],
                item_code=item_code,
                kind=row[12],
                from_stage=stages.get((item_code, row[2]), row[11]),
                to_stage=stages.get((item_code, row[3]), row[11]),
                from_location_id=row[2],
                to_location_id=row[3],
                from_virtual=row[2] in virtual,
                to_virtual=row[3] in virtual,
                from_state=row[9],
                to_state=row[10],
                quantity=Decimal(0),
                value=new_values[row[0]] - row[6],
                reversal=row[7] is not None,
                supplier=row[13],
                customer=row[14],
                count=0,
            ),
        )
        for row in rows
        if row[0] in new_values and new_values[row[0]] != row[6]
    ]
