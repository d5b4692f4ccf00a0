"""The MRP planning core: low-level codes, netting with pegging, lot sizing, explosion.

`plan(data)` is pure and deterministic: no I/O, Decimal arithmetic only (a 60-digit
context, nothing rounded except where lot sizing or a line's rounding multiple says so),
and the same input gives the identical result whatever the order of its dicts and
tuples. Quantities in the result carry no trailing zeros (`clean`).

How a run goes:

1. **Low-level codes** (`low_level_codes`) over every BOM version, whatever its
   effectivity: an item's code is one more than its deepest parent's; a line's
   substitutes count as components of the line's parent, a phantom as a component with
   its own children below it. Items in no BOM are 0. A cycle (the catalog refuses them;
   this is a guard) is broken at its smallest unprocessed item id, which keeps the level
   its processed parents gave it.
2. **Items planned** (`planned_items`): all of `data.items`, or with `options.items`
   (net-change) the chosen items and everything below them through BOM lines and
   substitutes of any version. Demands and receipts of other items are ignored.
3. **Forecasts** are first consumed by the sales order lines of their item within
   `options.forecast_consumption` (`forecasts.consume_forecasts`: backward, then
   forward); only what is left of them is planned.
4. Items are processed by low-level code, then id, so an item's gross requirements
   (its demands and the exploded requirements of already planned parent orders) are
   all known when it is netted. A requirement that reaches an item already netted can
   only come from a BOM cycle and is dropped.
5. **Netting**, per item, in day buckets. Every requirement is a *piece* (quantity, day,
   top-level demand ref, immediate parent planned order). A date before `today` counts
   on `today` (a demand due earlier also gives `PAST_DUE_DEMAND`); planned orders are
   therefore never due before `today`, and a peg's `required_on` is that effective day.
   Pieces are walked by day; within a day: a negative `available` (over-reserved stock)
   first, then demands by ref, then dependent requirements by parent order number (in
   the order they were exploded), and last, on `today` only, the **safety stock**: a
   requirement of `safety_stock` on `today` that stays consumed for the whole horizon
   (pegged with `safety_stock=True`). So the projected stock never falls below the
   safety stock, and a start below it gets a planned order due today. Each piece is
   covered FIFO from: the remaining on hand (`available`, plus `pending_inspection` when
   `include_pending_inspection`: stock on `today` that gets no exception of its own),
   scheduled receipts due on or before its day (earliest first; one due before `today`
   counts on `today`), then later receipts (earliest first; `EXPEDITE`), then the
   lot-size surplus of this item's earlier planned orders, then (pass 2 only, see below)
   substitutes' free stock, then the day's new planned order. Receipts are consumed
   strictly in due order, so a planned order exists only once every receipt is used up.
6. **Planned orders**: one per item and day with an uncovered quantity (the day's net
   requirement), sized by the item's lot sizing (`lot_size`), due that day, released
   `lead_time_days` before (`release_date`: calendar days, or working days of
   `options.calendar`); a release before `today` gives `RELEASE_PAST` (the order is
   kept). The surplus above the net requirement serves later pieces, which are then
   pegged to that order. A make order explodes after its item is netted (so its pegs
   are final) through the BOM version effective on its release date (latest
   `effective_from`, then highest id; none: `NO_BOM`, kept unexploded). A line needs
   `quantity_per x qty x (1 + scrap%) + fixed_quantity`, rounded up to
   `rounding_multiple`, on the parent's release date, as one piece pegged to the parent
   order (single-level pegging, as SAP stores it: the independent demands a component
   order serves are found by walking its pegs up to the top, see the service's
   `usecases.pegging`). A phantom line (with a BOM effective on that date, and not
   already in the phantom chain) is not planned: its BOM is exploded in its place with
   the line's quantity as the parent quantity, pegged to the same parent order (the
   phantom line's own substitutes are then not used).
7. **Scheduled receipts**: one `EXPEDITE` per receipt used before its due date
   (`quantity`: the part needed earlier; suggested: the first day it serves); a receipt
   due on or after `today` whose first use is `reschedule_out_days` (> 0) or more days
   after its due date: `POSTPONE` (whole quantity, suggested: that first use); any
   unused quantity: `EXCESS`.
8. **Shortages**, per item with planned orders: `quantity` is what its planned orders
   must bring (the sum of their pegs, lot-size surplus excluded), `late_quantity` the
   part pegged to orders released before today, `first_short_on` the first day the
   projection without planned orders (on hand, inspection, receipts and substitutions
   less requirements, each on its effective day) falls below the safety stock.

**Substitutes** (`options.use_substitutes`) take two passes. Pass 1 plans without
substitution and notes each item's *free stock*: the minimum over the horizon of its
projection without planned orders, less its safety stock, floored at 0 — and 0 for an
item that got planned orders. If a piece of a line with substitutes went into a new
planned order of its primary while one of those substitutes has free stock, pass 2
re-plans from scratch, and whenever such a piece would go into a new planned order it
first takes the substitutes' free stock (by priority, then component id; substitute
quantity = primary quantity x ratio), records a `Substitution`, and adds the taken
quantity as a requirement of the substitute on that day (same demand ref and parent
order). Free stock is consumed as it is allocated. A substitute netted before its
primary (same or lower low-level code) is only taken from when its pass-2 netting had
no planned orders, up to its pass-2 free stock; it is netted again at the end with the
taken quantities, which by construction brings no planned order. Pass 2 is the answer.
Substitutions are listed in the order they were made (primary by low-level code and id,
then requirement order).

Cost: about linear in the requirement pieces: the independent demands plus, per planned
make order, its BOM lines; a component order has one peg per parent order it serves.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import NamedTuple

from services.mrp.domain.forecasts import consume_forecasts
from services.mrp.domain.model import (
    ONE,
    ZERO,
    Demand,
    ExceptionKind,
    LotSizing,
    LotSizingPolicy,
    Peg,
    PlanBom,
    PlanException,
    PlanInput,
    PlannedOrder,
    PlanResult,
    PlanSubstitute,
    Procurement,
    ScheduledReceipt,
    Shortage,
    Substitution,
    WorkingCalendar,
)

#: Significant digits of every computation: quantities stay exact in practice.
PRECISION = 60
CONTEXT = Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)
HUNDRED = Decimal(100)


def plan(data: PlanInput) -> PlanResult:
    """Plan `data` (see the module docstring for the rules)."""
    with localcontext(CONTEXT), _cyclic_gc_paused():
        prep = _Prepared(data)
        first = _Pass(prep, budget=None)
        first.run()
        if data.options.use_substitutes:
            free = {item_id: outcome.free for item_id, outcome in first.outcomes.items()}
            if any(free.get(sub_id, ZERO) > 0 for sub_id in first.wanted):
                del first
                second = _Pass(prep, budget=free)
                second.run()
                return second.result()
        return first.result()


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the run, then restore it.

    A run allocates millions of small acyclic objects (pieces, pegs) that live until it
    returns; the collector would traverse them again and again (about half the run
    time on large plans) to find nothing. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- small public rules ----------------------------------------------------------------


def clean(quantity: Decimal) -> Decimal:
    """`quantity` without trailing zeros and without exponent for whole numbers."""
    if quantity == quantity.to_integral_value():  # whole: 5000, never 5E+3
        return quantity.quantize(ONE, context=CONTEXT)
    return quantity.normalize(CONTEXT)


def ceil_div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """The least whole number n with n x denominator >= numerator (both > 0), exactly."""
    whole = CONTEXT.divide_int(numerator, denominator)
    if whole * denominator < numerator:
        whole += 1
    return whole


def lot_size(net: Decimal, sizing: LotSizing) -> Decimal:
    """The planned quantity for a day's net requirement `net` under `sizing`.

    A policy whose quantity field is missing or not positive falls back to lot-for-lot.
    """
    if net <= 0:
        return ZERO
    if sizing.policy == LotSizingPolicy.FIXED:
        fixed = sizing.fixed_quantity
        if fixed is None or fixed <= 0:
            return net
        return fixed * ceil_div(net, fixed)
    if sizing.policy == LotSizingPolicy.MINIMUM:
        quantity = net
        minimum = sizing.minimum_quantity
        if minimum is not None and minimum > quantity:
            quantity = minimum
        multiple = sizing.multiple
        if multiple is not None and multiple > 0:
            quantity = multiple * ceil_div(quantity, multiple)
        return quantity
    return net


def release_date(due: date, lead_time_days: int, calendar: WorkingCalendar | None) -> date:
    """`due` less the lead time: calendar days, or working days of `calendar`."""
    lead = max(lead_time_days, 0)
    if calendar is None:
        return due - timedelta(days=lead)
    return calendar.subtract(due, lead)


def effective_bom(versions: Iterable[PlanBom], on: date) -> PlanBom | None:
    """The version effective `on`: the latest `effective_from`, then the highest id."""
    best: PlanBom | None = None
    best_key: tuple[date, int] | None = None
    for bom in versions:
        if bom.effective_on(on):
            key = (bom.effective_from or date.min, bom.id)
            if best_key is None or key > best_key:
                best, best_key = bom, key
    return best


def bom_edges(boms: Mapping[int, Iterable[PlanBom]]) -> dict[int, set[int]]:
    """Parent -> its components and their substitutes, over every version."""
    children: dict[int, set[int]] = {}
    for parent, versions in boms.items():
        below = children.setdefault(parent, set())
        for bom in versions:
            for line in bom.lines:
                below.add(line.component_id)
                for substitute in line.substitutes:
                    below.add(substitute.component_id)
    return children


def low_level_codes(
    boms: Mapping[int, Iterable[PlanBom]], items: Iterable[int] = ()
) -> dict[int, int]:
    """Low-level code of every item in `items` or in a BOM (0 = top).

    A code is one more than the deepest parent's (longest path from a top item).
    Cycles are broken deterministically: when nothing is free, the smallest unprocessed
    id is taken with the code its processed parents gave it.
    """
    children = bom_edges(boms)
    nodes: set[int] = set(items)
    indegree: dict[int, int] = {}
    for parent, below in children.items():
        nodes.add(parent)
        for child in below:
            nodes.add(child)
            indegree[child] = indegree.get(child, 0) + 1
    level = dict.fromkeys(nodes, 0)
    done: set[int] = set()
    ordered = sorted(nodes)
    queue = deque(node for node in ordered if indegree.get(node, 0) == 0)
    cursor = 0
    while len(done) < len(nodes):
        if not queue:
            while ordered[cursor] in done:
                cursor += 1
            queue.append(ordered[cursor])  # a cycle: break it here
        node = queue.popleft()
        if node in done:
            continue
        done.add(node)
        below_level = level[node] + 1
        for child in children.get(node, ()):
            if child in done:
                continue
            if level[child] < below_level:
                level[child] = below_level
            indegree[child] -= 1
            if indegree[child] == 0:
                queue.append(child)
    return level


def planned_items(data: PlanInput) -> frozenset[int]:
    """The items a run plans: all, or (net-change) the chosen ones and all below them."""
    chosen = data.options.items
    if chosen is None:
        return frozenset(data.items)
    children = bom_edges(data.boms)
    seen: set[int] = set()
    stack = sorted(chosen)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(child for child in children.get(node, ()) if child not in seen)
    return frozenset(node for node in seen if node in data.items)


# --- internals -------------------------------------------------------------------------

#: (day, rank, ref key, parent order key, seq, quantity, demand ref, parent order,
#: substitutes, safety stock). The first five fields order the pieces and are unique.
_Piece = tuple[
    date, int, str, int, int, Decimal, str | None, int | None, tuple[PlanSubstitute, ...], bool
]
#: (demand ref, parent order, required on, safety stock)
_PegKey = tuple[str | None, int | None, date, bool]

_RANK_NEGATIVE_STOCK = -1
_RANK_DEMAND = 0
_RANK_DEPENDENT = 1
_RANK_SAFETY_STOCK = 2


class _Line(NamedTuple):
    component_id: int
    #: quantity_per x (1 + scrap / 100)
    per: Decimal
    fixed: Decimal
    rounding: Decimal | None
    phantom: bool
    substitutes: tuple[PlanSubstitute, ...]


@dataclass(slots=True)
class _Order:
    number: int
    item_id: int
    quantity: Decimal
    release: date
    due: date
    surplus: Decimal
    pegs: dict[_PegKey, Decimal]
    bom_id: int | None = None


@dataclass(slots=True)
class _Outcome:
    orders: list[_Order]
    exceptions: list[PlanException]
    shortage: Shortage | None
    free: Decimal


class _Prepared:
    """What both passes share: sorted inputs, codes, caches."""

    def __init__(self, data: PlanInput) -> None:
        options = data.options
        self.options = options
        self.today = options.today
        self.items = data.items
        self.planned = planned_items(data)
        codes = low_level_codes(data.boms, data.items)
        self.codes = {item_id: codes.get(item_id, 0) for item_id in self.planned}
        self.order = sorted(self.planned, key=lambda item_id: (self.codes[item_id], item_id))
        self.boms: dict[int, tuple[PlanBom, ...]] = {
            item_id: tuple(sorted(versions, key=lambda bom: bom.id))
            for item_id, versions in data.boms.items()
        }
        self._lines: dict[int, tuple[_Line, ...]] = {}
        self._chosen: dict[tuple[int, date], PlanBom | None] = {}
        self._releases: dict[tuple[date, int], date] = {}

        self.on_hand: dict[int, Decimal] = {}
        for item_id in self.planned:
            quantity = data.available.get(item_id, ZERO)
            if options.include_pending_inspection:
                quantity += max(data.pending_inspection.get(item_id, ZERO), ZERO)
            self.on_hand[item_id] = quantity

        today = self.today
        self.demands: dict[int, list[Demand]] = {}
        self.past_due: dict[int, list[PlanException]] = {}
        demands = data.demands
        if options.forecast_consumption is not None:
            demands, _ = consume_forecasts(demands, options.forecast_consumption)
        for demand in sorted(
            demands, key=lambda d: (d.item_id, d.due, d.ref, d.quantity, d.kind.value)
        ):
            if demand.item_id not in self.planned or demand.quantity <= 0:
                continue
            self.demands.setdefault(demand.item_id, []).append(demand)
            if demand.due < today:
                self.past_due.setdefault(demand.item_id, []).append(
                    PlanException(
                        kind=ExceptionKind.PAST_DUE_DEMAND,
                        item_id=demand.item_id,
                        ref=demand.ref,
                        message=f"demand {demand.ref} was due {demand.due}: planned for today",
                        quantity=clean(demand.quantity),
                        current_date=demand.due,
                        suggested_date=today,
                    )
                )
        self.receipts: dict[int, list[tuple[date, ScheduledReceipt]]] = {}
        for receipt in sorted(
            data.scheduled_receipts,
            key=lambda r: (r.item_id, max(r.due, today), r.due, r.ref, r.quantity, r.kind.value),
        ):
            if receipt.item_id not in self.planned or receipt.quantity <= 0:
                continue
            self.receipts.setdefault(receipt.item_id, []).append((max(receipt.due, today), receipt))

    def lines(self, bom: PlanBom) -> tuple[_Line, ...]:
        lines = self._lines.get(bom.id)
        if lines is None:
            lines = tuple(
                _Line(
                    component_id=line.component_id,
                    per=line.quantity_per * (ONE + line.scrap_percent / HUNDRED),
                    fixed=line.fixed_quantity,
                    rounding=line.rounding_multiple
                    if line.rounding_multiple is not None and line.rounding_multiple > 0
                    else None,
                    phantom=line.phantom,
                    substitutes=tuple(
                        sorted(
                            line.substitutes,
                            key=lambda s: (s.priority, s.component_id, s.ratio),
                        )
                    )
                    if self.options.use_substitutes
                    else (),
                )
                for line in sorted(
                    bom.lines,
                    key=lambda line: (
                        line.position,
                        line.component_id,
                        line.quantity_per,
                        line.phantom,
                    ),
                )
            )
            self._lines[bom.id] = lines
        return lines

    def bom_on(self, item_id: int, on: date) -> PlanBom | None:
        key = (item_id, on)
        if key not in self._chosen:
            self._chosen[key] = effective_bom(self.boms.get(item_id, ()), on)
        return self._chosen[key]

    def release(self, due: date, lead_time_days: int) -> date:
        key = (due, lead_time_days)
        found = self._releases.get(key)
        if found is None:
            found = release_date(due, lead_time_days, self.options.calendar)
            self._releases[key] = found
        return found


class _Pass:
    """One planning pass; `budget` (pass 2) is the free stock substitutes may give."""

    def __init__(self, prep: _Prepared, budget: dict[int, Decimal] | None) -> None:
        self.prep = prep
        self.budget = dict(budget) if budget is not None else None
        #: Pass 2: free stock left of substitutes already netted in this pass.
        self.cap: dict[int, Decimal] = {}
        self.pieces: dict[int, list[_Piece]] = {item_id: [] for item_id in prep.order}
        self.processed: set[int] = set()
        self.outcomes: dict[int, _Outcome] = {}
        self.substitutions: list[Substitution] = []
        #: Pass 1: substitutes of pieces that went into new planned orders.
        self.wanted: set[int] = set()
        #: Pass 2: substitutes taken from after they were netted.
        self.renet: set[int] = set()
        self.seq = 0
        self.number = 0
        today = prep.today
        for item_id, demands in prep.demands.items():
            target = self.pieces[item_id]
            for demand in demands:
                self.seq += 1
                target.append(
                    (
                        max(demand.due, today),
                        _RANK_DEMAND,
                        demand.ref,
                        0,
                        self.seq,
                        demand.quantity,
                        demand.ref,
                        None,
                        (),
                        False,
                    )
                )

    def run(self) -> None:
        prep = self.prep
        for item_id in prep.order:
            outcome = self._net(item_id)
            self.processed.add(item_id)
            self.outcomes[item_id] = outcome
            if self.budget is not None and outcome.free > 0:
                self.cap[item_id] = outcome.free  # may be netted again: keep its pieces
            else:
                self.pieces[item_id] = []
            if prep.items[item_id].procurement == Procurement.MAKE:
                self._explode_orders(item_id, outcome)
        for item_id in sorted(self.renet):
            # Taken only up to its free stock: no planned order comes of it.
            self.outcomes[item_id] = self._net(item_id)

    # --- netting ----------------------------------------------------------------------

    def _net(self, item_id: int) -> _Outcome:
        prep = self.prep
        today = prep.today
        item = prep.items[item_id]
        safety = item.safety_stock if item.safety_stock > 0 else ZERO
        start = prep.on_hand[item_id]
        on_hand = start if start > 0 else ZERO
        pieces = self.pieces[item_id]
        walk = list(pieces)
        if start < 0:
            walk.append((today, _RANK_NEGATIVE_STOCK, "", 0, 0, -start, None, None, (), False))
        if safety > 0:
            walk.append((today, _RANK_SAFETY_STOCK, "", 0, 0, safety, None, None, (), True))
        walk.sort()

        receipts = prep.receipts.get(item_id, [])
        count = len(receipts)
        remaining = [receipt.quantity for _, receipt in receipts]
        first_use: list[date | None] = [None] * count
        early = [ZERO] * count
        ri = 0
        orders: list[_Order] = []
        oi = 0
        substituted: dict[date, Decimal] = {}
        exceptions: list[PlanException] = list(prep.past_due.get(item_id, ()))

        index = 0
        total = len(walk)
        while index < total:
            day = walk[index][0]
            day_net = ZERO
            day_pegs: list[tuple[_PegKey, Decimal]] = []
            while index < total and walk[index][0] == day:
                piece = walk[index]
                index += 1
                need = piece[5]
                if on_hand > 0:
                    if on_hand >= need:
                        on_hand -= need
                        continue
                    need -= on_hand
                    on_hand = ZERO
                while ri < count:
                    if first_use[ri] is None:
                        first_use[ri] = day
                    left = remaining[ri]
                    later = receipts[ri][0] > day
                    if left > need:
                        remaining[ri] = left - need
                        if later:
                            early[ri] += need
                        need = ZERO
                        break
                    remaining[ri] = ZERO
                    if later:
                        early[ri] += left
                    need -= left
                    ri += 1
                    if need == 0:
                        break
                if need == 0:
                    continue
                while oi < len(orders):
                    order = orders[oi]
                    if order.surplus <= 0:
                        oi += 1
                        continue
                    take = order.surplus if order.surplus < need else need
                    order.surplus -= take
                    peg = (piece[6], piece[7], day, piece[9])
                    order.pegs[peg] = order.pegs.get(peg, ZERO) + take
                    need -= take
                    if order.surplus == 0:
                        oi += 1
                    if need == 0:
                        break
                if need == 0:
                    continue
                if piece[8]:
                    if self.budget is None:
                        self.wanted.update(sub.component_id for sub in piece[8])
                    else:
                        before = need
                        need = self._substitute(item_id, piece, need)
                        if need != before:
                            substituted[day] = substituted.get(day, ZERO) + before - need
                        if need <= 0:
                            continue
                day_net += need
                day_pegs.append(((piece[6], piece[7], day, piece[9]), need))
            if day_net > 0:
                orders.append(self._new_order(item_id, day, day_net, day_pegs, exceptions))

        for position, (_, receipt) in enumerate(receipts):
            exceptions.extend(
                _receipt_exceptions(
                    receipt, first_use[position], early[position], remaining[position], prep
                )
            )

        # The projection without planned orders: shortages and free stock.
        deltas: dict[date, Decimal] = {today: start}
        for due, receipt in receipts:
            deltas[due] = deltas.get(due, ZERO) + receipt.quantity
        for piece in pieces:
            deltas[piece[0]] = deltas.get(piece[0], ZERO) - piece[5]
        for day, quantity in substituted.items():
            deltas[day] = deltas.get(day, ZERO) + quantity
        projected = ZERO
        lowest: Decimal | None = None
        first_short: date | None = None
        for day in sorted(deltas):
            projected += deltas[day]
            if lowest is None or projected < lowest:
                lowest = projected
            if first_short is None and projected < safety:
                first_short = day

        shortage: Shortage | None = None
        free = ZERO
        if orders:
            quantity = ZERO
            late = ZERO
            for order in orders:
                pegged = sum(order.pegs.values(), ZERO)
                quantity += pegged
                if order.release < today:
                    late += pegged
            shortage = Shortage(
                item_id=item_id,
                first_short_on=first_short if first_short is not None else orders[0].due,
                quantity=clean(quantity),
                late_quantity=clean(late),
            )
        elif lowest is not None and lowest - safety > 0:
            free = lowest - safety
        return _Outcome(orders=orders, exceptions=exceptions, shortage=shortage, free=free)

    def _new_order(
        self,
        item_id: int,
        day: date,
        net: Decimal,
        day_pegs: list[tuple[_PegKey, Decimal]],
        exceptions: list[PlanException],
    ) -> _Order:
        prep = self.prep
        item = prep.items[item_id]
        quantity = lot_size(net, item.lot_sizing)
        self.number += 1
        released = prep.release(day, item.lead_time_days)
        pegs: dict[_PegKey, Decimal] = {}
        for key, pegged in day_pegs:
            pegs[key] = pegs.get(key, ZERO) + pegged
        if released < prep.today:
            exceptions.append(
                PlanException(
                    kind=ExceptionKind.RELEASE_PAST,
                    item_id=item_id,
                    ref=f"planned:{self.number}",
                    message=(
                        f"planned order {self.number} due {day} should have been "
                        f"released on {released}"
                    ),
                    quantity=clean(quantity),
                    current_date=released,
                    suggested_date=prep.today,
                )
            )
        return _Order(
            number=self.number,
            item_id=item_id,
            quantity=quantity,
            release=released,
            due=day,
            surplus=quantity - net,
            pegs=pegs,
        )

    def _substitute(self, item_id: int, piece: _Piece, need: Decimal) -> Decimal:
        """Cover `need` of `piece` from its substitutes' free stock; what is left."""
        budget = self.budget
        assert budget is not None
        day, demand_ref, parent_order = piece[0], piece[6], piece[7]
        for substitute in piece[8]:
            sub_id = substitute.component_id
            ratio = substitute.ratio
            if sub_id == item_id or sub_id not in self.prep.planned or ratio <= 0:
                continue
            free = budget.get(sub_id, ZERO)
            netted = sub_id in self.processed
            if netted:
                free = min(free, self.cap.get(sub_id, ZERO))
            if free <= 0:
                continue
            wanted = need * ratio
            if wanted <= free:
                primary_quantity, sub_quantity = need, wanted
            else:
                primary_quantity, sub_quantity = free / ratio, free
            budget[sub_id] -= sub_quantity
            if netted:
                self.cap[sub_id] -= sub_quantity
                self.renet.add(sub_id)
            self.substitutions.append(
                Substitution(
                    primary_id=item_id,
                    substitute_id=sub_id,
                    primary_quantity=clean(primary_quantity),
                    substitute_quantity=clean(sub_quantity),
                    required_on=day,
                    demand_ref=demand_ref,
                    parent_order=parent_order,
                )
            )
            self.seq += 1
            self.pieces[sub_id].append(
                (
                    day,
                    _RANK_DEPENDENT,
                    "",
                    parent_order or 0,
                    self.seq,
                    sub_quantity,
                    demand_ref,
                    parent_order,
                    (),
                    False,
                )
            )
            need -= primary_quantity
            if need <= 0:
                return ZERO
        return need

    # --- explosion --------------------------------------------------------------------

    def _explode_orders(self, item_id: int, outcome: _Outcome) -> None:
        prep = self.prep
        today = prep.today
        for order in outcome.orders:
            bom = prep.bom_on(item_id, order.release)
            if bom is None:
                outcome.exceptions.append(
                    PlanException(
                        kind=ExceptionKind.NO_BOM,
                        item_id=item_id,
                        ref=f"planned:{order.number}",
                        message=(
                            f"no BOM of item {prep.items[item_id].code} is effective on "
                            f"{order.release}: planned order {order.number} not exploded"
                        ),
                        quantity=clean(order.quantity),
                        current_date=order.release,
                    )
                )
                continue
            order.bom_id = bom.id
            self._explode(
                order.number,
                bom,
                order.quantity,
                order.release,
                max(order.release, today),
                (item_id,),
            )

    def _explode(
        self,
        number: int,
        bom: PlanBom,
        quantity: Decimal,
        on: date,
        day: date,
        chain: tuple[int, ...],
    ) -> None:
        prep = self.prep
        planned = prep.planned
        processed = self.processed
        for component, per, fixed, rounding, phantom, substitutes in prep.lines(bom):
            need = per * quantity + fixed if fixed else per * quantity
            if rounding is not None and need > 0:
                need = rounding * ceil_div(need, rounding)
            if need <= 0:
                continue
            if phantom and component not in chain:
                inner = prep.bom_on(component, on)
                if inner is not None:
                    self._explode(number, inner, need, on, day, (*chain, component))
                    continue
            if component not in planned or component in processed:
                continue
            self.seq += 1
            self.pieces[component].append(
                (day, _RANK_DEPENDENT, "", number, self.seq, need, None, number, substitutes, False)
            )

    # --- result -----------------------------------------------------------------------

    def result(self) -> PlanResult:
        prep = self.prep
        orders: list[PlannedOrder] = []
        exceptions: list[PlanException] = []
        shortages: list[Shortage] = []
        for item_id in prep.order:
            outcome = self.outcomes[item_id]
            procurement = prep.items[item_id].procurement
            for order in outcome.orders:
                orders.append(
                    PlannedOrder(
                        number=order.number,
                        item_id=item_id,
                        procurement=procurement,
                        quantity=clean(order.quantity),
                        release_date=order.release,
                        due_date=order.due,
                        bom_id=order.bom_id,
                        pegs=tuple(
                            Peg(pegged, demand_ref, parent_order, required_on, safety)
                            for (demand_ref, parent_order, required_on, safety), pegged in (
                                order.pegs.items()
                            )
                        ),
                    )
                )
            exceptions.extend(outcome.exceptions)
            if outcome.shortage is not None:
                shortages.append(outcome.shortage)
        orders.sort(key=lambda order: order.number)
        exceptions.sort(key=_exception_key)
        shortages.sort(key=lambda shortage: shortage.item_id)
        return PlanResult(
            planned_orders=tuple(orders),
            exceptions=tuple(exceptions),
            shortages=tuple(shortages),
            substitutions=tuple(self.substitutions),
            low_level_codes=dict(sorted(prep.codes.items())),
            planned_items=prep.planned,
        )


