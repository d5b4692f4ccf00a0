"""Walking a run's single-level pegging: which independent demands a planned order serves
(up), and which planned orders serve a demand (down).

A run stores one peg per requirement a planned order covers: an independent demand (a
sales order line, a forecast, a work order's component) or a component requirement of a
parent planned order of the same run. Up: a parent's demands are shared out over the
component order's peg to it in proportion to what each demand takes of the parent order
(a parent of 40 serving 30 for SO-1 and 10 for SO-2 passes 3/4 and 1/4 of the component
quantity pegged to it on); the part of a parent that serves no demand (lot-size surplus,
safety stock) passes on as `demand_ref: null`. Down: the orders pegged to the demand, then
the orders pegged to those, level by level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.db.models import PegRow, PlannedOrderRow

ZERO = Decimal(0)
STEP = Decimal("0.000001")
ARITHMETIC = Context(prec=60)
#: Numbers per IN (...) when walking.
CHUNK = 5000


async def _pegs(
    session: AsyncSession, run_id: int, numbers: Iterable[int]
) -> dict[int, list[PegRow]]:
    found: dict[int, list[PegRow]] = defaultdict(list)
    wanted = sorted(set(numbers))
    for start in range(0, len(wanted), CHUNK):
        rows = await session.scalars(
            select(PegRow).where(
                PegRow.run_id == run_id, PegRow.order_number.in_(wanted[start : start + CHUNK])
            )
        )
        for row in rows:
            found[row.order_number].append(row)
    return found


async def _quantities(
    session: AsyncSession, run_id: int, numbers: Iterable[int]
) -> dict[int, Decimal]:
    wanted = sorted(set(numbers))
    found: dict[int, Decimal] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = await session.execute(
            select(PlannedOrderRow.number, PlannedOrderRow.quantity).where(
                PlannedOrderRow.run_id == run_id,
                PlannedOrderRow.number.in_(wanted[start : start + CHUNK]),
            )
        )
        found.update({number: quantity for number, quantity in rows})
    return found


async def demands_served(
    session: AsyncSession, run_id: int, numbers: Iterable[int]
) -> dict[int, dict[str | None, Decimal]]:
    """Per planned order: quantity of it serving each independent demand (None: no demand,
    a lot-size surplus or safety stock somewhere above it), in its own unit."""
    pegs: dict[int, list[PegRow]] = {}
    frontier = set(numbers)
    while frontier:
        found = await _pegs(session, run_id, frontier)
        for number in frontier:
            pegs[number] = found.get(number, [])
        frontier = {
            peg.parent_number
            for rows in found.values()
            for peg in rows
            if peg.parent_number is not None and peg.parent_number not in pegs
        }
    sizes = await _quantities(session, run_id, pegs)
    memo: dict[int, dict[str | None, Decimal]] = {}

    def served(number: int, depth: int = 0) -> dict[str | None, Decimal]:
        if number in memo:
            return memo[number]
        shares: dict[str | None, Decimal] = defaultdict(lambda: ZERO)
        for peg in pegs.get(number, ()):
            if peg.parent_number is None or depth > 64:
                shares[None if peg.safety_stock else peg.demand_ref] += peg.quantity
                continue
            above = served(peg.parent_number, depth + 1)
            size = sizes.get(peg.parent_number, ZERO)
            passed = ZERO
            for ref, part in above.items():
                if ref is None or size <= 0:
                    continue
                share = ARITHMETIC.divide(ARITHMETIC.multiply(peg.quantity, part), size)
                shares[ref] += share
                passed += share
            if peg.quantity > passed:
                shares[None] += peg.quantity - passed
        memo[number] = {
            ref: quantity.quantize(STEP, rounding=ROUND_HALF_UP)
            for ref, quantity in shares.items()
            if quantity.quantize(STEP, rounding=ROUND_HALF_UP) > 0
        }
        return memo[number]

    return {number: served(number) for number in numbers}


async def orders_serving(session: AsyncSession, run_id: int, demand_ref: str) -> set[int]:
    """Numbers of the run's planned orders that serve `demand_ref`, through every level."""
    found = set(
        await session.scalars(
            select(PegRow.order_number).where(
                PegRow.run_id == run_id, PegRow.demand_ref == demand_ref
            )
        )
    )
    frontier = set(found)
    while frontier:
        wanted = sorted(frontier)
        frontier = set()
        for start in range(0, len(wanted), CHUNK):
            below = await session.scalars(
                select(PegRow.order_number).where(
                    PegRow.run_id == run_id,
                    PegRow.parent_number.in_(wanted[start : start + CHUNK]),
                )
            )
            frontier.update(number for number in below if number not in found)
        found |= frontier
    return found
