"""Posting movements to the ledger and the balances, inside the caller's unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.stock.db.models import Location, MovementRow
from services.stock.db.queries import balances_for_update
from services.stock.domain.model import LocationType, Movement, stage_for
from services.stock.domain.posting import InsufficientStock, apply_deltas, balance_deltas
from shared.db.uow import UnitOfWork
from shared.errors import Conflict


class InsufficientStockProblem(Conflict):
    code = "insufficient_stock"
    title = "Not enough stock"


@dataclass(frozen=True, slots=True)
class PostingContext:
    document_type: str
    document_id: int
    item_type: str
    locations: dict[str, Location]
    lot_ids: dict[str, int | None]
    posted_at: datetime


async def post_movements(
    uow: UnitOfWork, ctx: PostingContext, movements: list[Movement]
) -> list[MovementRow]:
    """Append `movements` to the ledger and move the balances; refuses negative stock."""
    virtual = frozenset(code for code, loc in ctx.locations.items() if loc.is_virtual)
    deltas = balance_deltas(movements, virtual)
    stages = {
        key: stage_for(
            ctx.item_type, LocationType(ctx.locations[key.location_code].location_type)
        ).value
        for key in deltas
    }
    rows = await balances_for_update(uow.session, list(deltas), ctx.locations, ctx.lot_ids, stages)
    try:
        new = apply_deltas({k: r.quantity for k, r in rows.items()}, deltas)
    except InsufficientStock as exc:
        raise InsufficientStockProblem(
            str(exc), extra={"available": str(exc.available), "needed": str(exc.needed)}
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
        lot_id=ctx.lot_ids.get(move.lot_number),
        quantity=move.quantity,
        from_location_id=source.id,
        to_location_id=target.id,
        from_state=move.source_state.value,
        to_state=move.target_state.value,
        stage=stage_for(ctx.item_type, LocationType(physical.location_type)).value,
        posted_at=ctx.posted_at,
        posted_by=uow.actor,
    )
