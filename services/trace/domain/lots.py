"""What trace learns from stock's movements: which node moved, what it means for the
genealogy (a link into or out of a work order) and where the node is afterwards.

Stock's event contract (its `MovementPosted` payload) is the only thing read here: the
virtual locations by code, and the movement's references (work order, sales order,
customer, supplier).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

LOT = "lot"
SERIAL = "serial"

PRODUCTION = "VIRTUAL/PRODUCTION"
CUSTOMER = "VIRTUAL/CUSTOMER"
SUPPLIER = "VIRTUAL/SUPPLIER"
SCRAPPED = "VIRTUAL/SCRAPPED"
COUNT_ADJUSTMENT = "VIRTUAL/COUNT-ADJUSTMENT"
OPENING = "VIRTUAL/OPENING"

#: Where a unit is once it went to a virtual location.
LEFT_AS = {
    PRODUCTION: "consumed",
    CUSTOMER: "shipped",
    SUPPLIER: "returned",
    SCRAPPED: "scrapped",
    COUNT_ADJUSTMENT: "lost",
    OPENING: "withdrawn",
}

#: Stock documents whose movements into a production line issue material to a work order.
ISSUING_DOCUMENTS = frozenset({"requisition"})


def is_virtual(location_code: str) -> bool:
    return location_code.startswith("VIRTUAL/")


@dataclass(frozen=True, slots=True)
class NodeKey:
    item_code: str
    kind: str  # LOT or SERIAL
    code: str


@dataclass(frozen=True, slots=True)
class LotFacts:
    item_code: str
    lot_number: str
    supplier: str
    supplier_lot: str
    date_code: str
    purchase_order: str
    receipt_date: date | None
    expiry_date: date | None
    work_order: str


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def lot_facts(payload: dict[str, Any]) -> LotFacts:
    """The lot described by a `LotCreated` payload or a receipt line's `lot`."""
    return LotFacts(
        item_code=str(payload["item_code"]),
        lot_number=str(payload["lot_number"]),
        supplier=str(payload.get("supplier") or ""),
        supplier_lot=str(payload.get("supplier_lot") or ""),
        date_code=str(payload.get("date_code") or ""),
        purchase_order=str(payload.get("purchase_order") or ""),
        receipt_date=_date(payload.get("receipt_date")),
        expiry_date=_date(payload.get("expiry_date")),
        work_order=str(payload.get("work_order") or ""),
    )


def merge(known: LotFacts, new: LotFacts) -> LotFacts:
    """Later facts fill gaps but never erase what is known."""
    return LotFacts(
        item_code=known.item_code,
        lot_number=known.lot_number,
        supplier=known.supplier or new.supplier,
        supplier_lot=known.supplier_lot or new.supplier_lot,
        date_code=known.date_code or new.date_code,
        purchase_order=known.purchase_order or new.purchase_order,
        receipt_date=known.receipt_date or new.receipt_date,
        expiry_date=known.expiry_date or new.expiry_date,
        work_order=known.work_order or new.work_order,
    )


@dataclass(frozen=True, slots=True)
class Movement:
    """A `MovementPosted` payload, as far as the genealogy cares."""

    id: int
    document_type: str
    document_id: int
    item_code: str
    lot_number: str
    serial_number: str
    quantity: Decimal
    from_location: str
    to_location: str
    from_state: str
    to_state: str
    reversal: bool
    work_order: str
    sales_order: str
    customer: str
    supplier: str
    purchase_order: str
    posted_at: datetime

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Movement:
        return cls(
            id=int(payload["id"]),
            document_type=str(payload.get("document_type") or ""),
            document_id=int(payload.get("document_id") or 0),
            item_code=str(payload["item_code"]),
            lot_number=str(payload.get("lot_number") or ""),
            serial_number=str(payload.get("serial_number") or ""),
            quantity=Decimal(str(payload["quantity"])),
            from_location=str(payload["from_location"]),
            to_location=str(payload["to_location"]),
            from_state=str(payload.get("from_state") or ""),
            to_state=str(payload.get("to_state") or ""),
            reversal=payload.get("reversal_of_id") is not None,
            work_order=str(payload.get("work_order") or ""),
            sales_order=str(payload.get("sales_order") or ""),
            customer=str(payload.get("customer") or ""),
            supplier=str(payload.get("supplier") or ""),
            purchase_order=str(payload.get("purchase_order") or ""),
            posted_at=datetime.fromisoformat(str(payload["posted_at"])),
        )

    @property
    def node(self) -> NodeKey | None:
        """The traced node it moves: its unit, else its lot; untracked stock has none."""
        if self.serial_number:
            return NodeKey(self.item_code, SERIAL, self.serial_number)
        if self.lot_number:
            return NodeKey(self.item_code, LOT, self.lot_number)
        return None


