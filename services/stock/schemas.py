"""Stock request and response models: the public contract."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.stock.domain.model import LocationType, QualityState, Stage
from shared.http.pagination import Page
from shared.schemas import Quantity, SignedQuantity

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"
#: Location types a user may create; the virtual ones exist from the first migration.
PHYSICAL_TYPES = [
    t
    for t in LocationType
    if t.value not in ("supplier", "customer", "production", "count_adjustment")
]


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=1,
        max_length=100,
        pattern=CODE_PATTERN,
        description="Unique path-like code, e.g. WH1/RAW/A-01",
    )
    name: str = Field(min_length=1, max_length=200)
    location_type: LocationType = Field(description="Virtual types cannot be created")
    parent_code: str | None = Field(None, max_length=100, description="Code of the parent location")


class LocationOut(BaseModel):
    id: int
    code: str
    name: str
    location_type: LocationType
    parent_code: str | None
    is_virtual: bool
    active: bool
    version: int
    created_at: datetime


class ReceiptCreate(BaseModel):
    """A purchase receipt of one lot of one item into one location (pending inspection)."""

    model_config = ConfigDict(extra="forbid")

    item_code: str = Field(min_length=1, max_length=64)
    location_code: str = Field(min_length=1, max_length=100)
    quantity: Quantity
    lot_number: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=CODE_PATTERN,
        description="Required for lot-tracked items, refused for untracked ones",
    )
    supplier: str = Field("", max_length=200)
    supplier_lot: str = Field("", max_length=100)
    date_code: str = Field("", max_length=20, description="Manufacturer date code")
    purchase_order: str = Field("", max_length=100)
    receipt_date: date | None = Field(None, description="Defaults to today (UTC)")
    note: str = Field("", max_length=500)


class LotOut(BaseModel):
    id: int
    item_code: str
    lot_number: str
    supplier: str
    supplier_lot: str
    date_code: str
    purchase_order: str
    receipt_date: date
    expiry_date: date | None
    created_at: datetime


class MovementOut(BaseModel):
    id: int
    document_type: str
    document_id: int
    item_code: str
    lot_number: str | None
    quantity: Quantity
    from_location: str
    to_location: str
    from_state: QualityState
    to_state: QualityState
    stage: Stage
    posted_at: datetime
    posted_by: str


class ReceiptOut(BaseModel):
    id: int
    number: str
    item_code: str
    location_code: str
    lot: LotOut | None
    quantity: Quantity
    uom: str
    supplier: str
    purchase_order: str
    note: str
    quality_state: QualityState
    posted_at: datetime
    posted_by: str
    movements: list[MovementOut]


class BalanceOut(BaseModel):
    item_code: str
    location_code: str
    lot_number: str | None
    quality_state: QualityState
    stage: Stage
    quantity: SignedQuantity
    updated_at: datetime


LocationPage = Page[LocationOut]
LotPage = Page[LotOut]
MovementPage = Page[MovementOut]
BalancePage = Page[BalanceOut]
