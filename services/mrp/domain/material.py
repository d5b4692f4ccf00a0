"""Material check of a work order and "what can I build now", as pure functions.

Both walk the BOM the same way, a multi-level netting explosion (`_explode`):

* Rows are created in explosion order: the top BOM's lines first, then level by level,
  and within a level by parent (in the order the parents were created) and line
  position. Each row takes what it can of its component's free stock when it is
  created, so stock shared by several rows (one component under two sub-assemblies, or
  at two levels) is allocated once, first come first served, never counted twice.
* A line's requirement for a parent quantity Q is
  `quantity_per x Q x (1 + scrap_percent / 100) + fixed_quantity`, rounded up to
  `rounding_multiple` when set (the fixed quantity is per order of the parent: a short
  sub-assembly is one order for its short quantity).
* A component is *made* when it has a BOM version effective on `on` (latest
  `effective_from`, then highest id) and its item is not bought (`Procurement.BUY`);
  a short made row is exploded further for its short quantity. Other components are
  leaves.
* A phantom line with an effective BOM is no row of its own: its children take its
  place (same level and parent) with the phantom's requirement as their parent
  quantity; the phantom's own stock is not used. A phantom without an effective BOM
  is an ordinary component.
* Only the rows of the work order's own components (level 1, phantom children
  included) are reduced by `issued`, itself shared between lines like stock.

Arithmetic is `Decimal` in a 60-digit context; it is exact except a substitute ratio
that does not divide evenly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Context, Decimal, localcontext
from operator import attrgetter

from services.mrp.domain.model import (
    ZERO,
    PlanBom,
    PlanItem,
    PlanLine,
    Procurement,
    ScheduledReceipt,
)
from shared.errors import InvalidInput, NotFound

__all__ = [
    "FRACTION_STEP",
    "MAX_BUILDABLE",
    "BomCycle",
    "Buildable",
    "ComponentTotal",
    "MaterialCheck",
    "MaterialRow",
    "NoEffectiveBom",
    "buildable_quantity",
    "check_material",
]

#: Decimal context of every computation here.
ARITHMETIC = Context(prec=60)
#: `buildable_quantity(whole_units=False)` answers a multiple of this.
FRACTION_STEP = Decimal("0.0001")
#: `buildable_quantity` stops here when the BOM consumes nothing per unit built.
MAX_BUILDABLE = Decimal(10**12)

_HUNDRED = Decimal(100)
_position = attrgetter("position")


class NoEffectiveBom(NotFound, ValueError):
    code = "no_effective_bom"
    title = "No released BOM is effective on that date"

    def __init__(self, item_id: int, on: date | None = None) -> None:
        when = f" on {on.isoformat()}" if on else ""
        extra: dict[str, object] = {"item_id": item_id}
        if on:
            extra["on"] = on.isoformat()
        super().__init__(detail=f"item {item_id} has no BOM effective{when}", extra=extra)
        self.item_id = item_id
        self.on = on


class BomCycle(InvalidInput, ValueError):
    """The released BOMs contain an item inside itself (the catalog refuses this)."""

    code = "bom_cycle"
    title = "The BOM would contain itself"

    def __init__(self, path: tuple[int, ...]) -> None:
        super().__init__(detail=f"BOM cycle through items {path}", extra={"path": list(path)})
        self.path = path


@dataclass(frozen=True, slots=True)
class MaterialRow:
    #: 1 = a component of the work order's item.
    level: int
    #: Item ids from the top item down to this row's item (phantoms left out).
    path: tuple[int, ...]
    item_id: int
    parent_id: int
    #: What is still needed (level 1: after what was issued to the work order).
    required: Decimal
    #: Free stock allocated to this row.
    available: Decimal
    short: Decimal
    #: Not short: `on`. Short: the day open orders not used by earlier rows of the same
    #: component cover the shortage (`on` at the earliest); None: they never do.
    covered_on: date | None
    #: Primary units the line's substitutes' stock left over could cover (information:
    #: the shortage is not reduced); the same substitute stock is offered to one row only.
    substitute_available: Decimal
    #: Made: a shortage is exploded into rows of its components below this one.
    make: bool


@dataclass(frozen=True, slots=True)
class ComponentTotal:
    """The rows of one component summed."""

    item_id: int
    required: Decimal
    available: Decimal
    short: Decimal
    #: `on` when not short; the day its open orders cover the whole shortage; None: never.
    covered_on: date | None


@dataclass(frozen=True, slots=True)
class MaterialCheck:
    item_id: int
    quantity: Decimal
    rows: tuple[MaterialRow, ...]
    #: Nothing is short.
    complete: bool
    #: The first day all material can be there: a short row is there on `covered_on`,
    #: a short made row also once its own component rows are (whichever is earlier;
    #: build lead times are not counted). `on` when nothing is short; None: never.
    earliest_complete_on: date | None
    #: By component, in order of first appearance in `rows`.
    totals: tuple[ComponentTotal, ...]


@dataclass(frozen=True, slots=True)
class Buildable:
    item_id: int
    #: Whole units, or a multiple of `FRACTION_STEP` (`whole_units=False`).
    quantity: Decimal
    #: Leaf components short when building one step (1 or `FRACTION_STEP`) more,
    #: in explosion order; empty when `quantity` reached `MAX_BUILDABLE`.
    limiting: tuple[int, ...]
    on: date


# --- the explosion -----------------------------------------------------------------------


class _Boms:
    """Effective BOM versions on one day and their sorted lines, looked up once each."""

    def __init__(
        self, boms: Mapping[int, Sequence[PlanBom]], items: Mapping[int, PlanItem], on: date
    ) -> None:
        self._boms = boms
        self._items = items
        self._on = on
        self._effective: dict[int, PlanBom | None] = {}
        self._lines: dict[int, tuple[PlanLine, ...]] = {}

    def effective(self, item_id: int) -> PlanBom | None:
        try:
            return self._effective[item_id]
        except KeyError:
            pass
        versions = [b for b in self._boms.get(item_id, ()) if b.effective_on(self._on)]
        found = max(versions, key=_version_order) if versions else None
        self._effective[item_id] = found
        return found

    def made(self, item_id: int) -> PlanBom | None:
        """The BOM a shortage of `item_id` is exploded with (None: a leaf)."""
        item = self._items.get(item_id)
        if item is not None and item.procurement is Procurement.BUY:
            return None
        return self.effective(item_id)

    def lines(self, bom: PlanBom) -> tuple[PlanLine, ...]:
        lines = self._lines.get(bom.id)
        if lines is None:
            lines = self._lines[bom.id] = tuple(sorted(bom.lines, key=_position))
        return lines


def _version_order(bom: PlanBom) -> tuple[date, int]:
    return (bom.effective_from or date.min, bom.id)


def _line_requirement(line: PlanLine, quantity: Decimal) -> Decimal:
    required = line.quantity_per * quantity
    if line.scrap_percent:
        required = required * (_HUNDRED + line.scrap_percent) / _HUNDRED
    if line.fixed_quantity:
        required += line.fixed_quantity
    multiple = line.rounding_multiple
    if multiple is not None and multiple > 0:
        required = (required / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple
    return required


@dataclass(slots=True)
class _Row:
    path: tuple[int, ...]
    line: PlanLine
    required: Decimal
    allocated: Decimal
    short: Decimal
    made: PlanBom | None
    children: list[int] = field(default_factory=list)


def _expand(
    boms: _Boms, bom: PlanBom, quantity: Decimal, through: tuple[int, ...]
) -> list[tuple[PlanLine, Decimal]]:
    """The lines of `bom` for `quantity` of its item, phantoms replaced by their children."""
    out: list[tuple[PlanLine, Decimal]] = []
    for line in boms.lines(bom):
        required = _line_requirement(line, quantity)
        phantom = boms.effective(line.component_id) if line.phantom else None
        if phantom is None:
            out.append((line, required))
            continue
        if line.component_id in through:
            raise BomCycle((*through, line.component_id))
        out.extend(_expand(boms, phantom, required, (*through, line.component_id)))
    return out


def _explode(
    boms: _Boms,
    top: int,
    bom: PlanBom,
    quantity: Decimal,
    available: Mapping[int, Decimal],
    issued: Mapping[int, Decimal] | None,
    stop_at_leaf_short: bool = False,
) -> tuple[list[_Row], dict[int, Decimal]] | None:
    """Rows in explosion order and the free stock left; None when stopped at a leaf short."""
    rows: list[_Row] = []
    free: dict[int, Decimal] = {}
    not_issued = dict(issued) if issued else {}
    jobs: list[tuple[int, tuple[int, ...], PlanBom, Decimal]] = [(-1, (top,), bom, quantity)]
    while jobs:
        next_jobs: list[tuple[int, tuple[int, ...], PlanBom, Decimal]] = []
        for parent, parent_path, parent_bom, parent_quantity in jobs:
            for line, required in _expand(boms, parent_bom, parent_quantity, parent_path):
                component = line.component_id
                if parent < 0 and not_issued.get(component):
                    taken = min(required, max(ZERO, not_issued[component]))
                    not_issued[component] -= taken
                    required -= taken
                have = free.get(component)
                if have is None:
                    have = max(ZERO, available.get(component, ZERO))
                allocated = min(have, required) if required > 0 else ZERO
                free[component] = have - allocated
                short = required - allocated if required > 0 else ZERO
                made = boms.made(component)
                if short and made is None and stop_at_leaf_short:
                    return None
                path = (*parent_path, component)
                index = len(rows)
                rows.append(_Row(path, line, required, allocated, short, made))
                if parent >= 0:
                    rows[parent].children.append(index)
                if short and made is not None:
                    if component in parent_path:
                        raise BomCycle(path)
                    next_jobs.append((index, path, made, short))
        jobs = next_jobs
    return rows, free


# --- material check ----------------------------------------------------------------------


def check_material(
    *,
    item_id: int,
    quantity: Decimal,
    bom: PlanBom,
    boms: Mapping[int, Sequence[PlanBom]],
    items: Mapping[int, PlanItem],
    available: Mapping[int, Decimal],
    receipts: Sequence[ScheduledReceipt],
    on: date,
    issued: Mapping[int, Decimal] | None = None,
) -> MaterialCheck:
    """What `quantity` of `item_id` on its pinned `bom` lacks on `on`, through all levels."""
    if bom.item_id != item_id:
        raise ValueError(f"BOM {bom.id} is not a BOM of item {item_id}")
    if quantity < 0:
        raise ValueError("a work order quantity cannot be negative")
    with localcontext(ARITHMETIC):
        explosion = _explode(_Boms(boms, items, on), item_id, bom, quantity, available, issued)
        assert explosion is not None  # only stopped when asked to
        rows, free = explosion
        substitutes = _substitutes_available(rows, free, available)
        covered = _covered_dates(rows, receipts, on)
        ready = _ready_dates(rows, covered, on)
        out = tuple(
            MaterialRow(
                level=len(row.path) - 1,
                path=row.path,
                item_id=row.path[-1],
                parent_id=row.path[-2],
                required=row.required,
                available=row.allocated,
                short=row.short,
                covered_on=covered[i],
                substitute_available=substitutes[i],
                make=row.made is not None,
            )
            for i, row in enumerate(rows)
        )
    short = any(row.short for row in rows)
    return MaterialCheck(
        item_id=item_id,
        quantity=quantity,
        rows=out,
        complete=not short,
        earliest_complete_on=ready,
        totals=_totals(out, on),
    )


def _substitutes_available(
    rows: list[_Row], free: dict[int, Decimal], available: Mapping[int, Decimal]
) -> list[Decimal]:
    """Per row, the primary quantity its substitutes' leftover stock could cover."""
    out = [ZERO] * len(rows)
    for i, row in enumerate(rows):
        if not row.short or not row.line.substitutes:
            continue
        need = row.short
        for substitute in sorted(row.line.substitutes, key=attrgetter("priority")):
            have = free.get(substitute.component_id)
            if have is None:
                have = max(ZERO, available.get(substitute.component_id, ZERO))
            if have <= 0 or substitute.ratio <= 0:
                continue
            if have >= need * substitute.ratio:
                free[substitute.component_id] = have - need * substitute.ratio
                need = ZERO
                break
            free[substitute.component_id] = ZERO
            need -= have / substitute.ratio
        out[i] = row.short - need
    return out


