"""Stock flows: the ledger summed per day and per month, kept current by every posting.

Reports read these sums instead of the ledger, so none of them walks millions of
movements. Every movement adds to the flow of each physical location it touches (a
*side*): arriving there counts as `in`, leaving as `out`; `external` says whether the
other end was a virtual location (a supplier, a customer, production, scrap, a count),
that is whether the item's stock changed, not only its place. Quantities and values
are the ledger's, values at moving-average cost.

A reversal books against its original's side with the opposite sign (an arrival that
takes back a departure lowers `out`), so a reversed document disappears from the flows
and `in - out` stays the change of stock.

*Used* (`used_qty`, `used_value`) is the part of `out` that left for consumption: issued
to work orders (requisitions, production backflush), shipped or scrapped (`CONSUMPTION`);
returns to the supplier, count losses and moves are not.

Three grains, one row per key in each:

- ``d``: per day (UTC), item, location, quality state, stage, movement kind, external,
  supplier and customer (the document's partner; "" where none);
- ``m``: the same per calendar month (`period` its first day);
- ``t``: per month and item only, external sides only (an item's transfers and
  inspections change nothing for it), `moves` counting each movement once: one row per
  item and month, what turnover and item-level dashboards read.

`qty_days` and `value_days` hold the change weighted by the days from its day to the end
of its period, both included: the average closing stock of a period is its opening stock
plus `qty_days / days in the period`, without reading single days.

Revaluations (a back-dated posting replays the later movements' values) add their value
change with no quantity and no movement.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

ZERO = Decimal(0)


class Grain(StrEnum):
    DAY = "d"
    MONTH = "m"
    ITEM_TOTAL = "t"


#: The movement kinds whose issues are consumption (`used`).
CONSUMPTION = frozenset({"requisition", "production_receipt", "shipment", "scrap"})


class FlowKey(NamedTuple):
    """A flow row's key (a tuple: quick to build, hash and sort by the million)."""

    grain: str
    period: date
    item_code: str
    location_id: int = 0
    quality_state: str = ""
    stage: str = ""
    kind: str = ""
    external: bool = False
    supplier: str = ""
    customer: str = ""


@dataclass(slots=True)
class FlowSums:
    qty_in: Decimal = ZERO
    qty_out: Decimal = ZERO
    value_in: Decimal = ZERO
    value_out: Decimal = ZERO
    moves: int = 0
    qty_days: Decimal = ZERO
    value_days: Decimal = ZERO
    used_qty: Decimal = ZERO
    used_value: Decimal = ZERO

    def add(self, other: FlowSums) -> None:
        self.qty_in += other.qty_in
        self.qty_out += other.qty_out
        self.value_in += other.value_in
        self.value_out += other.value_out
        self.moves += other.moves
        self.qty_days += other.qty_days
        self.value_days += other.value_days
        self.used_qty += other.used_qty
        self.used_value += other.used_value

    def is_zero(self) -> bool:
        return not (
            self.qty_in
            or self.qty_out
            or self.value_in
            or self.value_out
            or self.moves
            or self.qty_days
            or self.value_days
            or self.used_qty
            or self.used_value
        )


@dataclass(frozen=True, slots=True)
class FlowMove:
    """What the flows need of one ledger line (or of a change to its value)."""

    posted_at: datetime
    item_code: str
    kind: str
    #: The stage of the stock at each end (an item's stage follows the location's type).
    from_stage: str
    to_stage: str
    from_location_id: int
    to_location_id: int
    from_virtual: bool
    to_virtual: bool
    from_state: str
    to_state: str
    quantity: Decimal
    value: Decimal
    reversal: bool
    supplier: str = ""
    customer: str = ""
    #: 1 for a movement, 0 for a change of an existing movement's value.
    count: int = 1


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def month_of(day: date) -> date:
    return day.replace(day=1)


def days_in_month(month: date) -> int:
    return monthrange(month.year, month.month)[1]


def days_left(day: date) -> int:
    """Days from `day` to the end of its month, both included."""
    return days_in_month(day) - day.day + 1


def _side(arriving: bool, move: FlowMove, days: int, external: bool) -> FlowSums:
    """The sums one side of `move` adds: arrivals `in`, departures `out`, a reversal
    against its original's side with the opposite sign."""
    sign = -1 if move.reversal else 1
    inbound = arriving != move.reversal  # a reversal's arrival undoes a departure
    quantity, value = move.quantity * sign, move.value * sign
    net_qty = move.quantity if arriving else -move.quantity
    net_value = move.value if arriving else -move.value
    used = not inbound and external and move.kind in CONSUMPTION
    return FlowSums(
        used_qty=quantity if used else ZERO,
        used_value=value if used else ZERO,
        qty_in=quantity if inbound else ZERO,
        qty_out=ZERO if inbound else quantity,
        value_in=value if inbound else ZERO,
        value_out=ZERO if inbound else value,
        moves=move.count * sign,
        qty_days=net_qty * days,
        value_days=net_value * days,
    )


def flow_deltas(moves: Iterable[FlowMove]) -> dict[FlowKey, FlowSums]:
    """What `moves` add to the flows, per key of each grain (zero sums left out)."""
    out: dict[FlowKey, FlowSums] = {}

    def add(key: FlowKey, sums: FlowSums) -> None:
        found = out.get(key)
        if found is None:
            out[key] = sums
        else:
            found.add(sums)

    for move in moves:
        day = day_of(move.posted_at)
        month = month_of(day)
        left = days_left(day)
        item_key = FlowKey(Grain.ITEM_TOTAL.value, month, move.item_code)
        sides = []
        if not move.to_virtual:
            sides.append(
                (True, move.to_location_id, move.to_state, move.to_stage, move.from_virtual)
            )
        if not move.from_virtual:
            sides.append(
                (False, move.from_location_id, move.from_state, move.from_stage, move.to_virtual)
            )
        for arriving, location_id, state, stage, external in sides:
            for grain, period, days in ((Grain.DAY, day, 1), (Grain.MONTH, month, left)):
                key = FlowKey(
                    grain.value,
                    period,
                    move.item_code,
                    location_id,
                    state,
                    stage,
                    move.kind,
                    external,
                    move.supplier,
                    move.customer,
                )
                add(key, _side(arriving, move, days, external))
            if external:
                add(item_key, _side(arriving, move, left, external))
        if not any(external for *_, external in sides):
            # counted once per item-month, also when it only moved the stock around
            sign = -1 if move.reversal else 1
            add(item_key, FlowSums(moves=move.count * sign))
    return {key: sums for key, sums in out.items() if not sums.is_zero()}


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def span(first: date, last: date) -> list[tuple[Grain, date, date]]:
    """Cover the days `first` .. `last` (both included) with as few flow rows as possible:
    whole calendar months from the month grain, the days around them from the day grain.
    Each part is (grain, first period, last period)."""
    if last < first:
        return []
    parts: list[tuple[Grain, date, date]] = []
    start = first if first.day == 1 else next_month(first)
    end = month_of(last) if last.day != days_in_month(last) else next_month(month_of(last))
    if start >= end:  # no whole month inside
        return [(Grain.DAY, first, last)]
    if first < start:
        parts.append((Grain.DAY, first, start - timedelta(days=1)))
    parts.append((Grain.MONTH, start, month_of(end - timedelta(days=1))))
    if end <= last:
        parts.append((Grain.DAY, end, last))
    return parts
