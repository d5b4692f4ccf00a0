"""Material usage of work orders against their BOM standard: the usage variance (用料差异).

What the standard counts. A component's standard is what the output reported so far
should have consumed by the pinned BOM: `quantity_per x (produced + scrapped) +
fixed_quantity`, the fixed (setup) quantity once anything was produced or scrapped,
rounded up to 6 places. Scrapped output counts: MES reports it with a completion and the
backflush consumes its components by BOM (`usecases.completions`), so those components
went into production as planned; the loss shows on the order as `scrapped_quantity`, not
as a material variance of every component. This is SAP's split with the scrap variance
category active: the scrap is valued apart, and the input quantity variance compares
actual consumption with the target for yield plus scrap. (Counting produced only would be
SAP's target for the delivered quantity with no scrap category: every backflushed scrapped
unit would show as over-consumption of every component.) `quantity_per` includes the BOM
line's planned component scrap, as the order pinned it; an order released to a BOM
without a line's component, that consumed it anyway, has it at standard 0.

Actual is `consumed_quantity`: what production receipts took from the line for the order,
kept current from stock's feed, reversals counted back. Issued is shown beside it (what
requisitions moved to the line), not compared: material issued but not yet consumed is
still on the line.

Values (finance and admin only, by the schemas' field policy): every quantity of a
component is valued at one unit cost, stock's current moving-average cost, so the value
variance is the quantity variance at that price (SAP's input quantity variance at
standard price), without price effects. Costs are asked from stock only for callers who
may read them; when stock cannot answer, the request fails with its problem (502, 503,
504), never with made-up numbers. A component stock never valued has no unit cost; its
values are null and the totals leave it out (`values_complete: false`).

The list (`usage_variances`) covers orders with something produced, scrapped or
consumed, filtered by status, item and the UTC day of their last change (`updated_at`:
the last movement counted on the order or the last status change; for a completed order,
usually its last output).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.clients import StockClient
from services.mrp.db.models import WorkOrder, WorkOrderComponent
from services.mrp.schemas import (
    MaterialUsageLineOut,
    MaterialUsageOut,
    UsageVarianceListOut,
    UsageVarianceRowOut,
    WorkOrderStatus,
)
from services.mrp.usecases.work_orders import components_of, load_work_order
from shared.db.database import Database
from shared.db.paging import where_equal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
QUANTITY_STEP = Decimal("1e-6")
VALUE_STEP = Decimal("1e-6")
PERCENT_STEP = Decimal("0.01")


# --- the pure computation -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComponentUse:
    """A work order component as MRP keeps it (quantities in component stock units)."""

    position: int
    item_code: str
    in_bom: bool
    quantity_per: Decimal
    fixed_quantity: Decimal
    issued: Decimal
    consumed: Decimal


@dataclass(frozen=True, slots=True)
class UsageLine:
    use: ComponentUse
    standard: Decimal
    variance: Decimal
    percent: Decimal | None
    unit_cost: Decimal | None
    standard_value: Decimal | None
    actual_value: Decimal | None
    variance_value: Decimal | None


@dataclass(frozen=True, slots=True)
class UsageTotals:
    over: int
    under: int
    #: The component variance percent furthest from 0, sign kept (None: no standard).
    largest_percent: Decimal | None
    standard_value: Decimal
    actual_value: Decimal
    variance_value: Decimal
    #: Every component had a unit cost.
    complete: bool


def standard_quantity(quantity_per: Decimal, fixed: Decimal, basis: Decimal) -> Decimal:
    """What `basis` units of output (produced + scrapped) should consume of a component:
    per unit, plus the fixed quantity once anything was made; rounded up to 6 places, as a
    backflush by BOM consumes it."""
    if basis <= 0:
        return ZERO
    return (quantity_per * basis + fixed).quantize(QUANTITY_STEP, rounding=ROUND_CEILING)


def _value(quantity: Decimal, unit_cost: Decimal) -> Decimal:
    return (quantity * unit_cost).quantize(VALUE_STEP, rounding=ROUND_HALF_UP)


def usage_line(use: ComponentUse, basis: Decimal, unit_cost: Decimal | None) -> UsageLine:
    """One component's standard, variance and (with a unit cost) their values."""
    standard = standard_quantity(use.quantity_per, use.fixed_quantity, basis)
    variance = use.consumed - standard
    percent = None
    if standard:
        percent = (variance * HUNDRED / standard).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)
    values: tuple[Decimal | None, ...] = (None, None, None)
    if unit_cost is not None:
        planned, actual = _value(standard, unit_cost), _value(use.consumed, unit_cost)
        values = (planned, actual, actual - planned)
    return UsageLine(use, standard, variance, percent, unit_cost, *values)


