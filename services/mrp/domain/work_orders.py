"""A work order's BOM: which version it pins and the components it needs.

Pure: takes the planning core's BOM types. Quantities are in stock units; a component's
requirement is `quantity_per x (1 + scrap % / 100) x order quantity + fixed quantity`,
rounded up to the line's rounding multiple (as the planning core explodes planned
orders), phantoms passed through with the version effective on the start date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal

from services.mrp.domain.model import ONE, ZERO, PlanBom

ARITHMETIC = Context(prec=60)
_HUNDRED = Decimal(100)
#: Scale of a stored quantity per unit (the column keeps 10 decimal places).
PER_UNIT_STEP = Decimal("1e-10")
#: Scale of a stored quantity (6 decimal places, as every quantity in the API).
QUANTITY_STEP = Decimal("1e-6")


class NoBomVersion(ValueError):
    """No released version fits: none effective on the date, or no such revision."""


def effective_version(versions: Sequence[PlanBom], on: date) -> PlanBom | None:
    """The released version effective on `on` (latest start, then highest id)."""
    fitting = [bom for bom in versions if bom.effective_on(on)]
    if not fitting:
        return None
    return max(fitting, key=lambda bom: (bom.effective_from or date.min, bom.id))


def pin_version(versions: Sequence[PlanBom], on: date, revision: str | None) -> PlanBom:
    """The version a work order builds to: the named revision, or the one effective on
    its start date."""
    if revision is not None:
        named = [bom for bom in versions if bom.revision == revision]
        if not named:
            raise NoBomVersion(f"no released revision {revision!r}")
        return max(named, key=lambda bom: bom.id)
    found = effective_version(versions, on)
    if found is None:
        raise NoBomVersion(f"no released BOM version is effective on {on.isoformat()}")
    return found


@dataclass(frozen=True, slots=True)
class ComponentNeed:
    position: int
    item_id: int
    #: Per one unit of the order's item, scrap included (10 decimal places).
    quantity_per: Decimal
    fixed_quantity: Decimal
    required: Decimal
    backflush: bool


def components(
    bom: PlanBom,
    boms: Mapping[int, Sequence[PlanBom]],
    quantity: Decimal,
    on: date,
    backflush: Mapping[tuple[int, int], bool],
) -> list[ComponentNeed]:
    """The components of `quantity` built to `bom`, one per item (lines of the same item
    merged), phantoms passed through; required quantities rounded up to 6 places."""
    merged: dict[int, _Need] = {}

    def add(version: PlanBom, factor: Decimal, depth: int) -> None:
        for line in version.lines:
            per = ARITHMETIC.multiply(
                ARITHMETIC.multiply(line.quantity_per, factor),
                ARITHMETIC.divide(_HUNDRED + line.scrap_percent, _HUNDRED),
            )
            child = effective_version(boms.get(line.component_id, ()), on) if line.phantom else None
            if child is not None and depth < 20:
                add(child, per, depth + 1)
                continue
            required = ARITHMETIC.add(ARITHMETIC.multiply(per, quantity), line.fixed_quantity)
            multiple = line.rounding_multiple
            if multiple is not None and multiple > 0:
                required = (required / multiple).to_integral_value(ROUND_CEILING) * multiple
            flush = backflush.get((version.id, line.position), False)
            entry = merged.setdefault(line.component_id, _Need(line.position))
            entry.per = ARITHMETIC.add(entry.per, per)
            entry.fixed = ARITHMETIC.add(entry.fixed, line.fixed_quantity)
            entry.required = ARITHMETIC.add(entry.required, required)
            entry.backflush = entry.backflush or flush

    add(bom, ONE, 0)
    return [
        ComponentNeed(
            position=entry.position,
            item_id=item_id,
            quantity_per=entry.per.quantize(PER_UNIT_STEP, rounding=ROUND_HALF_UP),
            fixed_quantity=entry.fixed.quantize(QUANTITY_STEP, rounding=ROUND_CEILING),
            required=entry.required.quantize(QUANTITY_STEP, rounding=ROUND_CEILING),
            backflush=entry.backflush,
        )
        for item_id, entry in merged.items()
    ]


@dataclass(slots=True)
class _Need:
    position: int
    per: Decimal = ZERO
    fixed: Decimal = ZERO
    required: Decimal = ZERO
    backflush: bool = False


def backflush_quantity(
    need_per: Decimal, fixed: Decimal, quantity: Decimal, first: bool
) -> Decimal:
    """What a completion of `quantity` units consumes of a component by BOM: its share
    per unit (scrap included) and, on the order's first completion, the fixed quantity;
    rounded up to 6 places."""
    total = ARITHMETIC.multiply(need_per, quantity)
    if first:
        total = ARITHMETIC.add(total, fixed)
    return total.quantize(QUANTITY_STEP, rounding=ROUND_CEILING)
