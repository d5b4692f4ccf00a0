"""Posting rules: which balances a movement changes, and refusing negative stock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from services.stock.domain.model import BalanceKey, Movement


class InsufficientStock(Exception):
    """A movement would take a balance below zero."""

    def __init__(self, key: BalanceKey, available: Decimal, needed: Decimal) -> None:
        lot = f" lot {key.lot_number}" if key.lot_number else ""
        if key.serial_number:
            lot += f" serial {key.serial_number}"
        super().__init__(
            f"{key.item_code}{lot} at {key.location_code} ({key.quality_state.value}): "
            f"{_plain(available)} available, {_plain(needed)} needed"
        )
        self.key = key
        self.available = available
        self.needed = needed


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


class InvalidMovement(ValueError):
    pass


def balance_deltas(
    movements: Iterable[Movement], virtual_locations: frozenset[str]
) -> dict[BalanceKey, Decimal]:
    """Net change per balance bucket; virtual locations keep no balance."""
    deltas: dict[BalanceKey, Decimal] = {}
    for move in movements:
        if move.quantity <= 0:
            raise InvalidMovement("a movement moves a positive quantity")
        if (move.source_location, move.source_state) == (move.target_location, move.target_state):
            raise InvalidMovement("a movement needs different source and target")
        if move.serial_number and move.quantity != 1:
            raise InvalidMovement("a serial-tracked unit moves one at a time")
        if move.source_location not in virtual_locations:
            key = BalanceKey(
                move.item_code,
                move.source_location,
                move.lot_number,
                move.source_state,
                move.serial_number,
            )
            deltas[key] = deltas.get(key, Decimal(0)) - move.quantity
        if move.target_location not in virtual_locations:
            key = BalanceKey(
                move.item_code,
                move.target_location,
                move.lot_number,
                move.target_state,
                move.serial_number,
            )
            deltas[key] = deltas.get(key, Decimal(0)) + move.quantity
    return deltas


def apply_deltas(
    balances: Mapping[BalanceKey, Decimal],
    deltas: Mapping[BalanceKey, Decimal],
    *,
    allow_negative: bool = False,
) -> dict[BalanceKey, Decimal]:
    """New quantities for every touched bucket; refuses to go below zero unless allowed."""
    result: dict[BalanceKey, Decimal] = {}
    for key in sorted(deltas):
        current = balances.get(key, Decimal(0))
        new = current + deltas[key]
        if new < 0 and not allow_negative:
            raise InsufficientStock(key, current, -deltas[key])
        result[key] = new
    return result


def held_since(
    before: Decimal, after: Decimal, since: datetime | None, posted_at: datetime
) -> datetime | None:
    """When a bucket holding `after` (it held `before`) began to hold stock, for a posting
    at `posted_at`: then, when it was empty; kept while it holds stock, or moved back to a
    back-dated posting that filled it earlier; None once it is empty."""
    if after == 0:
        return None
    if before == 0 or since is None:
        return posted_at
    return min(since, posted_at)
