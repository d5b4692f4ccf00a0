"""MRP planning core: worked examples, each computed by hand in its comments."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from services.mrp.domain.model import (
    Demand,
    DemandKind,
    ExceptionKind,
    LotSizing,
    LotSizingPolicy,
    Peg,
    PlanBom,
    PlanInput,
    PlanItem,
    PlanLine,
    PlanOptions,
    PlanResult,
    PlanSubstitute,
    Procurement,
    ScheduledReceipt,
    Shortage,
    Substitution,
    SupplyKind,
    WorkingCalendar,
)
from services.mrp.domain.planning import (
    ceil_div,
    clean,
    effective_bom,
    lot_size,
    low_level_codes,
    plan,
    release_date,
)

D = Decimal
TODAY = date(2026, 3, 2)  # a Monday
MAKE = Procurement.MAKE
BUY = Procurement.BUY
EXC = ExceptionKind


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def item(
    item_id: int,
    procurement: Procurement = BUY,
    lead: int = 0,
    safety: str = "0",
    lot: LotSizing | None = None,
) -> PlanItem:
    return PlanItem(
        id=item_id,
        code=f"I{item_id}",
        procurement=procurement,
        lead_time_days=lead,
        safety_stock=D(safety),
        lot_sizing=lot or LotSizing(),
    )


def line(
    position: int,
    component: int,
    per: str,
    scrap: str = "0",
    fixed: str = "0",
    rounding: str | None = None,
    phantom: bool = False,
    substitutes: tuple[PlanSubstitute, ...] = (),
) -> PlanLine:
    return PlanLine(
        position=position,
        component_id=component,
        quantity_per=D(per),
        scrap_percent=D(scrap),
        fixed_quantity=D(fixed),
        rounding_multiple=None if rounding is None else D(rounding),
        phantom=phantom,
        substitutes=substitutes,
    )


def bom(
    bom_id: int,
    parent: int,
    *lines: PlanLine,
    effective_from: date | None = None,
    effective_to: date | None = None,
) -> PlanBom:
    return PlanBom(bom_id, parent, f"R{bom_id}", effective_from, effective_to, lines)


def demand(ref: str, item_id: int, quantity: str, due: date) -> Demand:
    return Demand(ref, DemandKind.SALES_ORDER, item_id, D(quantity), due)


def receipt(ref: str, item_id: int, quantity: str, due: date) -> ScheduledReceipt:
    return ScheduledReceipt(ref, SupplyKind.PURCHASE_ORDER, item_id, D(quantity), due)


def make_input(
    items: list[PlanItem],
    boms: Sequence[PlanBom] = (),
    demands: Sequence[Demand] = (),
    receipts: Sequence[ScheduledReceipt] = (),
    available: dict[int, str] | None = None,
    inspection: dict[int, str] | None = None,
    **options: Any,
) -> PlanInput:
    by_item: dict[int, list[PlanBom]] = {}
    for b in boms:
        by_item.setdefault(b.item_id, []).append(b)
    return PlanInput(
        items={i.id: i for i in items},
        boms={k: tuple(v) for k, v in by_item.items()},
        available={k: D(v) for k, v in (available or {}).items()},
        pending_inspection={k: D(v) for k, v in (inspection or {}).items()},
        scheduled_receipts=tuple(receipts),
        demands=tuple(demands),
        options=PlanOptions(today=TODAY, **options),
    )


def run(*args: Any, **kwargs: Any) -> PlanResult:
    return plan(make_input(*args, **kwargs))


def orders_of(result: PlanResult, item_id: int) -> list[tuple[int, Decimal, date, date]]:
    """(number, quantity, release, due) of an item's planned orders."""
    return [
        (o.number, o.quantity, o.release_date, o.due_date)
        for o in result.planned_orders
        if o.item_id == item_id
    ]


def pegs_of(result: PlanResult, number: int) -> list[tuple[Decimal, str | None, int | None, date]]:
    (order,) = [o for o in result.planned_orders if o.number == number]
    return [(p.quantity, p.demand_ref, p.parent_order, p.required_on) for p in order.pegs]


def exceptions(result: PlanResult) -> list[tuple[int, ExceptionKind, str, Decimal, object, object]]:
    return [
        (e.item_id, e.kind, e.ref, e.quantity, e.current_date, e.suggested_date)
        for e in result.exceptions
    ]


# --- small rules ------------------------------------------------------------------------


