"""MRP planning core: invariants over random small BOM DAGs (hypothesis).

The checks recompute gross requirements independently from the planned orders (BOM
version by id, phantoms exploded in place) and never look at the planner's internals.
Two readings of the invariants follow the planner's documented rules: an expedited
receipt counts from the date it is brought in to (a), and a component is due by its
parent's release date or today, whichever is later (c): nothing is planned due before
today, so the component of a parent released late is due today.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.mrp.domain.model import (
    Demand,
    DemandKind,
    ExceptionKind,
    LotSizing,
    LotSizingPolicy,
    PlanBom,
    PlanInput,
    PlanItem,
    PlanLine,
    PlanOptions,
    PlanResult,
    PlanSubstitute,
    Procurement,
    ScheduledReceipt,
    SupplyKind,
    WorkingCalendar,
)
from services.mrp.domain.planning import ceil_div, effective_bom, plan

D = Decimal
TODAY = date(2026, 3, 2)

QUANTITIES_PER = [D("0.5"), D(1), D(2), D(3), D("1.25")]
SCRAP = [D(0), D(0), D(5), D("12.5")]
RATIOS = [D(1), D(2), D("0.5")]
LOTS = [
    LotSizing(),
    LotSizing(LotSizingPolicy.FIXED, fixed_quantity=D(20)),
    LotSizing(LotSizingPolicy.MINIMUM, minimum_quantity=D(25), multiple=D(10)),
    LotSizing(LotSizingPolicy.MINIMUM, multiple=D("0.5")),
    LotSizing(LotSizingPolicy.FIXED),  # falls back to lot-for-lot
]


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@st.composite
def plan_inputs(draw: st.DrawFn) -> PlanInput:
    count = draw(st.integers(2, 12))
    ids = list(range(1, count + 1))
    level = {i: draw(st.integers(0, 3)) for i in ids}
    items: dict[int, PlanItem] = {}
    boms: dict[int, tuple[PlanBom, ...]] = {}
    bom_id = 100
    for i in ids:
        below = [j for j in ids if level[j] > level[i]]
        has_bom = bool(below) and draw(st.booleans())
        make = has_bom or draw(st.integers(0, 9)) == 0  # a make item without BOM: NO_BOM
        items[i] = PlanItem(
            id=i,
            code=f"I{i}",
            procurement=Procurement.MAKE if make else Procurement.BUY,
            lead_time_days=draw(st.integers(0, 4)),
            safety_stock=draw(st.sampled_from([D(0), D(0), D(0), D(5), D("2.5")])),
            lot_sizing=draw(st.sampled_from(LOTS)),
        )
        if not has_bom:
            continue
        switch = draw(st.none() | st.integers(-2, 15))
        windows = (
            [(None, None)] if switch is None else [(None, day(switch)), (day(switch + 1), None)]
        )
        versions = []
        for effective_from, effective_to in windows:
            lines = []
            for position in range(draw(st.integers(1, 3))):
                component = draw(st.sampled_from(below))
                deeper = [j for j in ids if level[j] > level[i] and j != component]
                substitutes: tuple[PlanSubstitute, ...] = ()
                if deeper and draw(st.booleans()):
                    substitutes = (
                        PlanSubstitute(
                            draw(st.sampled_from(deeper)),
                            draw(st.integers(1, 2)),
                            draw(st.sampled_from(RATIOS)),
                        ),
                    )
                lines.append(
                    PlanLine(
                        position=position + 1,
                        component_id=component,
                        quantity_per=draw(st.sampled_from(QUANTITIES_PER)),
                        scrap_percent=draw(st.sampled_from(SCRAP)),
                        fixed_quantity=draw(st.sampled_from([D(0), D(0), D(1)])),
                        rounding_multiple=draw(st.sampled_from([None, None, D(5)])),
                        phantom=draw(st.integers(0, 4)) == 0,
                        substitutes=substitutes,
                    )
                )
            bom_id += 1
            versions.append(
                PlanBom(bom_id, i, f"R{bom_id}", effective_from, effective_to, tuple(lines))
            )
        boms[i] = tuple(versions)
    available = {
        i: D(draw(st.integers(-5, 80))) for i in draw(st.lists(st.sampled_from(ids), max_size=8))
    }
    inspection = {
        i: D(draw(st.integers(0, 20))) for i in draw(st.lists(st.sampled_from(ids), max_size=3))
    }
    receipts = tuple(
        ScheduledReceipt(
            f"PO-{n}",
            draw(st.sampled_from(list(SupplyKind))),
            draw(st.sampled_from(ids)),
            D(draw(st.integers(1, 40))),
            day(draw(st.integers(-3, 20))),
        )
        for n in range(draw(st.integers(0, 4)))
    )
    demands = tuple(
        Demand(
            f"SO-{n}",
            draw(st.sampled_from(list(DemandKind))),
            draw(st.sampled_from(ids)),
            D(draw(st.integers(1, 50))) / draw(st.sampled_from([1, 1, 4])),
            day(draw(st.integers(-2, 25))),
        )
        for n in range(draw(st.integers(1, 5)))
    )
    calendar = draw(st.sampled_from([None, WorkingCalendar(holidays=frozenset({day(4), day(10)}))]))
    chosen = draw(st.none() | st.frozensets(st.sampled_from(ids), min_size=1, max_size=2))
    options = PlanOptions(
        today=TODAY,
        calendar=calendar,
        include_pending_inspection=draw(st.booleans()),
        use_substitutes=draw(st.integers(0, 3)) > 0,
        reschedule_out_days=draw(st.integers(0, 4)),
        items=chosen,
    )
    return PlanInput(items, boms, available, inspection, receipts, demands, options)


def gross_requirements(
    data: PlanInput, result: PlanResult
) -> dict[int, list[tuple[date, Decimal]]]:
    """Each planned item's requirements (day, quantity), recomputed from the result."""
    today = data.options.today
    planned = result.planned_items
    by_id = {b.id: b for versions in data.boms.values() for b in versions}
    needs: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for demand in data.demands:
        if demand.item_id in planned:
            needs[demand.item_id].append((max(demand.due, today), demand.quantity))

    def explode(bom: PlanBom, quantity: Decimal, on: date, chain: tuple[int, ...]) -> None:
        for line in bom.lines:
            need = line.quantity_per * quantity * (1 + line.scrap_percent / 100)
            need += line.fixed_quantity
            if line.rounding_multiple:
                need = line.rounding_multiple * ceil_div(need, line.rounding_multiple)
            inner = effective_bom(data.boms.get(line.component_id, ()), on)
            if line.phantom and inner is not None and line.component_id not in chain:
                explode(inner, need, on, (*chain, line.component_id))
            elif line.component_id in planned:
                needs[line.component_id].append((max(on, today), need))

    for order in result.planned_orders:
        if order.bom_id is not None:
            explode(by_id[order.bom_id], order.quantity, order.release_date, (order.item_id,))
    for sub in result.substitutions:
        needs[sub.primary_id].append((sub.required_on, -sub.primary_quantity))
        needs[sub.substitute_id].append((sub.required_on, sub.substitute_quantity))
    return needs


