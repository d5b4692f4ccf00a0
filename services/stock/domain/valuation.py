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

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
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


def value_movements(
    movements: Iterable[Movement],
    items: Mapping[str, ItemValue],
    virtual_locations: frozenset[str],
    reversed_values: Mapping[int, Decimal],
    *,
    row_ids: Sequence[int] | None = None,
    revalued: MutableMapping[int, Decimal] | None = None,
) -> list[Valued]:
    """Value `movements` in order, updating `items` (the caller's current item values).

    `reversed_values` holds the value of every ledger row a movement reverses. When
    replaying stored rows (`row_ids`, one per movement), each new value is also put in
    `revalued`, which is read before `reversed_values`, so a reversal later in the replay
    follows the new value of the row it takes back.
    """
    out: list[Valued] = []
    for index, move in enumerate(movements):
        item = items[move.item_code]
        kind = direction(move, virtual_locations)
        if move.reverses is not None:
            value = (
                revalued[move.reverses]
                if revalued is not None and move.reverses in revalued
                else reversed_values[move.reverses]
            )
        elif kind is Direction.INBOUND and move.unit_cost is not None:
            value = money(move.quantity * move.unit_cost)
        elif kind is Direction.OUTBOUND and move.quantity >= item.quantity:
            value = item.value
        else:
            value = money(move.quantity * item.average)
        if kind is Direction.INBOUND:
            item.quantity += move.quantity
            item.value += value
            item.last_unit_cost = item.average
        elif kind is Direction.OUTBOUND:
            value = item.value if move.quantity >= item.quantity else min(value, item.value)
            item.quantity -= move.quantity
            item.value -= value
        out.append(Valued(value=value, unit_cost=money(value / move.quantity)))
        if row_ids is not None and revalued is not None:
            revalued[row_ids[index]] = value
    return out
