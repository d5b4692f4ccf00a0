"""Posting movements to the ledger and the balances, inside the caller's unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.stock.db.models import (
    DefectiveRelease,
    Inspection,
    Location,
    MovementRow,
    OpeningBalance,
    ProductionReceipt,
    Receipt,
    Requisition,
    ScrapReturn,
    Shipment,
    StockCount,
    Transfer,
)
from services.stock.db.queries import (
    balances_for_update,
    locations_by_ids,
    lots_by_ids,
    serials_for_update,
    take_sequences,
    valuations_for_update,
)
from services.stock.domain.model import (
    FIRST_ARRIVALS,
    LEFT_AS,
    NO_REFERENCES,
    BalanceKey,
    LocationType,
    Movement,
    QualityState,
    References,
    SerialStatus,
    stage_for,
)
from services.stock.domain.posting import (
    InsufficientStock,
    apply_deltas,
    balance_deltas,
    held_since,
)
from services.stock.domain.valuation import ItemValue, Valued, value_movements
from services.stock.usecases import aggregation
from services.stock.usecases.backdating import (
    Now,
    check_posting_time,
    items_with_later_movements,
    lowest_balance_from,
    replay_later,
    revalued,
)
from services.stock.usecases.overview import item_worth
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict
from shared.schemas import plain


class DocumentStatusConflict(Conflict):
    code = "document_status_conflict"
    title = "The document is not in a status that allows this"


class DocumentReversed(Conflict):
    code = "document_reversed"
    title = "The document is already reversed"


class SerialConflict(Conflict):
    code = "serial_conflict"
    title = "The serial number cannot move this way"


class InsufficientStockProblem(Conflict):
    code = "insufficient_stock"
    title = "Not enough stock"


@dataclass(frozen=True, slots=True)
class PostingContext:
    document_type: str
    document_id: int
    #: The catalog's item type of every item the document moves (stages follow from it).
    item_types: Mapping[str, str]
    locations: dict[str, Location]
    #: Lot ids by (item code, lot number); items without lots need no entry.
    lot_ids: Mapping[tuple[str, str], int | None]
    posted_at: datetime
    #: The orders and partner the document's movements refer to.
    references: References = NO_REFERENCES


async def post_movements(
    uow: UnitOfWork, ctx: PostingContext, movements: list[Movement]
) -> list[MovementRow]:
    """Append `movements` to the ledger and move the balances; refuses negative stock.

    In one go, in a fixed lock order (no deadlocks): the balances (sorted), the items'
    valuations (sorted; every movement gets its moving-average value), then the ledger
    counter (gap-free sequence numbers, held until commit).

    The aggregates (flows, month-end closings, rollups) are not written here: they follow
    the ledger once the posting commits (usecases/aggregation.py), so they never lengthen
    a posting, nor the time it holds the ledger counter. Only a back-dated posting that
    revalues later movements the aggregates already hold changes them itself.
    """
    virtual = frozenset(code for code, loc in ctx.locations.items() if loc.is_virtual)
    deltas = balance_deltas(movements, virtual)
    stages = {
        key: stage_for(
            ctx.item_types[key.item_code],
            LocationType(ctx.locations[key.location_code].location_type),
        ).value
        for key in deltas
    }
    await check_posting_time(uow.session, ctx.posted_at)
    rows = await balances_for_update(uow.session, list(deltas), ctx.locations, ctx.lot_ids, stages)
    if isinstance(ctx.posted_at, Now):  # "now" is when the locks are ours
        ctx = await _restamp(uow, ctx)
    try:
        new = apply_deltas({k: r.quantity for k, r in rows.items()}, deltas)
    except InsufficientStock as exc:
        raise _shortage(exc) from exc
    later = await items_with_later_movements(
        uow.session, {m.item_code for m in movements}, ctx.posted_at
    )
    await _check_later_balances(uow, ctx, deltas, later)
    await _move_serials(uow, ctx, movements)
    for key, quantity in new.items():
        row = rows[key]
        row.since = held_since(row.quantity, quantity, row.since, ctx.posted_at)
        row.quantity = quantity
        row.updated_at = max(row.updated_at, ctx.posted_at)
    worth = await _value(uow, ctx, movements, virtual, later)
    first = await take_sequences(uow.session, len(movements))
    ledger = [
        _ledger_row(uow, ctx, move, valued, first + offset)
        for offset, (move, valued) in enumerate(zip(movements, worth, strict=True))
    ]
    uow.session.add_all(ledger)
    await uow.session.flush()
    changes = revalued(uow.session)
    if changes:  # back-dated: rare, and what the aggregates hold must change now
        await aggregation.add_revaluations(uow.session, changes)
    # the flows, closings and rollups follow once this commits (usecases/aggregation.py)
    uow.after_commit(aggregation.wake)
    return ledger


#: The header of each kind of document, by the `document_type` its movements carry.
_HEADERS: dict[str, Any] = {
    "purchase_receipt": Receipt,
    "inspection": Inspection,
    "transfer": Transfer,
    "requisition": Requisition,
    "scrap": ScrapReturn,
    "supplier_return": ScrapReturn,
    "customer_return": ScrapReturn,
    "production_receipt": ProductionReceipt,
    "shipment": Shipment,
    "stock_count": StockCount,
    "opening_balance": OpeningBalance,
    "defective_release": DefectiveRelease,
}


async def _restamp(uow: UnitOfWork, ctx: PostingContext) -> PostingContext:
    """Date a "now" posting when its locks are held, and its document with it (unless the
    document was dated by another posting: a reversal keeps its original's date)."""
    fresh = Now.now(UTC)
    model = _HEADERS.get(ctx.document_type)
    if model is not None:
        header = await uow.session.get(model, ctx.document_id)
        # dated by this posting (at or after its start): a reversal's original is older
        if (
            header is not None
            and header.posted_at is not None
            and header.posted_at >= ctx.posted_at
        ):
            header.posted_at = fresh
    return replace(ctx, posted_at=fresh)


def _shortage(exc: InsufficientStock, prefix: str = "") -> InsufficientStockProblem:
    return InsufficientStockProblem(
        prefix + str(exc),
        extra={
            "item_code": exc.key.item_code,
            "location_code": exc.key.location_code,
            "lot_number": exc.key.lot_number or None,
            "serial_number": exc.key.serial_number or None,
            "quality_state": exc.key.quality_state.value,
            "available": plain(exc.available),
            "needed": plain(exc.needed),
        },
    )


async def _move_serials(uow: UnitOfWork, ctx: PostingContext, movements: list[Movement]) -> None:
    """Keep each serial's status: one unit, in stock at one place, or gone one way.

    A serial arriving from a virtual location must not be in stock already; one never seen
    may arrive only from a supplier, production or a count gain; one seen before only from
    where it went (a customer return needs a shipped serial, a reversed scrap a scrapped
    one). Leaving a physical location, the balance check has already proved it is there.
    """
    moving = [m for m in movements if m.serial_number]
    if not moving:
        return
    rows = await serials_for_update(
        uow.session, ((m.item_code, m.serial_number) for m in moving), ctx.posted_at
    )
    for move in moving:
        row = rows[(move.item_code, move.serial_number)]
        source, target = ctx.locations[move.source_location], ctx.locations[move.target_location]
        name = f"serial {move.serial_number} of {move.item_code}"
        if source.is_virtual:
            kind = LocationType(source.location_type)
            if row.status == SerialStatus.IN_STOCK.value:
                raise SerialConflict(f"{name} is already in stock: it cannot be received again")
            if row.status == "":
                if kind not in FIRST_ARRIVALS:
                    raise SerialConflict(
                        f"{name} was never in stock: it cannot come back from {source.code}"
                    )
                row.lot_id = ctx.lot_ids.get((move.item_code, move.lot_number))
                row.first_seen_at = ctx.posted_at
            elif LEFT_AS.get(kind) is not SerialStatus(row.status):
                raise SerialConflict(f"{name} is {row.status}: it cannot arrive from {source.code}")
        elif row.status != SerialStatus.IN_STOCK.value:
            raise SerialConflict(f"{name} is not in stock")
        if target.is_virtual:
            row.status = LEFT_AS[LocationType(target.location_type)].value
            row.location_id = None
            row.quality_state = None
        else:
            row.status = SerialStatus.IN_STOCK.value
            row.location_id = target.id
            row.quality_state = move.target_state.value
        row.updated_at = ctx.posted_at


async def _check_later_balances(
    uow: UnitOfWork, ctx: PostingContext, deltas: Mapping[BalanceKey, Decimal], later: set[str]
) -> None:
    """A back-dated posting may take from a bucket only what it holds at that moment and at
    every later one (backdating.py)."""
    for key in sorted(deltas):
        if deltas[key] >= 0 or key.item_code not in later:
            continue
        lowest = await lowest_balance_from(
            uow.session,
            item_code=key.item_code,
            location_id=ctx.locations[key.location_code].id,
            lot_id=ctx.lot_ids.get((key.item_code, key.lot_number)),
            serial_number=key.serial_number,
            state=key.quality_state,
            posted_at=ctx.posted_at,
        )
        if lowest + deltas[key] < 0:
            exc = InsufficientStock(key, max(lowest, Decimal(0)), -deltas[key])
            raise _shortage(
                exc, f"posted at {ctx.posted_at.isoformat()}, a later balance would go negative: "
            ) from exc


async def _value(
    uow: UnitOfWork,
    ctx: PostingContext,
    movements: list[Movement],
    virtual: frozenset[str],
    later: set[str],
) -> list[Valued]:
    """Value every movement and move the items' valuations (domain/valuation.py); for items
    with later movements, value at the posting time and replay what follows."""
    rows = await valuations_for_update(uow.session, (m.item_code for m in movements))
    items = {
        code: ItemValue(row.quantity, row.value, row.last_unit_cost) for code, row in rows.items()
    }
    if later:
        then = await item_worth(uow.session, ctx.posted_at, later)
        for code in later:
            quantity, value = then.get(code, (Decimal(0), Decimal(0)))
            items[code] = ItemValue(quantity, value, rows[code].last_unit_cost)
    reversed_ids = [m.reverses for m in movements if m.reverses is not None]
    reversed_values: dict[int, Decimal] = {}
    if reversed_ids:
        found = await uow.session.execute(
            select(MovementRow.id, MovementRow.value).where(MovementRow.id.in_(reversed_ids))
        )
        reversed_values = {row_id: value for row_id, value in found}
    worth = value_movements(movements, items, virtual, reversed_values)
    for code in sorted(later):
        before = rows[code].value
        changed = await replay_later(uow.session, code, ctx.posted_at, items[code])
        if changed:
            uow.emit(
                "ItemRevalued",
                "item",
                code,
                {
                    "item_code": code,
                    "from": ctx.posted_at.isoformat(),
                    "movements_revalued": changed,
                    "value_before": plain(before),
                    "value_after": plain(items[code].value),
                },
            )
    for code, row in rows.items():
        item = items[code]
        if (row.quantity, row.value, row.last_unit_cost) != (
            item.quantity,
            item.value,
            item.last_unit_cost,
        ):
            row.quantity, row.value, row.last_unit_cost = (
                item.quantity,
                item.value,
                item.last_unit_cost,
            )
            row.updated_at = ctx.posted_at
    return worth


def _ledger_row(
    uow: UnitOfWork, ctx: PostingContext, move: Movement, valued: Valued, sequence: int
) -> MovementRow:
    target = ctx.locations[move.target_location]
    source = ctx.locations[move.source_location]
    physical = source if target.is_virtual else target
    return MovementRow(
        document_type=ctx.document_type,
        document_id=ctx.document_id,
        item_code=move.item_code,
        lot_id=ctx.lot_ids.get((move.item_code, move.lot_number)),
        serial_number=move.serial_number or None,
        quantity=move.quantity,
        sequence=sequence,
        unit_cost=valued.unit_cost,
        value=valued.value,
        priced=move.unit_cost is not None
        and move.reverses is None
        and source.is_virtual
        and not target.is_virtual,
        from_location_id=source.id,
        to_location_id=target.id,
        from_state=move.source_state.value,
        to_state=move.target_state.value,
        stage=stage_for(ctx.item_types[move.item_code], LocationType(physical.location_type)).value,
        posted_at=ctx.posted_at,
        recorded_at=utcnow(),
        posted_by=uow.actor,
        reversal_of_id=move.reverses,
        purchase_order=ctx.references.purchase_order,
        work_order=ctx.references.work_order,
        sales_order=ctx.references.sales_order,
        supplier=ctx.references.supplier,
        customer=ctx.references.customer,
    )


async def reverse_document(
    uow: UnitOfWork,
    document_type: str,
    document_id: int,
    item_types: Mapping[str, str],
    posted_at: datetime,
) -> list[MovementRow]:
    """Take back every movement of a posted document with opposite ones (never edits),
    newest first (a serial that left and came back within the document goes back in order).

    The new rows belong to the same document and name the row they reverse in
    `reversal_of_id`; the balances must still hold what the document put there.
    """
    originals = list(
        await uow.session.scalars(
            select(MovementRow)
            .where(
                MovementRow.document_type == document_type,
                MovementRow.document_id == document_id,
                MovementRow.reversal_of_id.is_(None),
            )
            .order_by(MovementRow.id.desc())
        )
    )
    locations = await locations_by_ids(
        uow.session, [m.from_location_id for m in originals] + [m.to_location_id for m in originals]
    )
    lots = await lots_by_ids(uow.session, [m.lot_id for m in originals])
    movements = [
        Movement(
            item_code=row.item_code,
            lot_number=lots[row.lot_id].lot_number if row.lot_id else "",
            quantity=row.quantity,
            source_location=locations[row.from_location_id].code,
            target_location=locations[row.to_location_id].code,
            source_state=QualityState(row.from_state),
            target_state=QualityState(row.to_state),
            serial_number=row.serial_number or "",
        ).reversed(row.id)
        for row in originals
    ]
    ctx = PostingContext(
        document_type=document_type,
        document_id=document_id,
        item_types=item_types,
        locations={loc.code: loc for loc in locations.values()},
        lot_ids={(lot.item_code, lot.lot_number): lot.id for lot in lots.values()},
        posted_at=posted_at,
        references=references_of(originals[0]) if originals else NO_REFERENCES,
    )
    return await post_movements(uow, ctx, movements)


def references_of(row: MovementRow) -> References:
    return References(
        purchase_order=row.purchase_order,
        work_order=row.work_order,
        sales_order=row.sales_order,
        supplier=row.supplier,
        customer=row.customer,
    )
