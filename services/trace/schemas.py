"""Trace request and response models: the public contract."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from shared.http.pagination import Page
from shared.schemas import SignedQuantity


class LotHistoryOut(BaseModel):
    event_type: str
    source: str
    source_seq: int
    document_number: str
    location_code: str
    quantity: SignedQuantity | None
    occurred_at: datetime


class TraceLotOut(BaseModel):
    id: int
    item_code: str
    lot_number: str
    supplier: str
    supplier_lot: str
    date_code: str
    purchase_order: str
    receipt_date: date | None
    expiry_date: date | None
    first_seen_at: datetime


class TraceLotDetail(TraceLotOut):
    history: list[LotHistoryOut]


TraceLotPage = Page[TraceLotOut]
