"""Lock first, then pick: how requisitions, shipments and production receipts take stock.

A document that picks lots (FEFO, then FIFO) or takes named serial-tracked units reads
the qualified stock it may take, then locks every one of those balance buckets -- and,
when the stock moves to a physical location, every bucket it could arrive in -- in one
sorted pass: the posting core's own lock order (balances sorted, then serials, then item
valuations, then the ledger counter). Only then does it pick, from the locked
quantities, so the picks are exact: no retry, and no lock is ever taken out of order
after a failed attempt. Stock that arrives in scope while this runs is not seen, as if
it arrived just after.

Serial-tracked units are never picked: a line names them (they were scanned), and each
is taken from wherever it is qualified within the document's scope, with its own lot.
A named unit that is not there is a 409 `insufficient_stock` naming it and saying where
it is instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Balance, Location, Lot
from services.stock.db.queries import balances_for_update, locations_by_ids, serial_rows
from services.stock.domain.model import (
    BalanceKey,
    LocationType,
    QualityState,
    SerialStatus,
    stage_for,
)
from services.stock.domain.picking import Candidate
from services.stock.usecases.posting import InsufficientStockProblem
from shared.errors import FieldError
from shared.schemas import plain

QUALIFIED = QualityState.QUALIFIED


@dataclass(frozen=True, slots=True)
class Stock:
    """One qualified balance bucket a document may take from, with its lot's dates."""

    key: BalanceKey
    location: Location
    quantity: Decimal
    lot_id: int | None
    expiry_date: date | None
    receipt_date: date | None

    def candidate(self) -> Candidate:
        """As the picker (`domain.picking`) sees it: buckets without serials only."""
        return Candidate(
            item_code=self.key.item_code,
            location_code=self.key.location_code,
            lot_number=self.key.lot_number,
            quantity=self.quantity,
            expiry_date=self.expiry_date,
            receipt_date=self.receipt_date,
            lot_id=self.lot_id,
        )


async def qualified_stock(
    session: AsyncSession,
    scope: Sequence[ColumnElement[bool]],
    *,
    items: Iterable[str] = (),
    serials: Iterable[tuple[str, str]] = (),
) -> list[Stock]:
    """Qualified stock within `scope` (conditions on `Balance` and `Location`): the buckets
    without serials of `items`, and the buckets of the named units (item, serial)."""
    plain_items = set(items)
    units = set(serials)
    which = []
    if plain_items:
        which.append(and_(Balance.item_code.in_(plain_items), Balance.serial_key == ""))
    if units:
        which.append(
            and_(
                Balance.item_code.in_({item for item, _ in units}),
                Balance.serial_key.in_({serial for _, serial in units}),
            )
        )
    if not which:
        return []
    rows = await session.execute(
        select(Balance, Location, Lot)
        .join(Location, Location.id == Balance.location_id)
        .outerjoin(Lot, Lot.id == Balance.lot_id)
        .where(
            or_(*which),
            Balance.quality_state == QUALIFIED.value,
            Balance.quantity > 0,
            *scope,
        )
        .order_by(Balance.id)
        .execution_options(populate_existing=True)
    )
    return [
        Stock(
            key=BalanceKey(
                balance.item_code, location.code, balance.lot_key, QUALIFIED, balance.serial_key
            ),
            location=location,
            quantity=balance.quantity,
            lot_id=balance.lot_id,
            expiry_date=lot.expiry_date if lot else None,
            receipt_date=lot.receipt_date if lot else None,
        )
        for balance, location, lot in rows
        if not balance.serial_key or (balance.item_code, balance.serial_key) in units
    ]


async def lock_buckets(
    session: AsyncSession,
    keys: Iterable[BalanceKey],
    locations: Mapping[str, Location],
    lot_ids: Mapping[tuple[str, str], int | None],
    item_types: Mapping[str, str],
) -> dict[BalanceKey, Decimal]:
    """Lock the balance buckets `keys` in one sorted pass (creating missing ones at zero,
    as posting would); their quantities as locked."""
    stages = {
        key: stage_for(
            item_types[key.item_code], LocationType(locations[key.location_code].location_type)
        ).value
        for key in set(keys)
    }
    rows = await balances_for_update(session, list(stages), dict(locations), lot_ids, stages)
    return {key: row.quantity for key, row in rows.items()}


async def lock_stock(
    session: AsyncSession,
    stock: Sequence[Stock],
    item_types: Mapping[str, str],
    *,
    to: Location | None = None,
) -> list[Stock]:
    """Lock `stock` -- with, when it goes `to` a physical location, every bucket it could
    arrive in there -- in one sorted pass; `stock` with the locked quantities (what a
    concurrent posting left of it).

    A bucket that does not exist yet is created at zero to be locked, as posting creates
    it; so a requisition may leave empty buckets at the line for lots it did not pick
    (balances list non-zero buckets unless asked for zeros)."""
    known = {s.key.location_code: s.location for s in stock}
    keys = {s.key for s in stock}
    if to is not None and not to.is_virtual:
        known[to.code] = to
        keys |= {replace(s.key, location_code=to.code) for s in stock}
    locked = await lock_buckets(session, keys, known, lot_ids_of(stock), item_types)
    return [replace(s, quantity=locked[s.key]) for s in stock]


def lot_ids_of(stock: Iterable[Stock]) -> dict[tuple[str, str], int | None]:
    return {(s.key.item_code, s.key.lot_number): s.lot_id for s in stock}


