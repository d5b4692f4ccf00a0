"""The planning core's plain data: what MRP reads (items, BOMs, stock, orders, demands)
and what it answers (planned orders, pegging, exceptions, shortages).

Everything here is a plain frozen dataclass over `int`, `str`, `date` and `Decimal`; no
I/O. The use-cases turn the catalog's planning data, stock's availability and the MRP
service's own orders into these, call `domain.planning.plan` / `domain.material`, and
store what comes back.

Units: every quantity is in the item's stock unit. A BOM line's `quantity_per` is in the
component's stock unit per one stock unit of the parent (the catalog has already divided
by the BOM's base quantity and converted the line's unit), scrap *not* included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

ZERO = Decimal(0)
ONE = Decimal(1)


class Procurement(StrEnum):
    BUY = "buy"
    MAKE = "make"


class LotSizingPolicy(StrEnum):
    #: Order exactly the net requirement of the day.
    LOT_FOR_LOT = "lot_for_lot"
    #: Order `fixed_quantity`, as many times as the day's net requirement needs.
    FIXED = "fixed"
    #: At least `minimum_quantity`, rounded up to a whole `multiple` (a reel of 5,000).
    MINIMUM = "minimum"


@dataclass(frozen=True, slots=True)
class LotSizing:
    policy: LotSizingPolicy = LotSizingPolicy.LOT_FOR_LOT
    fixed_quantity: Decimal | None = None
    minimum_quantity: Decimal | None = None
    multiple: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PlanItem:
    id: int
    code: str
    procurement: Procurement
    #: Days from release to due (working days when the run has a calendar).
    lead_time_days: int = 0
    safety_stock: Decimal = ZERO
    lot_sizing: LotSizing = field(default_factory=LotSizing)


@dataclass(frozen=True, slots=True)
class PlanSubstitute:
    component_id: int
    #: 1 is tried first.
    priority: int = 1
    #: Units of the substitute per unit of the primary component.
    ratio: Decimal = ONE


@dataclass(frozen=True, slots=True)
class PlanLine:
    position: int
    component_id: int
    #: Component stock units per one parent stock unit, scrap not included.
    quantity_per: Decimal
    scrap_percent: Decimal = ZERO
    #: Component stock units per order of the parent, added once (setup loss).
    fixed_quantity: Decimal = ZERO
    #: The line's requirement per parent order is rounded up to a multiple of this.
    rounding_multiple: Decimal | None = None
    #: Passed through: its own released BOM is exploded in its place, it is never planned.
    phantom: bool = False
    #: Empty: the BOM allows no substitute on this line.
    substitutes: tuple[PlanSubstitute, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanBom:
    """A released BOM version of `item_id`, effective on the days of its window."""

    id: int
    item_id: int
    revision: str
    effective_from: date | None
    effective_to: date | None
    lines: tuple[PlanLine, ...]

    def effective_on(self, on: date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )


class DemandKind(StrEnum):
    SALES_ORDER = "sales_order"
    FORECAST = "forecast"
    #: A component still to be issued to an open work order (required - issued - reserved).
    WORK_ORDER = "work_order"


@dataclass(frozen=True, slots=True)
class Demand:
    """An independent requirement (or an open work order's remaining component need)."""

    #: Stable reference shown in pegging: "SO-0001/2", "FC-0007", "WO-0003/R-10K".
    ref: str
    kind: DemandKind
    item_id: int
    quantity: Decimal
    due: date


class SupplyKind(StrEnum):
    PURCHASE_ORDER = "purchase_order"
    WORK_ORDER = "work_order"
    #: Stock pending inspection, counted as a receipt on the run date when asked.
    INSPECTION = "inspection"


@dataclass(frozen=True, slots=True)
class ScheduledReceipt:
    """An open order's remaining quantity, expected on `due`."""

    ref: str
    kind: SupplyKind
    item_id: int
    quantity: Decimal
    due: date


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Working days: not a weekend day (0 = Monday), not a holiday."""

    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = frozenset()

    def is_working(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def subtract(self, day: date, working_days: int) -> date:
        """The day `working_days` working days before `day` (`day` itself when 0).

        A due date on a non-working day counts back from that day; a release date always
        lands on a working day when `working_days` > 0.
        """
        if len(self.weekend) >= 7:
            raise ValueError("a calendar needs at least one working weekday")
        left = working_days
        current = day
        while left > 0:
            current -= timedelta(days=1)
            if self.is_working(current):
                left -= 1
        return current


@dataclass(frozen=True, slots=True)
class ConsumptionWindow:
    """How far from its due date a sales order line looks for forecast to consume
    (`domain.forecasts`)."""

    backward_days: int = 30
    forward_days: int = 0

    def __post_init__(self) -> None:
        if self.backward_days < 0 or self.forward_days < 0:
            raise ValueError("consumption windows cannot be negative")


@dataclass(frozen=True, slots=True)
class PlanOptions:
    today: date
    #: None: lead times are calendar days.
    calendar: WorkingCalendar | None = None
    #: Count stock pending inspection as a receipt on `today`.
    include_pending_inspection: bool = False
    #: Use a line's substitutes' free stock when the primary is short.
    use_substitutes: bool = True
    #: A scheduled receipt due this many days or more before it is needed is "postpone".
    reschedule_out_days: int = 3
    #: Net-change: plan only these items and everything below them (None: all items).
    items: frozenset[int] | None = None
    #: Sales orders consume forecasts within this window (None: both are planned in full).
    forecast_consumption: ConsumptionWindow | None = None


@dataclass(frozen=True, slots=True)
class PlanInput:
    items: dict[int, PlanItem]
    #: Released BOM versions by parent item, any order.
    boms: dict[int, tuple[PlanBom, ...]]
    #: Qualified on hand minus reservations, per item (missing: 0).
    available: dict[int, Decimal]
    #: Stock pending inspection, per item (used with `include_pending_inspection`).
    pending_inspection: dict[int, Decimal]
    scheduled_receipts: tuple[ScheduledReceipt, ...]
    demands: tuple[Demand, ...]
    options: PlanOptions


# --- results -------------------------------------------------------------------------


class Peg(NamedTuple):
    """`quantity` of a planned order serves this requirement (single-level pegging).

    A named tuple rather than a dataclass: a large run makes about a million of them."""

    quantity: Decimal
    #: The independent demand (sales order line, forecast, work order component) whose
    #: requirement this is; None for a component requirement of a parent planned order
    #: (see `parent_order`: its demands are found by walking up) or for safety stock.
    demand_ref: str | None
    #: The planned order whose component requirement this is (None: independent demand).
    parent_order: int | None
    #: The requirement's date.
    required_on: date
    safety_stock: bool = False


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    #: 1, 2, ... within the run, in creation order (parents before their components).
    number: int
    item_id: int
    procurement: Procurement
    quantity: Decimal
    release_date: date
    due_date: date
    #: The BOM version a make order explodes (effective on its release date).
    bom_id: int | None
    pegs: tuple[Peg, ...]


class ExceptionKind(StrEnum):
    #: The planned order should have been released already (release date before today).
    RELEASE_PAST = "release_past"
    #: An open order is due after it is needed: bring it in to `suggested_date`.
    EXPEDITE = "expedite"
    #: An open order is due well before it is needed: push it out to `suggested_date`.
    POSTPONE = "postpone"
    #: An open order (or part of it) is needed by nothing in the horizon.
    EXCESS = "excess"
    #: A make item has no BOM effective on the date it must be released.
    NO_BOM = "no_bom"
    #: A demand is due before today: planned as due today.
    PAST_DUE_DEMAND = "past_due_demand"


@dataclass(frozen=True, slots=True)
class PlanException:
    kind: ExceptionKind
    item_id: int
    #: The order or demand concerned: a scheduled receipt's ref, a demand's ref, or
    #: "planned:<number>".
    ref: str
    message: str
    quantity: Decimal = ZERO
    current_date: date | None = None
    suggested_date: date | None = None


@dataclass(frozen=True, slots=True)
class Substitution:
    """Part of a requirement of `primary_id` is met from free stock of `substitute_id`."""

    primary_id: int
    substitute_id: int
    #: Of the primary.
    primary_quantity: Decimal
    #: Of the substitute (= primary_quantity x ratio).
    substitute_quantity: Decimal
    required_on: date
    demand_ref: str | None
    parent_order: int | None


@dataclass(frozen=True, slots=True)
class Shortage:
    """What existing stock and open orders do not cover for an item."""

    item_id: int
    #: The first day projected stock (on hand + open orders - requirements) is below zero
    #: (below safety stock counts from `today`).
    first_short_on: date
    #: Total uncovered quantity over the horizon (what the planned orders must bring).
    quantity: Decimal
    #: Part of it whose planned orders should have been released before today.
    late_quantity: Decimal


@dataclass(frozen=True, slots=True)
class PlanResult:
    planned_orders: tuple[PlannedOrder, ...]
    exceptions: tuple[PlanException, ...]
    shortages: tuple[Shortage, ...]
    substitutions: tuple[Substitution, ...]
    #: Low-level code per planned item (0 = top).
    low_level_codes: dict[int, int]
    #: Items planned (net-change: the chosen ones and all below them).
    planned_items: frozenset[int]