def test_lot_sizing_rules() -> None:
    assert lot_size(D("7.5"), LotSizing()) == D("7.5")
    fixed = LotSizing(LotSizingPolicy.FIXED, fixed_quantity=D(100))
    assert lot_size(D(100), fixed) == 100
    assert lot_size(D("100.01"), fixed) == 200
    reel = LotSizing(LotSizingPolicy.MINIMUM, minimum_quantity=D(5000), multiple=D(5000))
    assert lot_size(D(7200), reel) == 10000
    assert lot_size(D(1), reel) == 5000
    only_multiple = LotSizing(LotSizingPolicy.MINIMUM, multiple=D("0.5"))
    assert lot_size(D("1.2"), only_multiple) == D("1.5")
    # A missing or zero quantity falls back to lot-for-lot.
    assert lot_size(D(7), LotSizing(LotSizingPolicy.FIXED)) == 7
    assert lot_size(D(7), LotSizing(LotSizingPolicy.FIXED, fixed_quantity=D(0))) == 7
    assert lot_size(D(7), LotSizing(LotSizingPolicy.MINIMUM)) == 7
    assert lot_size(D(0), reel) == 0
    assert ceil_div(D("0.3"), D("0.1")) == 3
    assert ceil_div(D("0.31"), D("0.1")) == 4


def test_clean_strips_trailing_zeros_without_exponent() -> None:
    assert str(clean(D("5000.000"))) == "5000"
    assert str(clean(D("5E+3"))) == "5000"
    assert str(clean(D("12.50"))) == "12.5"
    assert str(clean(D("0.00"))) == "0"


def test_release_date_calendar_days_and_working_days() -> None:
    # Fri 2026-03-13, 3 days back: Tue 03-10 on the calendar. With working days and a
    # holiday on Wed 03-11: Thu 12, (Wed 11 holiday), Tue 10, Mon 09.
    holiday = WorkingCalendar(holidays=frozenset({date(2026, 3, 11)}))
    assert release_date(date(2026, 3, 13), 3, None) == date(2026, 3, 10)
    assert release_date(date(2026, 3, 13), 3, holiday) == date(2026, 3, 9)
    # Mon 03-16: Fri 13, Thu 12, (Wed 11), Tue 10.
    assert release_date(date(2026, 3, 16), 3, holiday) == date(2026, 3, 10)
    assert release_date(date(2026, 3, 15), 0, holiday) == date(2026, 3, 15)


def test_effective_bom_prefers_latest_start_then_highest_id() -> None:
    a = bom(1, 9, line(1, 2, "1"))
    b = bom(2, 9, line(1, 2, "1"), effective_from=day(10))
    c = bom(3, 9, line(1, 2, "1"), effective_from=day(10), effective_to=day(20))
    assert effective_bom([a, b, c], day(5)) is a
    assert effective_bom([c, b, a], day(15)) is c
    assert effective_bom([a, b, c], day(25)) is b
    assert effective_bom([c], day(21)) is None


def test_low_level_codes_substitutes_phantoms_and_cycles() -> None:
    boms = {
        1: (bom(1, 1, line(1, 2, "1"), line(2, 4, "1", substitutes=(PlanSubstitute(5),))),),
        2: (bom(2, 2, line(1, 3, "1", phantom=True)),),
        3: (bom(3, 3, line(1, 4, "1")),),
    }
    # 1 top; 2 under 1; phantom 3 under 2; 4 under 1 and under 3 -> 3; substitute 5 of
    # a line of 1 -> 1; 9 is in no BOM -> 0.
    assert low_level_codes(boms, [9]) == {1: 0, 2: 1, 3: 2, 4: 3, 5: 1, 9: 0}
    # A cycle 10 -> 11 -> 12 -> 10 does not hang; codes stay deterministic.
    cyclic = {
        10: (bom(10, 10, line(1, 11, "1")),),
        11: (bom(11, 11, line(1, 12, "1")),),
        12: (bom(12, 12, line(1, 10, "1")),),
    }
    codes = low_level_codes(cyclic)
    assert codes == low_level_codes(dict(reversed(cyclic.items())))
    assert codes == {10: 0, 11: 1, 12: 2}


# --- worked examples --------------------------------------------------------------------