# --- named serial-tracked units --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SerialLine:
    """A line naming its units: `index` into the request's lines (0-based)."""

    index: int
    item_code: str
    lot_number: str | None
    serials: Sequence[str]

    @property
    def quantity(self) -> Decimal:
        return Decimal(len(self.serials))


@dataclass(frozen=True, slots=True)
class Unit:
    """A named unit found in scope: the line that takes it and where it is (its bucket)."""

    line: int
    stock: Stock

    @property
    def serial_number(self) -> str:
        return self.stock.key.serial_number


@dataclass(frozen=True, slots=True)
class Missing:
    """A named unit that is not qualified stock in scope; `why` None: not there at all."""

    line: int
    item_code: str
    serial_number: str
    why: str | None = None


def take_serials(
    lines: Sequence[SerialLine], stock: Sequence[Stock], *, expired_before: date | None
) -> tuple[list[Unit], list[Missing]]:
    """Each named unit from its (locked) bucket in scope, or why it cannot be taken: not
    there, in another lot than the line names, or (with `expired_before`) in a lot that
    expired before that day. Units come back in line order, serials in request order."""
    found = {(s.key.item_code, s.key.serial_number): s for s in stock if s.quantity > 0}
    units: list[Unit] = []
    missing: list[Missing] = []
    for line in lines:
        for serial in line.serials:
            where = found.get((line.item_code, serial))
            if where is None:
                missing.append(Missing(line.index, line.item_code, serial))
            elif line.lot_number is not None and where.key.lot_number != line.lot_number:
                lot = where.key.lot_number
                why = f"is in lot {lot}, not {line.lot_number}" if lot else "has no lot"
                missing.append(Missing(line.index, line.item_code, serial, why))
            elif (
                expired_before is not None
                and where.expiry_date is not None
                and where.expiry_date < expired_before
            ):
                why = (
                    f"is in lot {where.key.lot_number}, which expired on "
                    f"{where.expiry_date.isoformat()}"
                )
                missing.append(Missing(line.index, line.item_code, serial, why))
            else:
                units.append(Unit(line.index, where))
    return units, missing


def by_lot(units: Iterable[Unit]) -> list[tuple[int, str, list[Unit]]]:
    """Units grouped per (line, lot) in first-seen order: one document row each."""
    groups: dict[tuple[int, str], list[Unit]] = {}
    for unit in units:
        groups.setdefault((unit.line, unit.stock.key.lot_number), []).append(unit)
    return [(line, lot, group) for (line, lot), group in groups.items()]


async def _whereabouts(
    session: AsyncSession, missing: Sequence[Missing]
) -> dict[tuple[str, str], str]:
    """Where each unit not found in scope is instead (its serial row), as a clause."""
    wanted = {(m.item_code, m.serial_number) for m in missing if m.why is None}
    if not wanted:
        return {}
    rows = await serial_rows(session, wanted)
    locations = await locations_by_ids(
        session, [r.location_id for r in rows.values() if r.location_id]
    )
    said: dict[tuple[str, str], str] = {}
    for key, row in rows.items():
        if row.status == SerialStatus.IN_STOCK.value and row.location_id is not None:
            said[key] = f"is at {locations[row.location_id].code} ({row.quality_state})"
        else:
            said[key] = f"is {row.status}"
    return {key: said.get(key, "was never received") for key in wanted}


async def serial_shortage(
    session: AsyncSession,
    missing: Sequence[Missing],
    lines: Mapping[int, SerialLine],
    *,
    field_prefix: str,
    scope: str,
    location_code: str | None,
    detail_prefix: str,
) -> InsufficientStockProblem:
    """409 naming every unit that is not qualified stock in scope, by line (field
    `<field_prefix>.<index>.serial_numbers`), and in `extra` the first short line's item,
    lot, scope location, how many of its units are there and how many it needs."""
    where = await _whereabouts(session, missing)
    errors: dict[int, list[str]] = {}
    for m in missing:
        why = m.why or where[(m.item_code, m.serial_number)]
        errors.setdefault(m.line, []).append(f"serial {m.serial_number} of {m.item_code} {why}")
    first = lines[missing[0].line]
    short = [m.serial_number for m in missing if m.line == first.index]
    available = first.quantity - len(short)
    detail = f"{detail_prefix}{errors[first.index][0]}; it is not qualified stock {scope}"
    others = len(missing) - 1
    if others:
        detail += f" ({others} more named unit(s) are not there either)"
    return InsufficientStockProblem(
        detail,
        errors=[
            FieldError(
                f"{field_prefix}.{index}.serial_numbers",
                f"{'; '.join(messages)}: not qualified stock {scope}",
                "insufficient_stock",
            )
            for index, messages in sorted(errors.items())
        ],
        extra={
            "item_code": first.item_code,
            "location_code": location_code,
            "lot_number": first.lot_number,
            "quality_state": QUALIFIED.value,
            "available": plain(available),
            "needed": plain(first.quantity),
            "serial_numbers": short,
        },
    )


def merged(problems: Sequence[tuple[int, InsufficientStockProblem]]) -> InsufficientStockProblem:
    """One 409 from several, each given with the first line it names: the earliest line's
    detail and extra, and every problem's line errors in line order."""
    ordered = sorted(problems, key=lambda p: p[0])
    first = ordered[0][1]
    errors = sorted((e for _, p in ordered for e in p.errors), key=lambda e: line_index(e.field))
    return InsufficientStockProblem(first.detail, errors=errors, extra=dict(first.extra))


def line_index(field: str) -> int:
    """The line a field error names (`lines.3.quantity`, `body.lines.3.serial_numbers`)."""
    for part in field.split("."):
        if part.isdigit():
            return int(part)
    return -1
