"""Units of measure: rounding rules and conversions, item-specific ones first."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum


class Rounding(StrEnum):
    """How a quantity in a unit is rounded to the unit's decimals."""

    UP = "up"
    HALF_UP = "half_up"
    DOWN = "down"


_MODES = {Rounding.UP: ROUND_UP, Rounding.HALF_UP: ROUND_HALF_UP, Rounding.DOWN: ROUND_DOWN}


@dataclass(frozen=True, slots=True)
class UnitRule:
    code: str
    decimals: int
    rounding: Rounding
    base_unit: str | None = None
    factor_to_base: Decimal | None = None

    @property
    def whole(self) -> bool:
        return self.decimals == 0

    def round(self, quantity: Decimal) -> Decimal:
        """`quantity` rounded to this unit's decimals by its rule (pcs are whole)."""
        return quantity.quantize(Decimal(1).scaleb(-self.decimals), rounding=_MODES[self.rounding])

    def fits(self, quantity: Decimal) -> bool:
        """True when `quantity` needs no rounding in this unit."""
        return self.round(quantity) == quantity


class ConversionError(ValueError):
    """No rule converts between the two units (for this item)."""


def conversion_factor(
    from_unit: UnitRule,
    to_unit: UnitRule,
    *,
    stock_unit: str | None = None,
    item_factors: dict[str, Decimal] | None = None,
) -> Decimal:
    """The factor f with `1 from_unit = f to_unit`.

    Item-specific conversions (`item_factors`: unit -> stock units of this item, e.g.
    {"reel": 5000}) are tried first, so a reel can mean 5,000 pcs for one resistor and
    10,000 for another; then global conversions through a shared base unit (g -> kg).
    """
    if from_unit.code == to_unit.code:
        return Decimal(1)
    factors = dict(item_factors or {})
    if stock_unit is not None:
        factors.setdefault(stock_unit, Decimal(1))
        if from_unit.code in factors and to_unit.code in factors:
            return factors[from_unit.code] / factors[to_unit.code]
    from_base = _to_base(from_unit)
    to_base = _to_base(to_unit)
    if from_base[0] == to_base[0]:
        return from_base[1] / to_base[1]
    raise ConversionError(f"no conversion from {from_unit.code} to {to_unit.code}")


def _to_base(unit: UnitRule) -> tuple[str, Decimal]:
    if unit.base_unit and unit.factor_to_base is not None:
        return unit.base_unit, unit.factor_to_base
    return unit.code, Decimal(1)
