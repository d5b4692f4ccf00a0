"""Stock request and response models: the public contract."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.stock import document_examples as ex
from services.stock.domain.model import (
    VIRTUAL_TYPES,
    LocationType,
    QualityState,
    SerialStatus,
    Stage,
)
from shared import approvals
from shared.approvals import ApprovalState as ApprovalState
from shared.approvals import Decision as Decision
from shared.auth.principal import ADMIN, FINANCE
from shared.http.pagination import Page
from shared.policy import FilterAs, restricted
from shared.schemas import DecimalString, Moment, Quantity, SignedQuantity

#: Zero or more with at most 6 decimals (a quantity that may be nothing).
NonNegativeQuantity = Annotated[
    Decimal, Field(ge=0, max_digits=22, decimal_places=6, examples=["0", "4800"]), DecimalString
]


#: Roles that see what stock is worth (unit costs, values); others get those fields left out.
COST_ROLES = frozenset({FINANCE, ADMIN})

#: A cost per stock unit: zero or more, at most 6 decimals (a 0.0023 resistor).
UnitCost = Annotated[
    Decimal,
    Field(ge=0, max_digits=22, decimal_places=6, examples=["0.0023", "12.5"]),
    DecimalString,
]
#: When a posting takes effect.
PostedAt = Annotated[
    Moment | None,
    Field(
        description="When the posting takes effect (with time zone); default now. It may lie "
        "in the past, after the closed period: every later balance must stay non-negative "
        "and the values of later movements are recomputed.",
        examples=["2026-11-20T17:30:00+08:00"],
    ),
]
#: A value or cost the ledger computed (6 decimals).
Worth = Annotated[Decimal, DecimalString]


class DocumentStatus(StrEnum):
    """draft -> posted -> reversed, or draft -> cancelled (a document posted at once skips
    the draft)."""

    DRAFT = "draft"
    POSTED = "posted"
    REVERSED = "reversed"
    CANCELLED = "cancelled"


#: The `draft` flag of a document's create request.
SaveAsDraft = Annotated[
    bool,
    Field(
        description="Save as a draft instead of posting: nothing moves and stock is not "
        "checked until `POST .../{id}/post`; until then the draft can be replaced "
        "(`PUT .../{id}`) or cancelled (`POST .../{id}/cancel`). Items, locations and "
        "lots are checked now."
    ),
]


class DraftPosting(BaseModel):
    """Optional details of posting a draft."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.DRAFT_POSTING]})

    posted_at: PostedAt = None


class ApprovalDecision(approvals.ApprovalDecision):
    """Workflow's decision on a document that waits for approval: `approved` posts it (as
    `POST .../post` would), anything else returns it to draft."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.APPROVAL_DECISION]})

    posted_at: PostedAt = None


class InspectionResult(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PARTIAL = "partial"


CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"
#: At most this many serial numbers on one document line.
MAX_SERIALS_PER_LINE = 1000

SerialNumber = Annotated[
    str, Field(min_length=1, max_length=100, pattern=CODE_PATTERN, examples=["SPK2611000123"])
]
#: The units of a serial-tracked item on a line, one serial number each (as many as the
#: line's quantity); refused for items without serials.
SerialNumbers = Annotated[
    list[SerialNumber] | None,
    Field(
        max_length=MAX_SERIALS_PER_LINE,
        description="Serial-tracked items: one serial number per unit, as many as the "
        "quantity; send none for other items",
    ),
]
#: Location types a user may create; the virtual ones exist from the first migration.
PHYSICAL_TYPES = [t for t in LocationType if t not in VIRTUAL_TYPES]


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.LOCATION_CREATE]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [ex.LOCATION]})

    id: int
    code: str
    name: str
    location_type: LocationType
    parent_code: str | None
    is_virtual: bool
    active: bool
    version: int
    created_at: datetime


#: Lines of one purchase receipt at most.
MAX_RECEIPT_LINES = 500


class ReceiptLineIn(BaseModel):
    """One item of a purchase receipt: a quantity, its lot (or units) and its price."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.RECEIPT_LINE_IN]})

    item_code: str = Field(min_length=1, max_length=64)
    quantity: Quantity
    uom: str | None = Field(
        None,
        max_length=20,
        description="The unit of `quantity` (e.g. the supplier's reel); default the item's "
        "stock unit. Converted by the catalog's rules, item-specific first; a result the "
        "stock unit cannot hold exactly is refused.",
    )
    lot_number: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=CODE_PATTERN,
        description="Required for lot-tracked items, optional for serial-tracked ones, "
        "refused for untracked ones",
    )
    supplier_lot: str = Field("", max_length=100)
    date_code: str = Field("", max_length=20, description="Manufacturer date code")
    serial_numbers: SerialNumbers = None
    unit_price: UnitCost | None = restricted(
        read=COST_ROLES,
        default=None,
        description="Purchase price per stock unit; the line is valued at it. Without one, "
        "at the item's moving average (its last average when none is on hand). Shown back "
        "(in a draft's request) to finance and admin only.",
    )