def test_three_levels_with_scrap_lead_times_and_stock() -> None:
    # FG(1) lead 2 <- 2 x SUB(2) lead 3 <- 3 x RAW(3) lead 5, scrap 10 % on the RAW line.
    # On hand: FG 10, SUB 5, RAW 20. SO-1: 50 FG on day 20.
    result = run(
        [item(1, MAKE, 2), item(2, MAKE, 3), item(3, BUY, 5)],
        [bom(11, 1, line(10, 2, "2")), bom(12, 2, line(10, 3, "3", scrap="10"))],
        [demand("SO-1", 1, "50", day(20))],
        available={1: "10", 2: "5", 3: "20"},
    )
    # FG: 50 - 10 = 40, due day 20, released day 18.
    assert orders_of(result, 1) == [(1, 40, day(18), day(20))]
    assert pegs_of(result, 1) == [(40, "SO-1", None, day(20))]
    # SUB: 2 x 40 = 80 on day 18, less 5 on hand = 75, released day 15.
    assert orders_of(result, 2) == [(2, 75, day(15), day(18))]
    assert pegs_of(result, 2) == [(75, None, 1, day(18))]
    # RAW: 3 x 75 x 1.10 = 247.5 on day 15, less 20 = 227.5, released day 10.
    assert orders_of(result, 3) == [(3, D("227.5"), day(10), day(15))]
    assert pegs_of(result, 3) == [(D("227.5"), None, 2, day(15))]
    assert [o.bom_id for o in result.planned_orders] == [11, 12, None]
    assert [o.procurement for o in result.planned_orders] == [MAKE, MAKE, BUY]
    assert result.low_level_codes == {1: 0, 2: 1, 3: 2}
    assert result.planned_items == frozenset({1, 2, 3})
    assert result.shortages == (
        Shortage(1, day(20), D(40), D(0)),
        Shortage(2, day(18), D(75), D(0)),
        Shortage(3, day(15), D("227.5"), D(0)),
    )
    assert result.exceptions == ()


def test_a_component_requirement_is_pegged_whole_to_its_parent_order() -> None:
    # FG(1) lot FIXED 100, lead 1; line: 2 x C(2) + 5 fixed, rounded up to 10.
    # SO-1 30 and SO-2 10 on day 5 -> one FG order of 100 (pegs 30, 10; surplus 60).
    # C needs 2 x 100 + 5 = 205 -> 210 on day 4, pegged whole to FG order 1 (its
    # demands are found through that order: single-level pegging keeps a run's pegs
    # proportional to its orders, not to orders x demands).
    result = run(
        [item(1, MAKE, 1, lot=LotSizing(LotSizingPolicy.FIXED, fixed_quantity=D(100))), item(2)],
        [bom(11, 1, line(1, 2, "2", fixed="5", rounding="10"))],
        [demand("SO-2", 1, "10", day(5)), demand("SO-1", 1, "30", day(5))],
    )
    assert orders_of(result, 1) == [(1, 100, day(4), day(5))]
    assert pegs_of(result, 1) == [(30, "SO-1", None, day(5)), (10, "SO-2", None, day(5))]
    assert orders_of(result, 2) == [(2, 210, day(4), day(4))]
    assert pegs_of(result, 2) == [(210, None, 1, day(4))]


def test_shared_component_on_two_levels_is_planned_once_after_both_parents() -> None:
    # FG(1) lead 1 <- SUB(2) x1 and RES(4) x2; SUB lead 2 <- RES x3; RES lead 3.
    # RES's code is 2 (under SUB), so it is netted after FG and SUB.
    # SO-1 10 FG on day 10: FG #1 10, released day 9 -> SUB 10 and RES 20 on day 9.
    # SUB #2 10 due day 9, released day 7 -> RES 30 on day 7.
    # RES: #3 30 due day 7 (released day 4), #4 20 due day 9 (released day 6).
    result = run(
        [item(1, MAKE, 1), item(2, MAKE, 2), item(4, BUY, 3)],
        [bom(11, 1, line(1, 2, "1"), line(2, 4, "2")), bom(12, 2, line(1, 4, "3"))],
        [demand("SO-1", 1, "10", day(10))],
    )
    assert result.low_level_codes == {1: 0, 2: 1, 4: 2}
    assert orders_of(result, 1) == [(1, 10, day(9), day(10))]
    assert orders_of(result, 2) == [(2, 10, day(7), day(9))]
    assert orders_of(result, 4) == [(3, 30, day(4), day(7)), (4, 20, day(6), day(9))]
    assert pegs_of(result, 3) == [(30, None, 2, day(7))]
    assert pegs_of(result, 4) == [(20, None, 1, day(9))]


