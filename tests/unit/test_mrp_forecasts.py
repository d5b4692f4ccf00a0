"""Forecast consumption by sales orders (`services.mrp.domain.forecasts`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.mrp.domain.forecasts import consume_forecasts
from services.mrp.domain.model import ConsumptionWindow, Demand, DemandKind

D = Decimal
DAY = date(2027, 3, 1)
SPEAKER, CABLE = 1, 2


def forecast(ref: str, quantity: str, day: int, item: int = SPEAKER) -> Demand:
    return Demand(ref, DemandKind.FORECAST, item, D(quantity), DAY + timedelta(days=day))


def sale(ref: str, quantity: str, day: int, item: int = SPEAKER) -> Demand:
    return Demand(ref, DemandKind.SALES_ORDER, item, D(quantity), DAY + timedelta(days=day))


def left(demands: tuple[Demand, ...]) -> dict[str, Decimal]:
    return {d.ref: d.quantity for d in demands}


def test_a_sales_order_uses_up_the_forecast_before_it_nearest_first() -> None:
    demands = [
        forecast("FC-1", "100", 0),
        forecast("FC-2", "100", 10),
        sale("SO-1/1", "150", 12),
        forecast("FC-3", "100", 20),
    ]
    kept, consumed = consume_forecasts(demands, ConsumptionWindow(30, 0))
    # FC-2 (2 days before) first, then FC-1; FC-3 is after the order: not in the window
    assert left(kept) == {"FC-1": D(50), "SO-1/1": D(150), "FC-3": D(100)}
    assert [(c.forecast_ref, c.quantity) for c in consumed] == [("FC-2", 100), ("FC-1", 50)]


def test_forward_only_after_backward_and_within_the_window() -> None:
    demands = [forecast("FC-1", "40", -5), forecast("FC-2", "100", 6), forecast("FC-3", "100", 9)]
    demands.append(sale("SO-1/1", "90", 0))
    kept, _ = consume_forecasts(demands, ConsumptionWindow(backward_days=10, forward_days=7))
    assert left(kept) == {"FC-2": D(50), "FC-3": D(100), "SO-1/1": D(90)}


def test_beyond_the_forecast_the_order_stays_whole_and_other_items_are_untouched() -> None:
    demands = [
        forecast("FC-1", "30", -1),
        forecast("FC-9", "500", -1, item=CABLE),
        sale("SO-1/1", "80", 0),
        Demand("WO-1/C", DemandKind.WORK_ORDER, SPEAKER, D(5), DAY),
    ]
    kept, consumed = consume_forecasts(demands, ConsumptionWindow())
    assert left(kept) == {"FC-9": D(500), "SO-1/1": D(80), "WO-1/C": D(5)}
    assert sum(c.quantity for c in consumed) == 30


def test_earlier_orders_consume_first_whatever_the_input_order() -> None:
    demands = [sale("SO-2/1", "70", 5), forecast("FC-1", "100", 0), sale("SO-1/1", "50", 3)]
    kept, consumed = consume_forecasts(demands, ConsumptionWindow())
    assert left(kept) == {"SO-2/1": D(70), "SO-1/1": D(50)}
    assert [(c.sales_ref, c.quantity) for c in consumed] == [("SO-1/1", 50), ("SO-2/1", 50)]
    assert consume_forecasts(list(reversed(demands)), ConsumptionWindow()) == (
        tuple(reversed(kept)),
        consumed,
    )


def test_windows_cannot_be_negative() -> None:
    with pytest.raises(ValueError):
        ConsumptionWindow(backward_days=-1)


demand_lists = st.lists(
    st.tuples(
        st.sampled_from([DemandKind.FORECAST, DemandKind.SALES_ORDER, DemandKind.WORK_ORDER]),
        st.sampled_from([SPEAKER, CABLE]),
        st.integers(min_value=0, max_value=500),
        st.integers(min_value=-40, max_value=40),
    ),
    max_size=25,
)


@given(demand_lists, st.integers(0, 40), st.integers(0, 40))
def test_consumption_never_reduces_orders_and_never_takes_more_than_either_side(
    rows: list[tuple[DemandKind, int, int, int]], backward: int, forward: int
) -> None:
    demands = [
        Demand(f"D-{n}", kind, item, D(quantity), DAY + timedelta(days=day))
        for n, (kind, item, quantity, day) in enumerate(rows)
    ]
    kept, consumed = consume_forecasts(demands, ConsumptionWindow(backward, forward))
    before, after = left(tuple(demands)), left(kept)
    by_ref = {d.ref: d for d in demands}
    taken_from: dict[str, Decimal] = defaultdict(Decimal)
    taken_by: dict[str, Decimal] = defaultdict(Decimal)
    for c in consumed:
        sale_line, fc = by_ref[c.sales_ref], by_ref[c.forecast_ref]
        assert sale_line.kind is DemandKind.SALES_ORDER and fc.kind is DemandKind.FORECAST
        assert sale_line.item_id == fc.item_id and c.quantity > 0
        assert -backward <= (fc.due - sale_line.due).days <= forward
        taken_from[c.forecast_ref] += c.quantity
        taken_by[c.sales_ref] += c.quantity
    for demand in demands:
        if demand.kind is DemandKind.FORECAST and demand.quantity > 0:
            assert after.get(demand.ref, D(0)) == before[demand.ref] - taken_from[demand.ref]
        else:  # sales orders and work order needs are planned in full
            assert after[demand.ref] == before[demand.ref]
            assert taken_by[demand.ref] <= demand.quantity
    assert all(quantity > 0 for ref, quantity in after.items() if by_ref[ref].kind is
               DemandKind.FORECAST and by_ref[ref].quantity > 0)