@dataclass(frozen=True, slots=True)
class LinkDelta:
    """A change to a node's link with a work order: `quantity` is signed."""

    work_order: str
    role: str  # "input" or "output"
    how: str  # "issued", "consumed" or "produced"
    quantity: Decimal


def action(m: Movement) -> str:
    """What the movement did to the node, in one word for its history."""
    if m.to_location == PRODUCTION:
        return "unproduced" if m.reversal else "consumed"
    if m.from_location == PRODUCTION:
        return "unconsumed" if m.reversal else "produced"
    if m.to_location == CUSTOMER:
        return "shipped"
    if m.from_location == CUSTOMER:
        return "unshipped" if m.reversal else "customer_return"
    if m.from_location == SUPPLIER:
        return "unreturned" if m.reversal else "received"
    if m.to_location == SUPPLIER:
        return "unreceived" if m.reversal else "returned"
    if m.to_location == SCRAPPED:
        return "scrapped"
    if m.from_location == SCRAPPED:
        return "unscrapped"
    if m.from_location == OPENING:
        return "opening"
    if m.to_location == OPENING:
        return "withdrawn"
    if COUNT_ADJUSTMENT in (m.from_location, m.to_location):
        return "counted"
    if m.work_order and m.document_type in ISSUING_DOCUMENTS:
        return "returned_from_issue" if m.reversal else "issued"
    if m.from_state != m.to_state and m.from_location == m.to_location:
        return "inspected"
    return "moved"


def link_delta(m: Movement) -> LinkDelta | None:
    """The movement's effect on the genealogy, if any.

    Consumption into production with a work order makes the node an input of it, output
    from production an output of it; a requisition issuing to a work order makes the node
    an input too (SAP's goods issue to an order: the lot counts as inside everything the
    order produces). A reversal undoes the same link by the same quantity.
    """
    if not m.work_order:
        return None
    sign = Decimal(-1) if m.reversal else Decimal(1)
    if m.to_location == PRODUCTION and not m.reversal:
        return LinkDelta(m.work_order, "input", "consumed", m.quantity)
    if m.from_location == PRODUCTION and m.reversal:
        return LinkDelta(m.work_order, "input", "consumed", -m.quantity)
    if m.from_location == PRODUCTION:
        return LinkDelta(m.work_order, "output", "produced", m.quantity)
    if m.to_location == PRODUCTION:
        return LinkDelta(m.work_order, "output", "produced", -m.quantity)
    if (
        m.document_type in ISSUING_DOCUMENTS
        and not is_virtual(m.from_location)
        and not is_virtual(m.to_location)
    ):
        return LinkDelta(m.work_order, "input", "issued", sign * m.quantity)
    return None


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """Where a unit is after a movement: its status, and its location while in stock."""

    status: str
    location_code: str
    quality_state: str


def whereabouts(m: Movement) -> Whereabouts:
    if is_virtual(m.to_location):
        return Whereabouts(LEFT_AS.get(m.to_location, "gone"), "", "")
    return Whereabouts("in_stock", m.to_location, m.to_state)


def stock_deltas(m: Movement) -> list[tuple[str, str, Decimal]]:
    """A lot's on-hand changes: (location, quality state, signed quantity)."""
    deltas: list[tuple[str, str, Decimal]] = []
    if not is_virtual(m.from_location):
        deltas.append((m.from_location, m.from_state, -m.quantity))
    if not is_virtual(m.to_location):
        deltas.append((m.to_location, m.to_state, m.quantity))
    return deltas