def test_minimum_and_multiple_reel_surplus_covers_later_requirements() -> None:
    # Reel: at least 5,000, a multiple of 5,000.
    # Day 5: 7,200 -> 10,000 (surplus 2,800). Day 8: 2,000 from the surplus (800 left).
    # Day 9: 1,000: 800 from the surplus, 200 -> a new reel of 5,000.
    reel = LotSizing(LotSizingPolicy.MINIMUM, minimum_quantity=D(5000), multiple=D(5000))
    result = run(
        [item(7, BUY, 0, lot=reel)],
        demands=[
            demand("R-1", 7, "7200", day(5)),
            demand("R-2", 7, "2000", day(8)),
            demand("R-3", 7, "1000", day(9)),
        ],
    )
    assert orders_of(result, 7) == [(1, 10000, day(5), day(5)), (2, 5000, day(9), day(9))]
    assert pegs_of(result, 1) == [
        (7200, "R-1", None, day(5)),
        (2000, "R-2", None, day(8)),
        (800, "R-3", None, day(9)),
    ]
    assert pegs_of(result, 2) == [(200, "R-3", None, day(9))]
    # What the orders must bring: 7,200 + 2,000 + 1,000, no surplus.
    assert result.shortages == (Shortage(7, day(5), D(10200), D(0)),)


def test_fixed_lot_sizing() -> None:
    # Fixed 100. Day 1: 30 -> 100 (surplus 70). Day 3: 250: 70 from #1, 180 -> 200
    # (surplus 20). Day 4: 10 from #2's surplus.
    lot = LotSizing(LotSizingPolicy.FIXED, fixed_quantity=D(100))
    result = run(
        [item(1, lot=lot)],
        demands=[
            demand("D1", 1, "30", day(1)),
            demand("D2", 1, "250", day(3)),
            demand("D3", 1, "10", day(4)),
        ],
    )
    assert orders_of(result, 1) == [(1, 100, day(1), day(1)), (2, 200, day(3), day(3))]
    assert pegs_of(result, 1) == [(30, "D1", None, day(1)), (70, "D2", None, day(3))]
    assert pegs_of(result, 2) == [(180, "D2", None, day(3)), (10, "D3", None, day(4))]


def test_phantom_is_passed_through() -> None:
    # FG(1) lead 1 <- 2 x PH(2) phantom, 1 x CASE(5). PH <- 4 x BOLT(3), 1 x PCB(4) scrap 5 %.
    # SO-1 10 on day 10: FG #1 10 released day 9. PH needs 20 on day 9, exploded in
    # place: BOLT 4 x 20 = 80, PCB 20 x 1.05 = 21, both pegged to FG #1 and SO-1.
    result = run(
        [item(1, MAKE, 1), item(2, MAKE, 7), item(3), item(4), item(5)],
        [
            bom(11, 1, line(1, 2, "2", phantom=True), line(2, 5, "1")),
            bom(12, 2, line(1, 3, "4"), line(2, 4, "1", scrap="5")),
        ],
        [demand("SO-1", 1, "10", day(10))],
    )
    assert orders_of(result, 2) == []
    assert 2 in result.planned_items
    assert result.low_level_codes == {1: 0, 2: 1, 3: 2, 4: 2, 5: 1}
    assert orders_of(result, 3) == [(3, 80, day(9), day(9))]
    assert orders_of(result, 4) == [(4, 21, day(9), day(9))]
    assert orders_of(result, 5) == [(2, 10, day(9), day(9))]
    assert pegs_of(result, 3) == [(80, None, 1, day(9))]
    assert pegs_of(result, 4) == [(21, None, 1, day(9))]


def test_phantom_of_phantom_and_phantom_without_bom() -> None:
    # FG(1) <- 2 x PH1(2) phantom <- 3 x PH2(3) phantom <- 1 x LEAF(4);
    # FG <- 1 x PH3(5) "phantom" without a BOM: planned as a normal component.
    result = run(
        [item(1, MAKE), item(2, MAKE), item(3, MAKE), item(4), item(5)],
        [
            bom(11, 1, line(1, 2, "2", phantom=True), line(2, 5, "1", phantom=True)),
            bom(12, 2, line(1, 3, "3", phantom=True)),
            bom(13, 3, line(1, 4, "1")),
        ],
        [demand("SO-1", 1, "5", day(3))],
    )
    # LEAF: 5 x 2 x 3 = 30; PH3: 5.
    assert orders_of(result, 4) == [(3, 30, day(3), day(3))]
    assert orders_of(result, 5) == [(2, 5, day(3), day(3))]
    assert orders_of(result, 2) == orders_of(result, 3) == []


def test_late_demand_and_release_in_the_past() -> None:
    # A (buy, lead 5). SO-9: 10 due day -3 -> planned for today, past-due exception;
    # its order (due today) should have been released on day -5. SO-10: 4 on day 10,
    # released day 5: on time.
    result = run(
        [item(1, BUY, 5)],
        demands=[demand("SO-9", 1, "10", day(-3)), demand("SO-10", 1, "4", day(10))],
    )
    assert orders_of(result, 1) == [(1, 10, day(-5), TODAY), (2, 4, day(5), day(10))]
    assert pegs_of(result, 1) == [(10, "SO-9", None, TODAY)]
    assert exceptions(result) == [
        (1, EXC.PAST_DUE_DEMAND, "SO-9", 10, day(-3), TODAY),
        (1, EXC.RELEASE_PAST, "planned:1", 10, day(-5), TODAY),
    ]
    assert result.shortages == (Shortage(1, TODAY, D(14), D(10)),)


