"""Reusable Pydantic field types for the public contracts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, PlainSerializer


def plain(value: Decimal) -> str:
    """Decimal as a plain string without exponent or trailing zeros: 5000, 0.25.

    Every decimal of every response passes here (a large page has tens of thousands), so
    the usual case is string work on `str(value)`; only exponent forms (`0E-6`, `1E+3`)
    take the slower `normalize()`.
    """
    text = str(value)
    if "E" in text:
        text = format(value.normalize(), "f")
    elif "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


DecimalString = PlainSerializer(plain, return_type=str, when_used="json")

#: A positive quantity with at most 6 decimal places, sent and returned as a string.
Quantity = Annotated[
    Decimal,
    Field(gt=0, max_digits=22, decimal_places=6, examples=["5000", "0.25"]),
    DecimalString,
]

#: A signed quantity (balances, movements seen from one side).
SignedQuantity = Annotated[Decimal, Field(max_digits=22, decimal_places=6), DecimalString]

#: Money with at most 4 decimal places.
Money = Annotated[Decimal, Field(max_digits=22, decimal_places=4), DecimalString]


def _storable(value: datetime) -> datetime:
    """A moment the databases can store: it has a UTC equivalent (9999-12-31T23:00-05:00
    has none: converting it overflows)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "out of range: the moment in UTC must lie in the years 1 to 9999"
        ) from None
    return value


#: A timezone-aware moment with a UTC equivalent (a query's `as_of`, a `posted_at`).
Moment = Annotated[AwareDatetime, AfterValidator(_storable)]