def _receipt_exceptions(
    receipt: ScheduledReceipt,
    first_use: date | None,
    early: Decimal,
    remaining: Decimal,
    prep: _Prepared,
) -> list[PlanException]:
    found: list[PlanException] = []
    if first_use is not None and early > 0:
        found.append(
            PlanException(
                kind=ExceptionKind.EXPEDITE,
                item_id=receipt.item_id,
                ref=receipt.ref,
                message=f"{receipt.ref} due {receipt.due} is needed from {first_use}",
                quantity=clean(early),
                current_date=receipt.due,
                suggested_date=first_use,
            )
        )
    elif (
        first_use is not None
        and receipt.due >= prep.today
        and prep.options.reschedule_out_days > 0
        and (first_use - receipt.due).days >= prep.options.reschedule_out_days
    ):
        found.append(
            PlanException(
                kind=ExceptionKind.POSTPONE,
                item_id=receipt.item_id,
                ref=receipt.ref,
                message=f"{receipt.ref} due {receipt.due} is first needed on {first_use}",
                quantity=clean(receipt.quantity),
                current_date=receipt.due,
                suggested_date=first_use,
            )
        )
    if remaining > 0:
        found.append(
            PlanException(
                kind=ExceptionKind.EXCESS,
                item_id=receipt.item_id,
                ref=receipt.ref,
                message=f"{clean(remaining)} of {receipt.ref} is needed by nothing",
                quantity=clean(remaining),
                current_date=receipt.due,
            )
        )
    return found


def _exception_key(
    exception: PlanException,
) -> tuple[int, str, str, date, date, Decimal, str]:
    return (
        exception.item_id,
        exception.kind.value,
        exception.ref,
        exception.current_date or date.min,
        exception.suggested_date or date.min,
        exception.quantity,
        exception.message,
    )