def test_late_parent_makes_its_components_due_today() -> None:
    # FG lead 4, C lead 2. SO-1 due day 2: FG released day -2 (late); C is needed on
    # day -2, i.e. today, released day -2 as well.
    result = run(
        [item(1, MAKE, 4), item(2, BUY, 2)],
        [bom(11, 1, line(1, 2, "1"))],
        [demand("SO-1", 1, "1", day(2))],
    )
    assert orders_of(result, 2) == [(2, 1, day(-2), TODAY)]
    assert pegs_of(result, 2) == [(1, None, 1, TODAY)]
    assert [e.ref for e in result.exceptions] == ["planned:1", "planned:2"]


def test_safety_stock_floor() -> None:
    # Safety stock 50, on hand 30, lead 2. The floor is a requirement of 50 today,
    # after today's demands: 30 on hand + #1 of 20 due today (late: release day -2).
    # SO-1 20 on day 3 -> #2 20. Projected: today 50, day 3 50.
    result = run(
        [item(1, BUY, 2, safety="50")],
        demands=[demand("SO-1", 1, "20", day(3))],
        available={1: "30"},
    )
    assert orders_of(result, 1) == [(1, 20, day(-2), TODAY), (2, 20, day(1), day(3))]
    (order,) = [o for o in result.planned_orders if o.number == 1]
    assert order.pegs == (Peg(D(20), None, None, TODAY, safety_stock=True),)
    assert exceptions(result) == [(1, EXC.RELEASE_PAST, "planned:1", 20, day(-2), TODAY)]
    # Projected without planned orders is below the floor from today.
    assert result.shortages == (Shortage(1, TODAY, D(40), D(20)),)


def test_safety_stock_is_kept_by_later_demands_too() -> None:
    # Safety stock 10, on hand 100, SO-1 95 on day 4: 90 from stock, 5 planned on day 4.
    result = run(
        [item(1, safety="10")], demands=[demand("SO-1", 1, "95", day(4))], available={1: "100"}
    )
    assert orders_of(result, 1) == [(1, 5, day(4), day(4))]
    assert result.shortages == (Shortage(1, day(4), D(5), D(0)),)


def test_working_calendar_with_weekend_and_holiday() -> None:
    # Lead 3 working days, holiday Wed 2026-03-11. Due Fri 03-13 -> Mon 03-09;
    # due Mon 03-16 -> Tue 03-10. The component is needed on the parent's release date.
    calendar = WorkingCalendar(holidays=frozenset({date(2026, 3, 11)}))
    result = run(
        [item(1, MAKE, 3), item(2, BUY, 1)],
        [bom(11, 1, line(1, 2, "1"))],
        [demand("SO-1", 1, "1", date(2026, 3, 13)), demand("SO-2", 1, "2", date(2026, 3, 16))],
        calendar=calendar,
    )
    assert orders_of(result, 1) == [
        (1, 1, date(2026, 3, 9), date(2026, 3, 13)),
        (2, 2, date(2026, 3, 10), date(2026, 3, 16)),
    ]
    # C: due Mon 03-09 -> Fri 03-06; due Tue 03-10 -> Mon 03-09.
    assert orders_of(result, 2) == [
        (3, 1, date(2026, 3, 6), date(2026, 3, 9)),
        (4, 2, date(2026, 3, 9), date(2026, 3, 10)),
    ]


def test_expedite_postpone_and_excess_of_scheduled_receipts() -> None:
    # Receipts by due: PO-2 50 day 2, PO-1 100 day 10, PO-3 40 day 20.
    # SO-1 60 on day 5: PO-2 50 (first used 3 days after its due: postpone to day 5),
    # then 10 of PO-1 needed before its due: expedite to day 5.
    # SO-2 30 on day 12: PO-1. Left: 60 of PO-1 and all 40 of PO-3: excess.
    result = run(
        [item(1)],
        demands=[demand("SO-1", 1, "60", day(5)), demand("SO-2", 1, "30", day(12))],
        receipts=[
            receipt("PO-1", 1, "100", day(10)),
            receipt("PO-2", 1, "50", day(2)),
            receipt("PO-3", 1, "40", day(20)),
        ],
    )
    assert result.planned_orders == ()
    assert result.shortages == ()
    assert exceptions(result) == [
        (1, EXC.EXCESS, "PO-1", 60, day(10), None),
        (1, EXC.EXCESS, "PO-3", 40, day(20), None),
        (1, EXC.EXPEDITE, "PO-1", 10, day(10), day(5)),
        (1, EXC.POSTPONE, "PO-2", 50, day(2), day(5)),
    ]