#: The fields of the one-line form (a receipt without `lines` is one line of them).
ONE_LINE_FIELDS = (
    "item_code",
    "quantity",
    "uom",
    "lot_number",
    "supplier_lot",
    "date_code",
    "serial_numbers",
    "unit_price",
)


class ReceiptCreate(BaseModel):
    """A purchase receipt into one location, pending inspection: `lines`, or one line given
    by the one-line fields (`item_code`, `quantity`, `lot_number`, ...) at the top."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.RECEIPT_CREATE]})

    location_code: str = Field(min_length=1, max_length=100)
    supplier: str = Field("", max_length=200)
    purchase_order: str = Field("", max_length=100)
    lines: list[ReceiptLineIn] | None = Field(
        None,
        min_length=1,
        max_length=MAX_RECEIPT_LINES,
        description="The items received; leave out for a one-line receipt given by the "
        "one-line fields",
    )
    item_code: str | None = Field(
        None, min_length=1, max_length=64, description="One-line form: the item"
    )
    quantity: Quantity | None = Field(None, description="One-line form: the quantity")
    lot_number: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=CODE_PATTERN,
        description="One-line form: required for lot-tracked items, optional for "
        "serial-tracked ones, refused for untracked ones",
    )
    serial_numbers: SerialNumbers = None
    uom: str | None = Field(
        None,
        max_length=20,
        description="One-line form: the unit of `quantity` (e.g. the supplier's reel); "
        "default the item's stock unit, converted by the catalog's rules.",
    )
    supplier_lot: str = Field("", max_length=100)
    date_code: str = Field("", max_length=20, description="Manufacturer date code")
    unit_price: UnitCost | None = restricted(
        read=COST_ROLES,
        default=None,
        description="One-line form: purchase price per stock unit; without one, the item's "
        "moving average. Shown back (in a draft's request) to finance and admin only.",
    )
    receipt_date: date | None = Field(None, description="Defaults to the posting day (UTC)")
    posted_at: PostedAt = None
    note: str = Field("", max_length=500)
    draft: SaveAsDraft = False

    def one_line_fields_given(self) -> list[str]:
        """The one-line fields this request gives a value (a stored draft names them all,
        empty)."""
        return [name for name in ONE_LINE_FIELDS if getattr(self, name) not in (None, "")]

    def receipt_lines(self) -> list[tuple[str, ReceiptLineIn]]:
        """Every line with the path its errors are named under: `lines`, or the one line
        of the one-line form (`body`). Call after checking the form (`check_receipt`)."""
        if self.lines is not None:
            return [(f"body.lines.{index}", line) for index, line in enumerate(self.lines)]
        assert self.item_code is not None and self.quantity is not None
        return [
            (
                "body",
                ReceiptLineIn(
                    item_code=self.item_code,
                    quantity=self.quantity,
                    uom=self.uom,
                    lot_number=self.lot_number,
                    supplier_lot=self.supplier_lot,
                    date_code=self.date_code,
                    serial_numbers=self.serial_numbers,
                    unit_price=self.unit_price,
                ),
            )
        ]


class LotOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.LOT]})

    id: int
    item_code: str
    lot_number: str
    supplier: str
    supplier_lot: str
    date_code: str
    purchase_order: str
    receipt_date: date
    expiry_date: date | None
    work_order: str = Field("", description="The work order that produced the lot, if any")
    created_at: datetime


class MovementOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.MOVEMENT]})

    id: int
    document_type: str
    document_id: int
    item_code: str
    lot_number: str | None
    serial_number: str | None = None
    quantity: Quantity
    from_location: str
    to_location: str
    from_state: QualityState
    to_state: QualityState
    stage: Stage
    sequence: int = Field(description="Gap-free position in the ledger, in commit order")
    unit_cost: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Moving-average cost per stock unit"
    )
    value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="quantity x unit cost (finance, admin)"
    )
    posted_at: datetime
    posted_by: str
    reversal_of_id: int | None = Field(None, description="The movement this one reverses")
    purchase_order: str = Field("", description="The document's purchase order, if any")
    work_order: str = Field("", description="The work order it issues to or completes")
    sales_order: str = Field("", description="The sales order it ships")
    supplier: str = Field("", description="The supplier it came from or returns to")
    customer: str = Field("", description="The customer it ships to or came back from")


class ReceiptLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RECEIPT_LINE_OUT]})

    line_no: int = Field(description="1-based, in request order")
    item_code: str
    lot: LotOut | None = Field(description="The lot received into (null in a draft)")
    quantity: Quantity = Field(description="In the item's stock unit")
    uom: str
    entered_quantity: SignedQuantity | None = Field(
        None, description="The quantity as entered, when in another unit"
    )
    entered_uom: str | None = None
    unit_price: Worth | None = restricted(
        read=COST_ROLES, default=None, description="The purchase price it was valued at"
    )
    serial_numbers: list[str] = Field(default_factory=list, description="The units received")


class ReceiptOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RECEIPT]})

    id: int
    number: str
    location_code: str
    supplier: str
    purchase_order: str
    lines: list[ReceiptLineOut]
    item_code: str | None = Field(description="A one-line receipt's item (null for several)")
    lot: LotOut | None = Field(description="A one-line receipt's lot")
    quantity: Quantity | None = Field(description="A one-line receipt's quantity")
    serial_numbers: list[str] = Field(
        default_factory=list, description="A one-line receipt's units"
    )
    uom: str | None = Field(description="A one-line receipt's stock unit")
    entered_quantity: SignedQuantity | None = Field(
        None, description="A one-line receipt's quantity as entered, when in another unit"
    )
    entered_uom: str | None = None
    unit_price: Worth | None = restricted(
        read=COST_ROLES, default=None, description="A one-line receipt's purchase price"
    )
    note: str
    quality_state: QualityState
    status: DocumentStatus
    created_at: datetime | None
    created_by: str | None
    posted_at: datetime | None
    posted_by: str | None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    reversed_at: datetime | None = None
    reversed_by: str | None = None
    movements: list[MovementOut] = Field(description="Posting and, if reversed, reversal")
    approval: ApprovalState = Field(
        description="Whether an approval gate held it when it was posted, and its outcome"
    )
    approval_ref: str = Field(description="The workflow instance that decided it, if any")
    draft_request: Annotated[dict[str, Any] | None, FilterAs(ReceiptCreate)] = Field(
        None,
        description="A draft's request as the client sent it (before unit conversion), as "
        "`POST .../{id}/post` will post it; lots are created only then",
    )


ReceiptPage = Page[ReceiptOut]


class BalanceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.BALANCE]})

    item_code: str
    location_code: str
    lot_number: str | None
    serial_number: str | None = None
    quality_state: QualityState
    stage: Stage
    quantity: SignedQuantity
    updated_at: datetime
    since: datetime | None = Field(
        None,
        description="When this balance last went from nothing to holding stock (a posting "
        "moment); null at zero, and in answers `as_of` a past moment",
    )
    expiry_date: date | None = Field(
        None, description="Its lot's expiry date; null without a lot or without an expiry"
    )


LocationPage = Page[LocationOut]
LotPage = Page[LotOut]
MovementPage = Page[MovementOut]
BalancePage = Page[BalanceOut]


class DefectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.DEFECT_IN]})

    code: str = Field(min_length=1, max_length=50, description="Defect code, e.g. SOLDER-BRIDGE")
    description: str = Field("", max_length=500)
    quantity: int = Field(ge=1, le=10_000_000, description="Defective units found")


class InspectionCreate(BaseModel):
    """The result of inspecting pending stock of one lot at one location (partial allowed);
    serial-tracked items name the units accepted and rejected."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.INSPECTION_CREATE]}
    )

    item_code: str = Field(min_length=1, max_length=64)
    lot_number: str | None = Field(None, min_length=1, max_length=100)
    location_code: str = Field(min_length=1, max_length=100, description="Where it waits")
    accepted_quantity: NonNegativeQuantity = Field(description="Moves to qualified")
    rejected_quantity: NonNegativeQuantity = Field(description="Moves to defective")
    accepted_serial_numbers: SerialNumbers = Field(
        None,
        description="Serial-tracked items: the units accepted, as many as accepted_quantity, "
        "each pending at the location (and in the lot, when one is named)",
    )
    rejected_serial_numbers: SerialNumbers = Field(
        None,
        description="Serial-tracked items: the units rejected, as many as rejected_quantity",
    )
    accepted_location_code: str | None = Field(
        None, max_length=100, description="Defaults to the inspected location"
    )
    rejected_location_code: str | None = Field(
        None, max_length=100, description="Defaults to the inspected location (or quarantine)"
    )
    sample_size: int = Field(ge=0, le=10_000_000, description="Units examined")
    inspector: str = Field(min_length=1, max_length=200)
    defects: list[DefectIn] = Field(default_factory=list, max_length=100)
    posted_at: PostedAt = None
    note: str = Field("", max_length=500)
    draft: SaveAsDraft = False

    @model_validator(mode="after")
    def _something_inspected(self) -> InspectionCreate:
        if self.accepted_quantity + self.rejected_quantity <= 0:
            raise ValueError("accepted_quantity and rejected_quantity are both zero")
        found = sum(d.quantity for d in self.defects)
        if found > self.sample_size and self.sample_size > 0:
            raise ValueError(f"{found} defects found in a sample of {self.sample_size}")
        return self


class DefectOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DEFECT_OUT]})

    code: str
    description: str
    quantity: int


class InspectionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.INSPECTION]})

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
    accepted_serial_numbers: list[str] = Field(
        default_factory=list, description="The units accepted (serial-tracked items)"
    )
    rejected_serial_numbers: list[str] = Field(
        default_factory=list, description="The units rejected (serial-tracked items)"
    )
    sample_size: int
    result: InspectionResult
    inspector: str
    defects: list[DefectOut]
    note: str
    created_at: datetime | None
    created_by: str | None
    posted_at: datetime | None
    posted_by: str | None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    reversed_at: datetime | None
    reversed_by: str | None
    movements: list[MovementOut] = Field(description="Posting and, if reversed, reversal")
    draft_request: Annotated[dict[str, Any] | None, FilterAs(InspectionCreate)] = Field(
        None, description="A draft's request, as `POST .../{id}/post` will post it"
    )


InspectionPage = Page[InspectionOut]


class StockCardRow(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.STOCK_CARD_ROW]})

    movement: MovementOut
    change: SignedQuantity = Field(description="Effect on the scope: + in, - out, 0 inside")
    balance: SignedQuantity = Field(description="The scope's quantity after this movement")


class StockCardOut(BaseModel):
    """An item's movements in a scope with the running balance (one page of them)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.STOCK_CARD]})

    item_code: str
    location_code: str | None = Field(description="None: every physical location")
    subtree: bool
    quality_state: QualityState | None
    opening_balance: SignedQuantity = Field(description="Before the first row of this page")
    closing_balance: SignedQuantity = Field(description="After the last row of this page")
    rows: list[StockCardRow]
    next_cursor: str | None


class OverviewCell(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.OVERVIEW_CELL]})

    stage: Stage
    quality_state: QualityState
    quantity: SignedQuantity
    value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="At moving-average cost (finance, admin)"
    )


class OverviewRow(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.OVERVIEW_ROW]})

    group: dict[str, str] = Field(description="The grouping keys, e.g. item_code, warehouse_code")
    cells: list[OverviewCell] = Field(description="Stage x quality state, non-zero cells")
    total: SignedQuantity
    value: Worth | None = restricted(read=COST_ROLES, default=None)


class OverviewOut(BaseModel):
    """Quantity by stage (raw, WIP, semi-finished, finished) x quality state."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.OVERVIEW]})

    as_of: datetime | None = Field(description="None: now, from the balances")
    group_by: str
    rows: list[OverviewRow]
    totals: list[OverviewCell]
    total: SignedQuantity
    total_value: Worth | None = restricted(read=COST_ROLES, default=None)


class ItemValuationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ITEM_VALUATION]})

    item_code: str
    quantity: SignedQuantity = Field(description="On hand over every physical location")
    value: Worth
    average_cost: Worth = Field(
        description="value / quantity; with nothing on hand, the last average (what stock "
        "arriving without a price is valued at)"
    )


class ValuationOut(BaseModel):
    """What each item's stock is worth at moving-average cost, now or at a past moment."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.VALUATION]})

    as_of: datetime | None = Field(description="None: now")
    items: list[ItemValuationOut]
    total_value: Worth = Field(description="Every item the filter selects, not only this page")
    next_cursor: str | None


class PostingPeriodIn(BaseModel):
    """Close the books through a day (postings dated then or earlier are refused), move the
    close forward or back (reopen), or clear it with null."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.POSTING_PERIOD_IN]}
    )

    closed_through: date | None = Field(description="A past UTC day, or null: nothing closed")


class PostingPeriodOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.POSTING_PERIOD]})

    closed_through: date | None
    updated_at: datetime
    updated_by: str


class SerialOut(BaseModel):
    """A serial-tracked unit: where it is, or how it left."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.SERIAL]})

    id: int
    item_code: str
    serial_number: str
    status: SerialStatus
    lot_number: str | None
    location_code: str | None = Field(description="Where it is while in stock")
    quality_state: QualityState | None
    first_seen_at: datetime
    updated_at: datetime


class SerialDetail(SerialOut):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SERIAL_DETAIL]})

    history: list[MovementOut] = Field(description="Every movement of the unit, in time order")


SerialPage = Page[SerialOut]


class GatedDocument(StrEnum):
    """Document types whose submission an approval flow can hold (workflow's names)."""

    MATERIAL_REQUISITION = "material_requisition"
    PURCHASE_RECEIPT = "purchase_receipt"
    SCRAP = "scrap"
    SUPPLIER_RETURN = "supplier_return"
    #: A stock count posted with differences (counted against book).
    COUNT_VARIANCE = "count_variance"
    #: Defective stock released to qualified (a concession, rework or re-inspection).
    DEFECTIVE_RELEASE = "defective_release"


class ApprovalGateIn(approvals.ApprovalGateIn):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.APPROVAL_GATE_IN]})


class ApprovalGateOut(approvals.ApprovalGateOut):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.APPROVAL_GATE]})

    document_type: GatedDocument


class ApprovalGates(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.APPROVAL_GATES]})

    items: list[ApprovalGateOut]
