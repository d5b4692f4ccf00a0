"""Item master rules."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from enum import StrEnum


class ItemType(StrEnum):
    RAW_MATERIAL = "raw_material"
    SEMI_FINISHED = "semi_finished"
    FINISHED_GOOD = "finished_good"


class Procurement(StrEnum):
    BUY = "buy"
    MAKE = "make"


class Tracking(StrEnum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


class Lifecycle(StrEnum):
    """Where an item stands in its life: new designs should use only `active` parts."""

    ACTIVE = "active"
    NOT_RECOMMENDED = "not_recommended"
    END_OF_LIFE = "end_of_life"
    OBSOLETE = "obsolete"


class LotSizing(StrEnum):
    LOT_FOR_LOT = "lot_for_lot"
    FIXED = "fixed"
    MINIMUM = "minimum"


def default_procurement(item_type: ItemType) -> Procurement:
    """Raw materials are bought; semi-finished and finished goods are made."""
    return Procurement.BUY if item_type is ItemType.RAW_MATERIAL else Procurement.MAKE


def lot_sizing_errors(
    policy: LotSizing,
    fixed_quantity: Decimal | None,
    minimum_quantity: Decimal | None,
    multiple: Decimal | None,
) -> list[tuple[str, str]]:
    """(field, reason) for every lot-sizing field that does not fit the policy."""
    errors: list[tuple[str, str]] = []
    if policy is LotSizing.FIXED:
        if fixed_quantity is None:
            errors.append(("fixed_quantity", "required when the policy is fixed"))
        if minimum_quantity is not None or multiple is not None:
            errors.append(("policy", "a fixed lot size takes no minimum or multiple"))
    elif policy is LotSizing.MINIMUM:
        if minimum_quantity is None and multiple is None:
            errors.append(("minimum_quantity", "give a minimum quantity, a multiple or both"))
        if fixed_quantity is not None:
            errors.append(("fixed_quantity", "only the fixed policy takes a fixed quantity"))
    elif fixed_quantity is not None or minimum_quantity is not None or multiple is not None:
        errors.append(("policy", "lot-for-lot takes no fixed quantity, minimum or multiple"))
    return errors


def lot_size(
    net: Decimal,
    policy: LotSizing,
    fixed_quantity: Decimal | None,
    minimum_quantity: Decimal | None,
    multiple: Decimal | None,
) -> Decimal:
    """The order quantity that covers a net requirement `net` under the item's lot sizing."""
    if net <= 0:
        return Decimal(0)
    if policy is LotSizing.FIXED and fixed_quantity:
        return _ceil(net / fixed_quantity) * fixed_quantity
    if policy is LotSizing.MINIMUM:
        quantity = max(net, minimum_quantity or Decimal(0))
        if multiple:
            quantity = _ceil(quantity / multiple) * multiple
        return quantity
    return net


def _ceil(value: Decimal) -> Decimal:
    """Round up to a whole number (Decimal's // truncates towards zero, not down)."""
    return value.to_integral_value(rounding=ROUND_CEILING)