def test_past_due_receipt_counts_today_and_receipts_come_before_new_orders() -> None:
    # PO-0 10 due day -2 counts today: SO-1 5 today takes 5, the rest is excess (no
    # postpone for a receipt already due). SO-2 20 on day 1: PO-0 5, then PO-1 (due
    # day 6) 15: expedite; then nothing is planned.
    result = run(
        [item(1)],
        demands=[demand("SO-1", 1, "5", TODAY), demand("SO-2", 1, "20", day(1))],
        receipts=[receipt("PO-0", 1, "10", day(-2)), receipt("PO-1", 1, "30", day(6))],
    )
    assert result.planned_orders == ()
    assert exceptions(result) == [
        (1, EXC.EXCESS, "PO-1", 15, day(6), None),
        (1, EXC.EXPEDITE, "PO-1", 15, day(6), day(1)),
    ]


def test_pending_inspection_counts_only_when_asked() -> None:
    # On hand 10, pending inspection 20, SO-1 25 on day 3.
    items, demands = [item(1)], [demand("SO-1", 1, "25", day(3))]
    without = run(items, demands=demands, available={1: "10"}, inspection={1: "20"})
    assert orders_of(without, 1) == [(1, 15, day(3), day(3))]
    with_it = run(
        items,
        demands=demands,
        available={1: "10"},
        inspection={1: "20"},
        include_pending_inspection=True,
    )
    assert with_it.planned_orders == ()
    assert with_it.exceptions == () and with_it.shortages == ()


def test_bom_effectivity_by_release_date() -> None:
    # FG lead 5. v1 (id 21) to day 9 uses OLD(2); v2 (id 22) from day 10 uses NEW(3).
    # SO-1 due day 12 -> released day 7 -> v1; SO-3 due day 15 -> day 10 -> v2 (its
    # first day); SO-2 due day 17 -> day 12 -> v2.
    result = run(
        [item(1, MAKE, 5), item(2), item(3)],
        [
            bom(21, 1, line(1, 2, "1"), effective_to=day(9)),
            bom(22, 1, line(1, 3, "2"), effective_from=day(10)),
        ],
        [
            demand("SO-1", 1, "1", day(12)),
            demand("SO-2", 1, "3", day(17)),
            demand("SO-3", 1, "2", day(15)),
        ],
    )
    assert [(o.release_date, o.bom_id) for o in result.planned_orders if o.item_id == 1] == [
        (day(7), 21),
        (day(10), 22),
        (day(12), 22),
    ]
    assert orders_of(result, 2) == [(4, 1, day(7), day(7))]
    assert orders_of(result, 3) == [(5, 4, day(10), day(10)), (6, 6, day(12), day(12))]


def test_no_bom_keeps_the_order_unexploded() -> None:
    # Item 1 has no BOM at all; item 2's only BOM starts on day 30 but its order is
    # released on day 4.
    result = run(
        [item(1, MAKE), item(2, MAKE, 1), item(3)],
        [bom(12, 2, line(1, 3, "1"), effective_from=day(30))],
        [demand("SO-1", 1, "2", day(3)), demand("SO-2", 2, "4", day(5))],
    )
    assert [(o.number, o.item_id, o.bom_id) for o in result.planned_orders] == [
        (1, 1, None),
        (2, 2, None),
    ]
    assert exceptions(result) == [
        (1, EXC.NO_BOM, "planned:1", 2, day(3), None),
        (2, EXC.NO_BOM, "planned:2", 4, day(4), None),
    ]


def _substitute_case(sub_on_hand: str, use_substitutes: bool = True) -> PlanResult:
    # FG(1) <- 2 x PRI(3), substitute SUB(2) at 2 SUB per PRI. SO-1 10 FG on day 5.
    # PRI on hand 4; SUB has its own demand D-S 6 on day 10 and PO-S 10 due day 1.
    return run(
        [item(1, MAKE), item(2), item(3)],
        [bom(11, 1, line(1, 3, "2", substitutes=(PlanSubstitute(2, 1, D(2)),)))],
        [demand("SO-1", 1, "10", day(5)), demand("D-S", 2, "6", day(10))],
        [receipt("PO-S", 2, "10", day(1))],
        available={3: "4", 2: sub_on_hand},
        use_substitutes=use_substitutes,
    )