def _covered_dates(
    rows: list[_Row], receipts: Sequence[ScheduledReceipt], on: date
) -> list[date | None]:
    """Per row, `on` when not short, else the day unused open orders cover the shortage."""
    queues: dict[int, list[ScheduledReceipt]] = {}
    for receipt in receipts:
        if receipt.quantity > 0:
            queues.setdefault(receipt.item_id, []).append(receipt)
    for queue in queues.values():
        queue.sort(key=lambda r: (r.due, r.ref), reverse=True)  # pop() takes the earliest
    #: What remains of each component's receipt in use, and its day.
    current: dict[int, tuple[Decimal, date]] = {}
    out: list[date | None] = []
    for row in rows:
        if not row.short:
            out.append(on)
            continue
        component = row.path[-1]
        queue = queues.get(component, [])
        need = row.short
        rest, day = current.get(component, (ZERO, on))
        while need > rest and queue:
            need -= rest
            receipt = queue.pop()
            rest, day = receipt.quantity, max(on, receipt.due)
        if need > rest:
            current[component] = (ZERO, on)
            out.append(None)
        else:
            current[component] = (rest - need, day)
            out.append(day)
    return out


def _ready_dates(rows: list[_Row], covered: list[date | None], on: date) -> date | None:
    """The day every level-1 row is there (made rows may be there by their components)."""
    ready: list[date | None] = list(covered)
    for i in range(len(rows) - 1, -1, -1):  # children are always after their parent
        row = rows[i]
        if row.short and row.made is not None:
            built = _latest([ready[c] for c in row.children], on)
            ready[i] = _earliest(covered[i], built)
    top = [ready[i] for i, row in enumerate(rows) if len(row.path) == 2]
    return _latest(top, on)


