"""Moving-average valuation: what every movement is worth and what an item's stock is worth.

An item's stock value lives at item level (SAP's valuation area is the plant): one
quantity and one value over all physical locations, whatever their stage or quality
state. The average cost is value / quantity. Each movement changes them by its kind:

* inbound (a virtual location to a physical one: purchase receipt, production output,
  customer return, count gain): worth `quantity x unit_cost` when the movement names a
  unit cost (a purchase price, the components a production receipt consumed), else
  `quantity x average`; the average moves;
* outbound (physical to virtual: issue to production, shipment, scrap, return to the
  supplier, count loss): worth `quantity x average`; the last unit out takes exactly the
  remaining value, so an empty item is worth exactly nothing and no rounding residue stays;
* internal (physical to physical: put-away, transfer, inspection): worth
  `quantity x average` for the record; neither quantity nor value changes.

A reversal is worth exactly what the movement it takes back was worth, so reversing a
document restores the value it changed (an outbound reversal never takes more value than
the item still holds). Values and unit costs carry 6 decimals, rounded half-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.stock.domain.model import Movement

SCALE = Decimal("0.000001")
ZERO = Decimal(0)


def money(value: Decimal) -> Decimal:
    """A value or unit cost at the ledger's 6 decimals, rounded half-up."""
    return value.quantize(SCALE, rounding=ROUND_HALF_UP)


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


def direction(move: Movement, virtual_locations: frozenset[str]) -> Direction:
    source_virtual = move.source_location in virtual_locations
    target_virtual = move.target_location in virtual_locations
    if source_virtual and not target_virtual:
        return Direction.INBOUND
    if target_virtual and not source_virtual:
        return Direction.OUTBOUND
    return Direction.INTERNAL


@dataclass(slots=True)
class ItemValue:
    """An item's stock over all physical locations, and the cost of its last movement in."""

    quantity: Decimal
    value: Decimal
    #: The average when the item last held stock; values stock arriving at no given cost
    #: while the item holds none.
    last_unit_cost: Decimal

    @property
    def average(self) -> Decimal:
        return money(self.value / self.quantity) if self.quantity > 0 else self.last_unit_cost


@dataclass(frozen=True, slots=True)
class Valued:
    """A movement's worth: its value and the unit cost behind it."""

    value: Decimal
    unit_cost: Decimal


def step(
    item: ItemValue,
    quantity: Decimal,
    kind: Direction,
    unit_cost: Decimal | None,
    taken_back: Decimal | None,
) -> Decimal:
    """Value one movement of `quantity` and move `item` by it (the rules above).

    `unit_cost` is the price of a priced inbound movement; `taken_back` the value of the
    row a reversal takes back.
    """
    if taken_back is not None:
        value = taken_back
    elif kind is Direction.INBOUND and unit_cost is not None:
        value = money(quantity * unit_cost)
    elif kind is Direction.OUTBOUND and quantity >= item.quantity:
        value = item.value
    else:
        value = money(quantity * item.average)
    if kind is Direction.INBOUND:
        item.quantity += quantity
        item.value += value
        item.last_unit_cost = item.average
    elif kind is Direction.OUTBOUND:
        value = item.value if quantity >= item.quantity else min(value, item.value)
        item.quantity -= quantity
        item.value -= value
    return value


def value_movements(
    movements: Iterable[Movement],
    items: Mapping[str, ItemValue],
    virtual_locations: frozenset[str],
    reversed_values: Mapping[int, Decimal],
) -> list[Valued]:
    """Value `movements` in order, updating `items` (the caller's current item values).

    `reversed_values` holds the value of every ledger row a movement reverses.
    """
    out: list[Valued] = []
    for move in movements:
        value = step(
            items[move.item_code],
            move.quantity,
            direction(move, virtual_locations),
            move.unit_cost,
            None if move.reverses is None else reversed_values[move.reverses],
        )
        out.append(Valued(value=value, unit_cost=money(value / move.quantity)))
    return out


@dataclass(frozen=True, slots=True)
class StoredMovement:
    """A ledger row as a replay needs it."""

    row_id: int
    quantity: Decimal
    kind: Direction
    #: The price of a priced inbound movement (it keeps it), else None.
    unit_cost: Decimal | None
    reverses: int | None
    value: Decimal
    stored_unit_cost: Decimal


def replay(
    rows: Iterable[StoredMovement], item: ItemValue, outside: Mapping[int, Decimal]
) -> list[tuple[int, Decimal, Decimal]]:
    """Revalue stored rows in time order from `item`'s value; `item` ends where they end.

    A reversal follows the new value of the row it takes back when that row is replayed
    too, else its stored value (`outside`). Returns (row id, value, unit cost) of every
    row whose value or unit cost changed.
    """
    new: dict[int, Decimal] = {}
    changed: list[tuple[int, Decimal, Decimal]] = []
    for row in rows:
        taken_back = None
        if row.reverses is not None:
            taken_back = new[row.reverses] if row.reverses in new else outside[row.reverses]
        value = step(item, row.quantity, row.kind, row.unit_cost, taken_back)
        new[row.row_id] = value
        unit_cost = money(value / row.quantity)
        if value != row.value or unit_cost != row.stored_unit_cost:
            changed.append((row.row_id, value, unit_cost))
    return changed