def test_substitute_with_free_stock_covers_the_primary() -> None:
    # Pass 1: PRI needs 20 on day 5, has 4 -> planned 16. SUB alone: 20 today, 30 on
    # day 1, 24 on day 10: free stock 20.
    # Pass 2: of PRI's 16, SUB gives 20 (= 10 PRI x 2); PRI plans 6. SUB (netted before
    # PRI, same level, lower id) is netted again: 20 on hand go to the substitution on
    # day 5, D-S takes 6 of PO-S on day 10 (9 days after its due: postpone), 4 excess.
    result = _substitute_case("20")
    assert result.substitutions == (Substitution(3, 2, D(10), D(20), day(5), None, 1),)
    assert orders_of(result, 3) == [(2, 6, day(5), day(5))]
    assert pegs_of(result, 2) == [(6, None, 1, day(5))]
    assert orders_of(result, 2) == []
    assert exceptions(result) == [
        (2, EXC.EXCESS, "PO-S", 4, day(1), None),
        (2, EXC.POSTPONE, "PO-S", 10, day(1), day(10)),
    ]
    # PRI's projection counts the substitution: 4 - 20 + 10 = -6 on day 5.
    assert result.shortages == (Shortage(1, day(5), D(10), D(0)), Shortage(3, day(5), D(6), D(0)))


def test_substitute_covering_everything_and_not_used_when_off() -> None:
    # SUB on hand 40: free 40 >= 32, so PRI's 16 come wholly from SUB.
    result = _substitute_case("40")
    assert result.substitutions == (Substitution(3, 2, D(16), D(32), day(5), None, 1),)
    assert orders_of(result, 3) == []
    assert [s.item_id for s in result.shortages] == [1]
    off = _substitute_case("40", use_substitutes=False)
    assert off.substitutions == ()
    assert orders_of(off, 3) == [(2, 16, day(5), day(5))]


def test_substitute_without_free_stock_is_not_used() -> None:
    # SUB on hand 0 and PO-S 10 on day 1: projected 0 today -> no free stock.
    result = _substitute_case("0")
    assert result.substitutions == ()
    assert orders_of(result, 3) == [(2, 16, day(5), day(5))]
    # SUB with planned orders of its own has no free stock either, whatever it holds
    # later: 3 on hand, D-S 6 today -> SUB plans 3 (#2); PRI plans 16 (#3).
    short = run(
        [item(1, MAKE), item(2), item(3)],
        [bom(11, 1, line(1, 3, "2", substitutes=(PlanSubstitute(2, 1, D(2)),)))],
        [demand("SO-1", 1, "10", day(5)), demand("D-S", 2, "6", TODAY)],
        available={3: "4", 2: "3"},
    )
    assert short.substitutions == ()
    assert orders_of(short, 2) == [(2, 3, TODAY, TODAY)]
    assert orders_of(short, 3) == [(3, 16, day(5), day(5))]


def test_net_change_plans_the_chosen_items_and_below() -> None:
    # FG1(1) <- SUB1(2) <- RAW1(3); FG2(4) <- RAW2(5); SUB1 alternative RAW3(6).
    items = [item(1, MAKE), item(2, MAKE), item(3), item(4, MAKE), item(5), item(6)]
    boms = [
        bom(11, 1, line(1, 2, "1")),
        bom(12, 2, line(1, 3, "2", substitutes=(PlanSubstitute(6),))),
        bom(14, 4, line(1, 5, "1")),
    ]
    demands = [demand("SO-1", 1, "5", day(4)), demand("SO-2", 2, "3", day(4))]
    result = plan(
        replace(make_input(items, boms, demands), options=PlanOptions(TODAY, items=frozenset({2})))
    )
    assert result.planned_items == frozenset({2, 3, 6})
    assert result.low_level_codes == {2: 1, 3: 2, 6: 2}
    # SO-1 (on FG1, not planned) is ignored; SO-2 3 SUB1 -> 6 RAW1.
    assert orders_of(result, 2) == [(1, 3, day(4), day(4))]
    assert orders_of(result, 3) == [(2, 6, day(4), day(4))]
    assert {o.item_id for o in result.planned_orders} == {2, 3}