def usage_lines(
    uses: Sequence[ComponentUse], basis: Decimal, costs: Mapping[str, Decimal] | None
) -> list[UsageLine]:
    """Every component's usage against standard; `costs` None: not valued at all."""
    ordered = sorted(uses, key=lambda use: (use.position, use.item_code))
    return [
        usage_line(use, basis, None if costs is None else costs.get(use.item_code))
        for use in ordered
    ]


def usage_totals(lines: Sequence[UsageLine]) -> UsageTotals:
    """Counts over and under standard, the largest percent, and the values' sums (over the
    components that have a unit cost)."""
    percents = [line.percent for line in lines if line.percent is not None]
    valued = [line for line in lines if line.unit_cost is not None]
    return UsageTotals(
        over=sum(1 for line in lines if line.variance > 0),
        under=sum(1 for line in lines if line.variance < 0),
        largest_percent=max(percents, key=abs) if percents else None,
        standard_value=sum((line.standard_value or ZERO for line in valued), ZERO),
        actual_value=sum((line.actual_value or ZERO for line in valued), ZERO),
        variance_value=sum((line.variance_value or ZERO for line in valued), ZERO),
        complete=len(valued) == len(lines),
    )


# --- reading and shaping ------------------------------------------------------------------


def _use(part: WorkOrderComponent) -> ComponentUse:
    return ComponentUse(
        position=part.position,
        item_code=part.item_code,
        # the feed adds what was issued or consumed although not on the BOM with item id 0
        in_bom=part.item_id != 0,
        quantity_per=part.quantity_per,
        fixed_quantity=part.fixed_quantity,
        issued=part.issued_quantity,
        consumed=part.consumed_quantity,
    )


def _line_out(line: UsageLine) -> MaterialUsageLineOut:
    use = line.use
    return MaterialUsageLineOut(
        position=use.position,
        item_code=use.item_code,
        in_bom=use.in_bom,
        quantity_per=use.quantity_per,
        fixed_quantity=use.fixed_quantity,
        standard_quantity=line.standard,
        issued_quantity=use.issued,
        consumed_quantity=use.consumed,
        variance_quantity=line.variance,
        variance_percent=line.percent,
        unit_cost=line.unit_cost,
        standard_value=line.standard_value,
        actual_value=line.actual_value,
        variance_value=line.variance_value,
    )


def _values(totals: UsageTotals, costed: bool) -> dict[str, Any]:
    if not costed:
        return {}
    return {
        "standard_value": totals.standard_value,
        "actual_value": totals.actual_value,
        "variance_value": totals.variance_value,
        "values_complete": totals.complete,
    }


def _basis(order: WorkOrder) -> Decimal:
    return order.produced_quantity + order.scrapped_quantity


async def material_usage(
    db: Database, stock: StockClient, order_id: int, *, with_costs: bool
) -> MaterialUsageOut:
    """A work order's components against the BOM standard for its output; valued at
    stock's average costs when `with_costs` (asked after the read, outside it)."""
    async with db.read() as session:
        order = await load_work_order(session, order_id)
        uses = [_use(part) for part in (await components_of(session, [order.id]))[order.id]]
    costs = await stock.average_costs([u.item_code for u in uses]) if with_costs else None
    lines = usage_lines(uses, _basis(order), costs)
    totals = usage_totals(lines)
    return MaterialUsageOut(
        work_order_id=order.id,
        number=order.number,
        item_code=order.item_code,
        status=WorkOrderStatus(order.status),
        quantity=order.quantity,
        bom_revision=order.bom_revision,
        produced_quantity=order.produced_quantity,
        scrapped_quantity=order.scrapped_quantity,
        standard_basis_quantity=_basis(order),
        components=[_line_out(line) for line in lines],
        components_over=totals.over,
        components_under=totals.under,
        **_values(totals, with_costs),
    )