def _latest(days: Sequence[date | None], empty: date) -> date | None:
    """The latest of `days` (`empty` when there are none); None if one of them is None."""
    latest = empty
    for day in days:
        if day is None:
            return None
        latest = max(latest, day)
    return latest


def _earliest(first: date | None, second: date | None) -> date | None:
    if first is None or second is None:
        return first or second
    return min(first, second)


def _totals(rows: tuple[MaterialRow, ...], on: date) -> tuple[ComponentTotal, ...]:
    by_item: dict[int, list[MaterialRow]] = {}
    for row in rows:
        by_item.setdefault(row.item_id, []).append(row)
    totals = []
    for item_id, group in by_item.items():
        short = sum((r.short for r in group), ZERO)
        totals.append(
            ComponentTotal(
                item_id=item_id,
                required=sum((r.required for r in group), ZERO),
                available=sum((r.available for r in group), ZERO),
                short=short,
                covered_on=_latest([r.covered_on for r in group], on),
            )
        )
    return tuple(totals)


# --- what can I build now ----------------------------------------------------------------


def buildable_quantity(
    *,
    item_id: int,
    boms: Mapping[int, Sequence[PlanBom]],
    items: Mapping[int, PlanItem],
    available: Mapping[int, Decimal],
    on: date,
    whole_units: bool = True,
) -> Buildable:
    """The most of `item_id` free stock builds on `on`, through all levels.

    Feasibility of a quantity is the netting explosion with no leaf short; it is monotonic
    in the quantity, so the answer is found by doubling, then bisecting, the number of
    steps (1, or `FRACTION_STEP` when not `whole_units`).
    """
    index = _Boms(boms, items, on)
    bom = index.effective(item_id)
    if bom is None:
        raise NoEffectiveBom(item_id, on)
    step = Decimal(1) if whole_units else FRACTION_STEP
    cap = int(MAX_BUILDABLE / step)

    def feasible(steps: int) -> bool:
        if steps == 0:
            return True
        quantity = step * steps
        return _explode(index, item_id, bom, quantity, available, None, True) is not None

    with localcontext(ARITHMETIC):
        good, bad = 0, 1
        while feasible(bad):
            if bad >= cap:
                return Buildable(item_id, step * cap, (), on)
            good, bad = bad, min(bad * 2, cap)
        while bad - good > 1:
            middle = (good + bad) // 2
            good, bad = (middle, bad) if feasible(middle) else (good, middle)
        limiting = _short_leaves(index, item_id, bom, step * bad, available)
    return Buildable(item_id, step * good, limiting, on)


def _short_leaves(
    boms: _Boms, item_id: int, bom: PlanBom, quantity: Decimal, available: Mapping[int, Decimal]
) -> tuple[int, ...]:
    explosion = _explode(boms, item_id, bom, quantity, available, None)
    assert explosion is not None
    leaves = (row.path[-1] for row in explosion[0] if row.short and row.made is None)
    return tuple(dict.fromkeys(leaves))