def _busy_input() -> PlanInput:
    reel = LotSizing(LotSizingPolicy.MINIMUM, minimum_quantity=D(50), multiple=D(25))
    return make_input(
        [
            item(1, MAKE, 2, lot=LotSizing(LotSizingPolicy.FIXED, fixed_quantity=D(7))),
            item(2, MAKE, 1, safety="3"),
            item(3, BUY, 4, lot=reel),
            item(4, BUY, 3, safety="5"),
            item(5, BUY, 1),
            item(6, MAKE, 2),
        ],
        [
            bom(
                11,
                1,
                line(1, 2, "2", scrap="5"),
                line(2, 3, "1.5", substitutes=(PlanSubstitute(5),)),
            ),
            bom(12, 2, line(1, 3, "4"), line(2, 4, "1", fixed="2"), effective_to=day(6)),
            bom(13, 2, line(1, 4, "3", rounding="10"), effective_from=day(7)),
            bom(16, 6, line(1, 2, "1"), line(2, 4, "2")),
        ],
        [
            demand("SO-1", 1, "12", day(8)),
            demand("SO-2", 1, "5", day(3)),
            demand("SO-3", 6, "4", day(12)),
            demand("SO-4", 4, "7", day(-1)),
            demand("SO-5", 3, "9", day(9)),
        ],
        [
            receipt("PO-1", 3, "30", day(5)),
            receipt("PO-2", 4, "10", day(20)),
            receipt("PO-3", 4, "8", day(-3)),
        ],
        available={2: "5", 4: "2", 5: "400"},
        inspection={3: "10"},
        include_pending_inspection=True,
    )


def test_shuffled_input_gives_the_identical_result() -> None:
    data = _busy_input()
    expected = plan(data)
    assert expected.planned_orders and expected.substitutions and expected.exceptions
    rng = random.Random(7)
    for _ in range(5):

        def shuffled(mapping: dict[Any, Any], rng: random.Random = rng) -> dict[Any, Any]:
            keys = list(mapping)
            rng.shuffle(keys)
            return {k: mapping[k] for k in keys}

        def mixed(values: tuple[Any, ...], rng: random.Random = rng) -> tuple[Any, ...]:
            listed = list(values)
            rng.shuffle(listed)
            return tuple(listed)

        other = replace(
            data,
            items=shuffled(data.items),
            boms=shuffled({k: mixed(v) for k, v in data.boms.items()}),
            available=shuffled(data.available),
            pending_inspection=shuffled(data.pending_inspection),
            scheduled_receipts=mixed(data.scheduled_receipts),
            demands=mixed(data.demands),
        )
        again = plan(other)
        assert again == expected
        assert repr(again) == repr(expected)


def test_bom_cycles_do_not_hang() -> None:
    # 1 -> 2 -> 1 (a cycle the catalog would refuse), 2 -> phantom 3, 3 -> phantom 3 and
    # phantom 2. Codes: the cycle is broken at item 1 (0), then 2 (1), then 3 (2).
    # Requirements that reach an item already netted (2 -> 1, 3 -> 2, 3 -> 3) are dropped;
    # a phantom already in the chain is planned as a normal component.
    result = run(
        [item(1, MAKE, 1), item(2, MAKE, 1), item(3, MAKE)],
        [
            bom(11, 1, line(1, 2, "1")),
            bom(12, 2, line(1, 1, "1"), line(2, 3, "2", phantom=True)),
            bom(13, 3, line(1, 3, "1", phantom=True), line(2, 2, "1", phantom=True)),
        ],
        [demand("SO-1", 1, "5", day(5))],
    )
    assert result.low_level_codes == {1: 0, 2: 1, 3: 2}
    # FG #1 5 (released day 4) -> 2: #2 5 (released day 3) -> phantom 3 exploded in place
    # with 10: its line to itself is planned as 3 (10 on day 3); its line to 2 is dropped.
    assert orders_of(result, 1) == [(1, 5, day(4), day(5))]
    assert orders_of(result, 2) == [(2, 5, day(3), day(4))]
    assert orders_of(result, 3) == [(3, 10, day(3), day(3))]
    assert result == plan(
        make_input(
            [item(3, MAKE), item(2, MAKE, 1), item(1, MAKE, 1)],
            [
                bom(13, 3, line(1, 3, "1", phantom=True), line(2, 2, "1", phantom=True)),
                bom(12, 2, line(1, 1, "1"), line(2, 3, "2", phantom=True)),
                bom(11, 1, line(1, 2, "1")),
            ],
            [demand("SO-1", 1, "5", day(5))],
        )
    )


def test_over_reserved_stock_is_a_requirement_today() -> None:
    # Available -4 (reservations exceed stock): 4 are needed today, before SO-1's 6 on
    # day 2.
    result = run([item(1)], demands=[demand("SO-1", 1, "6", day(2))], available={1: "-4"})
    assert orders_of(result, 1) == [(1, 4, TODAY, TODAY), (2, 6, day(2), day(2))]
    assert pegs_of(result, 1) == [(4, None, None, TODAY)]
    assert result.shortages == (Shortage(1, TODAY, D(10), D(0)),)
