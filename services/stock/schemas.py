"""Stock request and response models: the public contract."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.stock.domain.model import VIRTUAL_TYPES, LocationType, QualityState, Stage
from shared.http.pagination import Page
from shared.schemas import DecimalString, Quantity, SignedQuantity

#: Zero or more with at most 6 decimals (a quantity that may be nothing).
NonNegativeQuantity = Annotated[
    Decimal, Field(ge=0, max_digits=22, decimal_places=6, examples=["0", "4800"]), DecimalString
]


class DocumentStatus(StrEnum):
    POSTED = "posted"
    REVERSED = "reversed"


class InspectionResult(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PARTIAL = "partial"


CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"
#: Location types a user may create; the virtual ones exist from the first migration.
PHYSICAL_TYPES = [t for t in LocationType if t not in VIRTUAL_TYPES]


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
    reversal_of_id: int | None = Field(None, description="The movement this one reverses")


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


class DefectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50, description="Defect code, e.g. SOLDER-BRIDGE")
    description: str = Field("", max_length=500)
    quantity: int = Field(ge=1, le=10_000_000, description="Defective units found")


class InspectionCreate(BaseModel):
    """The result of inspecting pending stock of one lot at one location (partial allowed)."""

    model_config = ConfigDict(extra="forbid")

    item_code: str = Field(min_length=1, max_length=64)
    lot_number: str | None = Field(None, min_length=1, max_length=100)
    location_code: str = Field(min_length=1, max_length=100, description="Where it waits")
    accepted_quantity: NonNegativeQuantity = Field(description="Moves to qualified")
    rejected_quantity: NonNegativeQuantity = Field(description="Moves to defective")
    accepted_location_code: str | None = Field(
        None, max_length=100, description="Defaults to the inspected location"
    )
    rejected_location_code: str | None = Field(
        None, max_length=100, description="Defaults to the inspected location (or quarantine)"
    )
    sample_size: int = Field(ge=0, le=10_000_000, description="Units examined")
    inspector: str = Field(min_length=1, max_length=200)
    defects: list[DefectIn] = Field(default_factory=list, max_length=100)
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _something_inspected(self) -> InspectionCreate:
        if self.accepted_quantity + self.rejected_quantity <= 0:
            raise ValueError("accepted_quantity and rejected_quantity are both zero")
        found = sum(d.quantity for d in self.defects)
        if found > self.sample_size and self.sample_size > 0:
            raise ValueError(f"{found} defects found in a sample of {self.sample_size}")
        return self


class DefectOut(BaseModel):
    code: str
    description: str
    quantity: int


class InspectionOut(BaseModel):
    id: int
    number: str
    status: DocumentStatus
    item_code: str
    lot: LotOut | None
    location_code: str
    accepted_location_code: str
    rejected_location_code: str
    accepted_quantity: SignedQuantity
    rejected_quantity: SignedQuantity
    sample_size: int
    result: InspectionResult
    inspector: str
    defects: list[DefectOut]
    note: str
    posted_at: datetime
    posted_by: str
    reversed_at: datetime | None
    reversed_by: str | None
    movements: list[MovementOut] = Field(description="Posting and, if reversed, reversal")


InspectionPage = Page[InspectionOut]


class StockCardRow(BaseModel):
    movement: MovementOut
    change: SignedQuantity = Field(description="Effect on the scope: + in, - out, 0 inside")
    balance: SignedQuantity = Field(description="The scope's quantity after this movement")


class StockCardOut(BaseModel):
    """An item's movements in a scope with the running balance (one page of them)."""

    item_code: str
    location_code: str | None = Field(description="None: every physical location")
    subtree: bool
    quality_state: QualityState | None
    opening_balance: SignedQuantity = Field(description="Before the first row of this page")
    closing_balance: SignedQuantity = Field(description="After the last row of this page")
    rows: list[StockCardRow]
    next_cursor: str | None


class OverviewCell(BaseModel):
    stage: Stage
    quality_state: QualityState
    quantity: SignedQuantity


class OverviewRow(BaseModel):
    group: dict[str, str] = Field(description="The grouping keys, e.g. item_code, warehouse_code")
    cells: list[OverviewCell] = Field(description="Stage x quality state, non-zero cells")
    total: SignedQuantity


class OverviewOut(BaseModel):
    """Quantity by stage (raw, WIP, semi-finished, finished) x quality state."""

    as_of: datetime | None = Field(description="None: now, from the balances")
    group_by: str
    rows: list[OverviewRow]
    totals: list[OverviewCell]
    total: SignedQuantity
