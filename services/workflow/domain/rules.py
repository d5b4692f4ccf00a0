"""Pure parts of rules: the suggested purchase quantity from an item's lot sizing, and
what an episode does when a condition is seen true or false."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Any


def suggested_quantity(shortage: Decimal, lot_sizing: dict[str, Any] | None) -> Decimal:
    """How much to buy to cover `shortage` under the item's lot sizing (the catalog's
    `lot_sizing`: lot_for_lot, fixed (whole fixed lots), minimum (at least the minimum));
    `multiple` rounds up to whole multiples. Nothing short: zero."""
    if shortage <= 0:
        return Decimal(0)
    sizing = lot_sizing or {}

    def number(name: str) -> Decimal | None:
        value = sizing.get(name)
        return Decimal(str(value)) if value not in (None, "") else None

    quantity = shortage
    policy = sizing.get("policy", "lot_for_lot")
    fixed, minimum, multiple = (
        number("fixed_quantity"),
        number("minimum_quantity"),
        number("multiple"),
    )
    if policy == "fixed" and fixed and fixed > 0:
        quantity = (shortage / fixed).to_integral_value(rounding=ROUND_CEILING) * fixed
    elif policy == "minimum" and minimum is not None:
        quantity = max(shortage, minimum)
    if multiple and multiple > 0:
        quantity = (quantity / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple
    return quantity


class EpisodeStep(StrEnum):
    FIRE = "fire"  # became true: open the episode and act, once
    HOLD = "hold"  # still true: nothing
    CLOSE = "close"  # no longer true: close, so the next time it fires again
    IDLE = "idle"  # false and nothing open


def episode_step(holds: bool, open_now: bool) -> EpisodeStep:
    if holds:
        return EpisodeStep.HOLD if open_now else EpisodeStep.FIRE
    return EpisodeStep.CLOSE if open_now else EpisodeStep.IDLE