async def _components(
    session: AsyncSession, order_ids: Select[Any]
) -> dict[int, list[WorkOrderComponent]]:
    """The components of the orders `order_ids` (a query of their ids) selects."""
    found: dict[int, list[WorkOrderComponent]] = defaultdict(list)
    rows = await session.scalars(
        select(WorkOrderComponent).where(WorkOrderComponent.work_order_id.in_(order_ids))
    )
    for row in rows:
        found[row.work_order_id].append(row)
    return found


@dataclass(frozen=True, slots=True)
class UsageFilters:
    status: str | None = None
    item_code: str | None = None
    #: UTC days of the orders' last change, both included.
    date_from: date | None = None
    date_to: date | None = None


def _orders_query(filters: UsageFilters) -> Select[Any]:
    """Orders with something produced, scrapped or consumed, as the filters narrow them."""
    consumed = exists().where(
        WorkOrderComponent.work_order_id == WorkOrder.id,
        WorkOrderComponent.consumed_quantity != ZERO,
    )
    query: Select[Any] = where_equal(
        select(WorkOrder).where(
            or_(WorkOrder.produced_quantity != ZERO, WorkOrder.scrapped_quantity != ZERO, consumed)
        ),
        {WorkOrder.status: filters.status, WorkOrder.item_code: filters.item_code},
    )
    if filters.date_from is not None:
        start = datetime.combine(filters.date_from, time(), UTC)
        query = query.where(WorkOrder.updated_at >= start)
    if filters.date_to is not None:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        query = query.where(WorkOrder.updated_at < end)
    return query


def _row(order: WorkOrder, totals: UsageTotals, costed: bool) -> UsageVarianceRowOut:
    return UsageVarianceRowOut(
        work_order_id=order.id,
        number=order.number,
        item_code=order.item_code,
        status=WorkOrderStatus(order.status),
        quantity=order.quantity,
        produced_quantity=order.produced_quantity,
        scrapped_quantity=order.scrapped_quantity,
        updated_at=order.updated_at,
        components_over=totals.over,
        components_under=totals.under,
        largest_variance_percent=totals.largest_percent,
        **_values(totals, costed),
    )


def _size(totals: UsageTotals, costed: bool) -> tuple[bool, Decimal]:
    """Sort key part, largest first: |variance value|, else |largest percent| (none last)."""
    if costed:
        return False, -abs(totals.variance_value)
    if totals.largest_percent is None:
        return True, ZERO
    return False, -abs(totals.largest_percent)


async def usage_variances(
    db: Database, stock: StockClient, filters: UsageFilters, limit: int, *, with_costs: bool
) -> UsageVarianceListOut:
    """Work orders by the size of their usage variance: |variance value| with costs, else
    |largest variance percent|; ties by order id. At most `limit`."""
    async with db.snapshot() as session:  # the orders and their components at one moment
        query = _orders_query(filters)
        orders = list(await session.scalars(query.order_by(WorkOrder.id)))
        parts = await _components(session, query.with_only_columns(WorkOrder.id))
    uses = {order.id: [_use(part) for part in parts[order.id]] for order in orders}
    costs = None
    if with_costs:
        codes = sorted({use.item_code for found in uses.values() for use in found})
        costs = await stock.average_costs(codes)
    totals = {
        order.id: usage_totals(usage_lines(uses[order.id], _basis(order), costs))
        for order in orders
    }
    orders.sort(key=lambda order: (*_size(totals[order.id], with_costs), order.id))
    return UsageVarianceListOut(
        items=[_row(order, totals[order.id], with_costs) for order in orders[:limit]],
        sorted_by="variance_value" if with_costs else "variance_percent",
        more=len(orders) > limit,
    )
