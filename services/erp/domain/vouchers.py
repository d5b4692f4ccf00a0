"""Voucher lines from stock movements: what each movement posts to a book, and a voucher's
lines merged from them.

A movement posts its value, rounded to the cent, once as a debit and once as a credit on
the accounts its book's map determines, so every voucher balances by construction. A
reversal posts red ink (红字): the same sides, negative amounts. The side a location
belongs to follows the flow the map describes: the debit is where stock went to, the
credit where it came from (for a reversal, whose movement runs backwards, the other way
round); a virtual location (supplier, customer, ...) names no warehouse, so that side
takes the physical location's.

Dimensions a rule names are filled from the movement: supplier, customer and work order
from its references, material from its item, warehouse from its location's first segment
(WH1 of WH1/RAW/A-01). Department and project are not known to stock; a rule that asks
for them (or for a reference the movement lacks) holds the voucher with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from services.erp.domain.accounts import AccountSpec, Determination

CENT = Decimal("0.01")
PRICE = Decimal("0.000001")
VIRTUAL_PREFIX = "VIRTUAL/"

#: The valuation class of stock outside a production line, from its stage.
CLASS_OF_STAGE = {
    "raw": "raw_material",
    "semi_finished": "semi_finished",
    "finished": "finished_good",
}


@dataclass(frozen=True, slots=True)
class MovementFacts:
    """What a voucher needs of a classified movement."""

    id: int
    item_code: str
    quantity: Decimal
    value: Decimal
    from_location: str
    to_location: str
    reversal: bool
    supplier: str = ""
    customer: str = ""
    work_order: str = ""


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def warehouse_of(location: str) -> str:
    if not location or location.startswith(VIRTUAL_PREFIX):
        return ""
    return location.split("/", 1)[0]


def sides(movement: MovementFacts) -> tuple[str, str]:
    """(debit side's warehouse, credit side's warehouse) of a movement."""
    into, out_of = movement.to_location, movement.from_location
    if movement.reversal:
        into, out_of = out_of, into
    into_wh, out_wh = warehouse_of(into), warehouse_of(out_of)
    return into_wh or out_wh, out_wh or into_wh


@dataclass(frozen=True, slots=True)
class Posting:
    """One side of one movement on one account."""

    side: str  # "debit" or "credit"
    account: str
    amount: Decimal  # negative in red ink
    quantity: Decimal | None
    dimensions: tuple[tuple[str, str], ...]
    summary: str


def dimension_value(movement: MovementFacts, dimension: str, warehouse: str) -> str:
    return {
        "supplier": movement.supplier,
        "customer": movement.customer,
        "work_order": movement.work_order,
        "material": movement.item_code,
        "warehouse": warehouse,
    }.get(dimension, "")


def postings(
    movement: MovementFacts,
    determination: Determination,
    accounts: Mapping[str, AccountSpec],
    summary: str,
) -> tuple[list[Posting], list[str]]:
    """The two postings of a movement (none when the rule says it gives no voucher or its
    value is zero), or the reasons it cannot be posted."""
    rule = determination.rule
    if not rule.posts or cents(movement.value) == 0:
        return [], []
    sign = Decimal(-1) if determination.red_ink else Decimal(1)
    amount = cents(movement.value) * sign
    debit_wh, credit_wh = sides(movement)
    found: list[Posting] = []
    problems: list[str] = []
    for side, code, dims, warehouse in (
        ("debit", rule.debit_account, rule.debit_dimensions, debit_wh),
        ("credit", rule.credit_account, rule.credit_dimensions, credit_wh),
    ):
        assert code is not None
        account = accounts.get(code)
        if account is None:
            problems.append(f"account {code} is not in the book")
            continue
        filled = []
        for dim in dims:
            value = dimension_value(movement, dim, warehouse)
            if not value:
                problems.append(f"{dim} is not known for account {code}")
            filled.append((dim, value))
        quantity = movement.quantity * sign if account.tracks_quantity else None
        found.append(Posting(side, code, amount, quantity, tuple(filled), summary))
    return ([] if problems else found), problems


@dataclass(slots=True)
class LineDraft:
    side: str
    summary: str
    account: str
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    quantity: Decimal | None = None
    dimensions: dict[str, str] = field(default_factory=dict)

    @property
    def unit_price(self) -> Decimal | None:
        if not self.quantity:
            return None
        return (abs(self.debit - self.credit) / abs(self.quantity)).quantize(
            PRICE, rounding=ROUND_HALF_UP
        )


def merge(existing: Sequence[LineDraft], new: Iterable[Posting]) -> list[LineDraft]:
    """Lines with the same side, account, dimensions and summary add up (a receipt of 500
    lines of one supplier gives one credit line); debits first, then credits, each in the
    order first met."""
    lines = list(existing)
    index: dict[tuple[object, ...], LineDraft] = {_key(line): line for line in lines}
    for posting in new:
        key = (posting.side, posting.account, posting.dimensions, posting.summary)
        line = index.get(key)
        if line is None:
            line = LineDraft(
                posting.side, posting.summary, posting.account, dimensions=dict(posting.dimensions)
            )
            index[key] = line
            lines.append(line)
        if posting.side == "debit":
            line.debit += posting.amount
        else:
            line.credit += posting.amount
        if posting.quantity is not None:
            line.quantity = (line.quantity or Decimal(0)) + posting.quantity
    kept = [line for line in lines if line.debit or line.credit]  # a line netted to nothing
    return [line for line in kept if line.side == "debit"] + [
        line for line in kept if line.side == "credit"
    ]


def _key(line: LineDraft) -> tuple[object, ...]:
    return (line.side, line.account, tuple(line.dimensions.items()), line.summary)


def totals(lines: Iterable[LineDraft]) -> tuple[Decimal, Decimal]:
    debit = credit = Decimal(0)
    for line in lines:
        debit += line.debit
        credit += line.credit
    return debit, credit