def supplies(data: PlanInput, result: PlanResult) -> dict[int, list[tuple[date, Decimal]]]:
    """Each planned item's stock (today) and receipts (brought in when expedited)."""
    today = data.options.today
    planned = result.planned_items
    expedited = {
        (e.item_id, e.ref): e.suggested_date
        for e in result.exceptions
        if e.kind is ExceptionKind.EXPEDITE
    }
    found: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for item_id in planned:
        stock = data.available.get(item_id, D(0))
        if data.options.include_pending_inspection:
            stock += max(data.pending_inspection.get(item_id, D(0)), D(0))
        found[item_id].append((today, stock))
    for receipt in data.scheduled_receipts:
        if receipt.item_id in planned:
            on = expedited.get((receipt.item_id, receipt.ref)) or max(receipt.due, today)
            found[receipt.item_id].append((on, receipt.quantity))
    return found


def check(data: PlanInput, result: PlanResult) -> None:
    today = data.options.today
    orders = {o.number: o for o in result.planned_orders}
    assert list(orders) == list(range(1, len(orders) + 1))
    needs = gross_requirements(data, result)
    stock = supplies(data, result)

    for item_id in result.planned_items:
        safety = data.items[item_id].safety_stock
        # (a) Projected stock, planned orders included, never falls below the floor.
        events: dict[date, Decimal] = defaultdict(Decimal)
        for on, quantity in stock[item_id]:
            events[on] += quantity
        for on, quantity in needs[item_id]:
            events[on] -= quantity
        for order in result.planned_orders:
            if order.item_id == item_id:
                events[order.due_date] += order.quantity
        projected = D(0)
        for on in sorted(events):
            projected += events[on]
            assert projected >= safety, (item_id, on, projected)

        # (b) What the planned orders bring (their pegs) is exactly what stock, receipts
        # and substitutions leave uncovered.
        required = sum((q for _, q in needs[item_id] if q > 0), D(0)) + safety
        substituted = sum((-q for _, q in needs[item_id] if q < 0), D(0))
        supplied = sum((q for _, q in stock[item_id]), D(0))
        pegged = sum(
            (p.quantity for o in result.planned_orders if o.item_id == item_id for p in o.pegs),
            D(0),
        )
        assert pegged == max(required - supplied, D(0)) - substituted, item_id

    refs = {d.ref for d in data.demands}
    top: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for order in result.planned_orders:
        assert today <= order.due_date
        assert order.release_date <= order.due_date
        assert (order.release_date < today) == any(
            e.kind is ExceptionKind.RELEASE_PAST and e.ref == f"planned:{order.number}"
            for e in result.exceptions
        )
        # (b) Pegs are positive and never more than the order.
        assert all(p.quantity > 0 for p in order.pegs)
        assert sum((p.quantity for p in order.pegs), D(0)) <= order.quantity
        for peg in order.pegs:
            assert peg.demand_ref is None or peg.demand_ref in refs
            assert peg.required_on >= order.due_date
            if peg.parent_order is None and peg.demand_ref is not None:
                top[order.item_id, peg.demand_ref] += peg.quantity
            if peg.parent_order is not None:
                parent = orders[peg.parent_order]
                assert parent.procurement is Procurement.MAKE and parent.bom_id is not None
                # (c) A component is due by its parent's release (today when that is late).
                assert order.due_date <= max(parent.release_date, today)
                assert peg.demand_ref is None or peg.demand_ref in {
                    p.demand_ref for p in parent.pegs
                }
    for (item_id, ref), quantity in top.items():
        assert quantity <= sum(
            (d.quantity for d in data.demands if d.item_id == item_id and d.ref == ref), D(0)
        )
    for shortage in result.shortages:
        assert shortage.late_quantity <= shortage.quantity
        assert shortage.first_short_on >= today
    assert {s.item_id for s in result.shortages} == {o.item_id for o in result.planned_orders}


def shuffled(data: PlanInput, seed: int) -> PlanInput:
    import random

    rng = random.Random(seed)

    def mapping(values: dict[Any, Any]) -> dict[Any, Any]:
        keys = list(values)
        rng.shuffle(keys)
        return {k: values[k] for k in keys}

    def sequence(values: tuple[Any, ...]) -> tuple[Any, ...]:
        listed = list(values)
        rng.shuffle(listed)
        return tuple(listed)

    return replace(
        data,
        items=mapping(data.items),
        boms=mapping({k: sequence(v) for k, v in data.boms.items()}),
        available=mapping(data.available),
        pending_inspection=mapping(data.pending_inspection),
        scheduled_receipts=sequence(data.scheduled_receipts),
        demands=sequence(data.demands),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_inputs(), st.integers(0, 1000))
def test_plans_cover_every_requirement_and_peg_exactly(data: PlanInput, seed: int) -> None:
    result = plan(data)
    check(data, result)
    # (d) Deterministic, whatever the order of the input.
    assert plan(shuffled(data, seed)) == result
