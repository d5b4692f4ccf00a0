"""What trace learns about a lot from stock's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


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


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def lot_facts(payload: dict[str, Any]) -> LotFacts:
    """The lot described by a `LotCreated` payload or a `ReceiptPosted` payload's `lot`."""
    return LotFacts(
        item_code=str(payload["item_code"]),
        lot_number=str(payload["lot_number"]),
        supplier=str(payload.get("supplier") or ""),
        supplier_lot=str(payload.get("supplier_lot") or ""),
        date_code=str(payload.get("date_code") or ""),
        purchase_order=str(payload.get("purchase_order") or ""),
        receipt_date=_date(payload.get("receipt_date")),
        expiry_date=_date(payload.get("expiry_date")),
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
    )
