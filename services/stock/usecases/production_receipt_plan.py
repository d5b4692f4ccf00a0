"""What a production receipt consumes and produces, planned under locks before it posts.

* Components are consumed from qualified stock at the production line. A line naming its
  lot (or an untracked item) takes what it asks; a lot-tracked line without a lot is
  backflushed: lots picked first expiring, then first received (never expired ones, never
  what the lines naming their lots take), split across lots where one is not enough. A
  serial-tracked line names the units it consumed; each must be qualified at the line
  (in the line's lot when it names one; an expired lot is no obstacle: the line has
  already used the unit) and is consumed with its own lot.
* Outputs arrive from production; a serial-tracked output names new units, one movement
  of quantity 1 each. A unit seen before is refused (`serial_conflict`), except one whose
  production receipt was reversed: it left stock only by that reversal and may be
  produced again by a corrected receipt.
* Everything the document touches is locked first, in the posting's lock order: every
  balance bucket (the outputs', the named components', the named units', and every
  qualified lot at the line that backflush may pick from) in one sorted pass, then every
  unit's serial row, then every item's valuation. The picks are made from the locked
  quantities, so they are exact and need no retry. The posting itself is split in two
  calls (components, then outputs) and the first takes the ledger counter, held until
  commit: without these locks up front the second call would lock balances, serials and
  valuations after the counter, against every other posting's order. Stock that reaches
  the line while this runs is not seen, as if it arrived just after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogItem
from services.stock.db.models import Balance, Location, Lot, MovementRow
from services.stock.db.queries import valuations_for_update
from services.stock.domain.model import (
    VIRTUAL_LOCATIONS,
    BalanceKey,
    LocationType,
    Movement,
    QualityState,
    References,
    Tracking,
)
from services.stock.domain.picking import Candidate, Shortage, pick
from services.stock.domain.posting import InsufficientStock, apply_deltas, balance_deltas
from services.stock.domain.valuation import money
from services.stock.production_receipt_schemas import (
    ComponentIn,
    OutputIn,
    ProductionReceiptCreate,
)
from services.stock.usecases.document_lines import unit_quantities
from services.stock.usecases.posting import (
    InsufficientStockProblem,
    PostingContext,
)
from services.stock.usecases.production_receipt_reading import DOCUMENT_TYPE
from services.stock.usecases.production_receipt_serials import lock_serials
from services.stock.usecases.requisition_picking import (
    SerialLine,
    Stock,
    by_lot,
    line_index,
    lock_buckets,
    lot_ids_of,
    merged,
    qualified_stock,
    serial_shortage,
    take_serials,
)
from shared.errors import FieldError
from shared.schemas import plain

PRODUCTION = VIRTUAL_LOCATIONS[LocationType.PRODUCTION]
QUALIFIED = QualityState.QUALIFIED


@dataclass(frozen=True, slots=True)
class Consumption:
    """What one component line takes from one lot (or, untracked, from the item); for a
    serial-tracked line, the units it takes from one lot."""

    line: int  # 0-based index into the request's components
    item_code: str
    lot_number: str  # "" for untracked items
    quantity: Decimal
    backflushed: bool
    serials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    consumptions: list[Consumption]
    context: PostingContext
    components: list[Movement]


def backflushed(items: Mapping[str, CatalogItem], line: ComponentIn) -> bool:
    return line.lot_number is None and Tracking(items[line.item_code].tracking) is Tracking.LOT


def _less_named(candidates: Sequence[Candidate], named: Sequence[Consumption]) -> list[Candidate]:
    """The candidates minus what the lines naming their lots take (backflush comes last)."""
    taken: dict[tuple[str, str], Decimal] = {}
    for c in named:
        key = (c.item_code, c.lot_number)
        taken[key] = taken.get(key, Decimal(0)) + c.quantity
    left: list[Candidate] = []
    for candidate in candidates:
        key = (candidate.item_code, candidate.lot_number)
        use = min(taken.get(key, Decimal(0)), candidate.quantity)
        taken[key] = taken.get(key, Decimal(0)) - use
        left.append(replace(candidate, quantity=candidate.quantity - use))
    return left


def _consume(
    data: ProductionReceiptCreate,
    items: Mapping[str, CatalogItem],
    named: Sequence[Consumption],
    pool: Sequence[Candidate],
    wip: Location,
    today: date,
) -> list[Consumption]:
    """The consumption of the lines without serials, in line order: the lines naming their
    lot (or untracked) as asked; the backflushed ones picked from `pool` (the locked stock
    at the line) FEFO then FIFO, after what the named lines take."""
    flushed = [(i, c) for i, c in enumerate(data.components) if backflushed(items, c)]
    if not flushed:
        return list(named)
    left = _less_named(pool, named)
    picks, shortages = pick(
        ((i, c.item_code, c.quantity, None) for i, c in flushed), left, today=today
    )
    if shortages:
        raise _backflush_shortage(shortages, flushed, left, wip, today)
    picked = [Consumption(p.line, p.item_code, p.lot_number, p.quantity, True) for p in picks]
    return sorted([*named, *picked], key=lambda c: c.line)


def _backflush_shortage(
    shortages: Sequence[Shortage],
    flushed: Sequence[tuple[int, ComponentIn]],
    pool: Sequence[Candidate],
    wip: Location,
    today: date,
) -> InsufficientStockProblem:
    """409 naming, per short item, what backflush could use at the line and what its
    backflushed lines need together."""
    short = list(dict.fromkeys(s.item_code for s in shortages))
    usable = {
        code: sum(
            (
                c.quantity
                for c in pool
                if c.item_code == code and (c.expiry_date is None or c.expiry_date >= today)
            ),
            Decimal(0),
        )
        for code in short
    }
    needed = {
        code: sum((c.quantity for _, c in flushed if c.item_code == code), Decimal(0))
        for code in short
    }

    def says(code: str) -> str:
        return (
            f"backflushing {code} at {wip.code} needs {plain(needed[code])}; "
            f"{plain(usable[code])} qualified, unexpired and not named by another line is there"
        )

    first = short[0]
    return InsufficientStockProblem(
        f"the production receipt cannot be posted: {says(first)}",
        errors=[
            FieldError(
                f"body.components.{index}.quantity", says(line.item_code), "insufficient_stock"
            )
            for index, line in flushed
            if line.item_code in usable
        ],
        extra={
            "item_code": first,
            "location_code": wip.code,
            "lot_number": None,
            "quality_state": QUALIFIED.value,
            "available": plain(usable[first]),
            "needed": plain(needed[first]),
        },
    )


def _stock_shortage(
    exc: InsufficientStock, consumptions: Sequence[Consumption]
) -> InsufficientStockProblem:
    """409 for a bucket at the line without enough stock, naming the lines that drain it."""
    key = exc.key
    lines = [
        c.line
        for c in consumptions
        if (c.item_code, c.lot_number) == (key.item_code, key.lot_number)
        and (not key.serial_number or key.serial_number in c.serials)
    ]
    lot = f" lot {key.lot_number}" if key.lot_number else ""
    message = (
        f"{plain(exc.available)} of {key.item_code}{lot} qualified at {key.location_code}; "
        f"the lines consuming it need {plain(exc.needed)} together"
    )
    return InsufficientStockProblem(
        f"the production receipt cannot be posted: {exc}",
        errors=[
            FieldError(f"body.components.{line}.quantity", message, "insufficient_stock")
            for line in dict.fromkeys(lines)
        ],
        extra={
            "item_code": key.item_code,
            "location_code": key.location_code,
            "lot_number": key.lot_number or None,
            "quality_state": key.quality_state.value,
            "available": plain(exc.available),
            "needed": plain(exc.needed),
        },
    )


def _deltas(ctx: PostingContext, movements: Sequence[Movement]) -> dict[BalanceKey, Decimal]:
    virtual = frozenset(code for code, loc in ctx.locations.items() if loc.is_virtual)
    return balance_deltas(movements, virtual)


def to_production(consumptions: Sequence[Consumption], wip: Location) -> list[Movement]:
    """The components leave the line: one movement per lot, or per unit."""
    return [
        Movement(
            item_code=c.item_code,
            lot_number=c.lot_number,
            quantity=quantity,
            source_location=wip.code,
            target_location=PRODUCTION,
            source_state=QUALIFIED,
            target_state=QUALIFIED,
            serial_number=serial,
        )
        for c in consumptions
        for serial, quantity in unit_quantities(c.quantity, c.serials)
    ]


def output_movements(
    data: ProductionReceiptCreate, target: str, unit_cost: Decimal | None
) -> list[Movement]:
    """The outputs arrive from production: one movement per line, or per unit."""
    return [
        Movement(
            item_code=line.item_code,
            lot_number=line.lot_number or "",
            quantity=quantity,
            source_location=PRODUCTION,
            target_location=target,
            source_state=QualityState(line.quality_state),
            target_state=QualityState(line.quality_state),
            unit_cost=unit_cost,
            serial_number=serial,
        )
        for line in data.outputs
        for serial, quantity in unit_quantities(line.quantity, line.serial_numbers)
    ]


def unit_cost(consumed: Sequence[MovementRow], outputs: Sequence[OutputIn]) -> Decimal | None:
    """What one unit of output is worth: the consumed components' value over the output
    quantity; None (the item's moving average) when nothing was consumed."""
    if not consumed:
        return None
    total = sum((row.value for row in consumed), Decimal(0))
    return money(total / sum((line.quantity for line in outputs), Decimal(0)))


async def plan(
    session: AsyncSession,
    data: ProductionReceiptCreate,
    items: Mapping[str, CatalogItem],
    locations: dict[str, Location],
    lots: dict[tuple[str, str], Lot],
    now: datetime,
) -> Plan:
    """Lock first, then pick: what the whole document touches, in the posting's lock order
    (balances in one sorted pass, serials, valuations); the consumption is made from the
    locked quantities, or the document is refused with a 409 naming every short line."""
    wip = locations[data.wip_location_code] if data.wip_location_code else None
    serial_lines = {
        i: SerialLine(i, c.item_code, c.lot_number, c.serial_numbers)
        for i, c in enumerate(data.components)
        if c.serial_numbers
    }
    named = [
        Consumption(i, c.item_code, c.lot_number or "", c.quantity, False)
        for i, c in enumerate(data.components)
        if not backflushed(items, c) and i not in serial_lines
    ]
    flushed = {c.item_code for c in data.components if backflushed(items, c)}
    seen: list[Stock] = []
    if wip is not None and (flushed or serial_lines):
        seen = await qualified_stock(
            session,
            [Balance.location_id == wip.id],
            items=flushed,
            serials={(s.item_code, n) for s in serial_lines.values() for n in s.serials},
        )
    context = PostingContext(
        document_type=DOCUMENT_TYPE,
        document_id=0,
        item_types={code: item.item_type for code, item in items.items()},
        locations=locations,
        lot_ids=lot_ids_of(seen) | {key: lot.id for key, lot in lots.items()},
        posted_at=now,
        references=References(work_order=data.work_order),
    )
    outputs = output_movements(data, data.to_location_code, None)
    lock = [s.key for s in seen]
    if wip is not None:
        lock += list(_deltas(context, to_production(named, wip)))
    locked = await lock_buckets(
        session,
        [*lock, *_deltas(context, outputs)],
        locations,
        context.lot_ids,
        context.item_types,
    )
    if wip is None:  # no components (the request checks said so)
        await lock_serials(session, data, locations, now)
        await valuations_for_update(session, (move.item_code for move in outputs))
        return Plan([], context, [])
    stock = [replace(s, quantity=locked[s.key]) for s in seen]
    pool = [s.candidate() for s in stock if not s.key.serial_number]
    units, missing = take_serials(list(serial_lines.values()), stock, expired_before=None)
    problems: list[tuple[int, InsufficientStockProblem]] = []
    consumptions: list[Consumption] = []
    try:
        consumptions = _consume(data, items, named, pool, wip, now.date())
    except InsufficientStockProblem as exc:
        problems.append((min((line_index(e.field) for e in exc.errors), default=0), exc))
    consumptions += [
        Consumption(
            line,
            group[0].stock.key.item_code,
            lot,
            Decimal(len(group)),
            backflushed=False,
            serials=tuple(u.serial_number for u in group),
        )
        for line, lot, group in by_lot(units)
    ]
    consumptions.sort(key=lambda c: c.line)  # stable: FEFO order, named units by lot
    components = to_production(consumptions, wip)
    if not problems:
        try:
            apply_deltas(locked, _deltas(context, components + outputs))
        except InsufficientStock as exc:
            problem = _stock_shortage(exc, consumptions)
            first = min((line_index(e.field) for e in problem.errors), default=0)
            problems.append((first, problem))
    if missing:
        problem = await serial_shortage(
            session,
            missing,
            serial_lines,
            field_prefix="body.components",
            scope=f"at {wip.code}",
            location_code=wip.code,
            detail_prefix="the production receipt cannot be posted: ",
        )
        problems.append((missing[0].line, problem))
    if problems:
        raise merged(problems)
    await lock_serials(session, data, locations, now)
    await valuations_for_update(session, (move.item_code for move in components + outputs))
    return Plan(consumptions, context, components)
