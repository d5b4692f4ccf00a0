"""Forecast consumption: sales orders use up the forecast they were part of.

A forecast says "we expect to sell 1,000 speakers in March"; the sales orders that then
arrive for March are that expectation coming true, not demand on top of it. Planning
both would buy twice. So, as in SAP's consumption mode "backward, then forward", each
sales order line consumes open forecast quantity of its item dated within
`backward_days` before its due date (the nearest first), then within `forward_days`
after it (the nearest first); what it cannot consume stays demand of its own (it always
does: a sales order is never reduced). Lines are taken by due date, then reference, so
the result does not depend on the input's order. What remains of a forecast is planned;
a forecast fully consumed is left out.

Work order component demands are dependent demand and never consume a forecast.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from services.mrp.domain.model import ConsumptionWindow, Demand, DemandKind

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Consumption:
    """One sales order line using up part of one forecast."""

    sales_ref: str
    forecast_ref: str
    quantity: Decimal


def consume_forecasts(
    demands: Iterable[Demand], window: ConsumptionWindow
) -> tuple[tuple[Demand, ...], tuple[Consumption, ...]]:
    """The demands with every forecast reduced by the sales order lines that consume it
    (fully consumed forecasts left out; other demands unchanged, in their input order),
    and what was consumed."""
    demands = tuple(demands)
    open_forecast: dict[str, Decimal] = {}
    by_item: dict[int, list[Demand]] = {}
    for demand in demands:
        if demand.kind is DemandKind.FORECAST and demand.quantity > 0:
            open_forecast[demand.ref] = demand.quantity
            by_item.setdefault(demand.item_id, []).append(demand)
    consumed: list[Consumption] = []
    sales = sorted(
        (d for d in demands if d.kind is DemandKind.SALES_ORDER and d.quantity > 0),
        key=lambda d: (d.due, d.ref),
    )
    for line in sales:
        forecasts = by_item.get(line.item_id)
        if not forecasts:
            continue
        earliest = line.due - timedelta(days=window.backward_days)
        latest = line.due + timedelta(days=window.forward_days)
        backward = sorted(
            (f for f in forecasts if earliest <= f.due <= line.due),
            key=lambda f: (-f.due.toordinal(), f.ref),
        )
        forward = sorted(
            (f for f in forecasts if line.due < f.due <= latest), key=lambda f: (f.due, f.ref)
        )
        need = line.quantity
        for forecast in (*backward, *forward):
            if need <= 0:
                break
            taken = min(need, open_forecast[forecast.ref])
            if taken <= 0:
                continue
            open_forecast[forecast.ref] -= taken
            need -= taken
            consumed.append(Consumption(line.ref, forecast.ref, taken))
    kept = tuple(
        demand
        if demand.kind is not DemandKind.FORECAST or demand.ref not in open_forecast
        else replace(demand, quantity=open_forecast[demand.ref])
        for demand in demands
        if demand.kind is not DemandKind.FORECAST
        or demand.ref not in open_forecast
        or open_forecast[demand.ref] > 0
    )
    return kept, tuple(consumed)
