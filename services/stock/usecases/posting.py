"""Posting movements to the ledger and the balances, inside the caller's unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from services.stock.db.models import Location, MovementRow
from services.stock.db.queries import balances_for_update, locations_by_ids, lots_by_ids
from services.stock.domain.model import LocationType, Movement, QualityState, stage_for
from services.stock.domain.posting import InsufficientStock, apply_deltas, balance_deltas
from shared.db.uow import UnitOfWork
from shared.errors import Conflict
from shared.schemas import plain


class DocumentReversed(Conflict):
    code = "document_reversed"
    title = "The document is already reversed"


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


async def post_movements(
    uow: UnitOfWork, ctx: PostingContext, movements: list[Movement]
) -> list[MovementRow]:
    """Append `movements` to the ledger and move the balances; refuses negative stock."""
    virtual = frozenset(code for code, loc in ctx.locations.items() if loc.is_virtual)
    deltas = balance_deltas(movements, virtual)
    stages = {
        key: stage_for(
            ctx.item_types[key.item_code],
            LocationType(ctx.locations[key.location_code].location_type),
        ).value
        for key in deltas
    }
    rows = await balances_for_update(uow.session, list(deltas), ctx.locations, ctx.lot_ids, stages)
    try:
        new = apply_deltas({k: r.quantity for k, r in rows.items()}, deltas)
    except InsufficientStock as exc:
        raise InsufficientStockProblem(
            str(exc),
            extra={
                "item_code": exc.key.item_code,
                "location_code": exc.key.location_code,
                "lot_number": exc.key.lot_number or None,
                "quality_state": exc.key.quality_state.value,
                "available": plain(exc.available),
                "needed": plain(exc.needed),
            },
        ) from exc
    for key, quantity in new.items():
        rows[key].quantity = quantity
        rows[key].updated_at = ctx.posted_at
    ledger = [_ledger_row(uow, ctx, move) for move in movements]
    uow.session.add_all(ledger)
    await uow.session.flush()
    return ledger


def _ledger_row(uow: UnitOfWork, ctx: PostingContext, move: Movement) -> MovementRow:
    target = ctx.locations[move.target_location]
    source = ctx.locations[move.source_location]
    physical = source if target.is_virtual else target
    return MovementRow(
        document_type=ctx.document_type,
        document_id=ctx.document_id,
        item_code=move.item_code,
        lot_id=ctx.lot_ids.get((move.item_code, move.lot_number)),
        quantity=move.quantity,
        from_location_id=source.id,
        to_location_id=target.id,
        from_state=move.source_state.value,
        to_state=move.target_state.value,
        stage=stage_for(ctx.item_types[move.item_code], LocationType(physical.location_type)).value,
        posted_at=ctx.posted_at,
        posted_by=uow.actor,
        reversal_of_id=move.reverses,
    )


async def reverse_document(
    uow: UnitOfWork,
    document_type: str,
    document_id: int,
    item_types: Mapping[str, str],
    posted_at: datetime,
) -> list[MovementRow]:
    """Take back every movement of a posted document with opposite ones (never edits).

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
            .order_by(MovementRow.id)
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
    )
    return await post_movements(uow, ctx, movements)
