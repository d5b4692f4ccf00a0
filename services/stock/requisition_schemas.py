"""Material requisition request and response models."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.stock import document_examples as ex
from services.stock.schemas import ApprovalState, MovementOut, PostedAt, SerialNumbers
from shared.http.pagination import Page
from shared.schemas import Quantity, SignedQuantity

MAX_REQUISITION_LINES = 500


class RequisitionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    POSTED = "posted"
    CANCELLED = "cancelled"
    REVERSED = "reversed"


class RequisitionLineIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.REQUISITION_LINE_IN]}
    )

    item_code: str = Field(min_length=1, max_length=64)
    quantity: Quantity
    uom: str | None = Field(
        None,
        max_length=20,
        description="The unit of `quantity` (e.g. reel); default the item's stock unit. "
        "Converted by the catalog's rules; a result the stock unit cannot hold exactly is "
        "refused.",
    )
    lot_number: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Only this lot; else FEFO, then FIFO. Optional for serial-tracked items "
        "(then every named unit must be in it)",
    )
    serial_numbers: SerialNumbers = Field(
        None,
        description="Serial-tracked items: the units to issue, one serial number each (as "
        "many as the quantity); each is taken from wherever it is qualified in scope, with "
        "its own lot. Send none for other items",
    )


class RequisitionCreate(BaseModel):
    """Components for a work order, issued from stores to the work order's line (WIP)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.REQUISITION_CREATE]}
    )

    work_order: str = Field(min_length=1, max_length=100)
    to_location_code: str = Field(
        min_length=1, max_length=100, description="A production line location (WIP)"
    )
    from_location_code: str | None = Field(
        None, max_length=100, description="Take only from this location and those below it"
    )
    note: str = Field("", max_length=500)
    lines: list[RequisitionLineIn] = Field(min_length=1, max_length=MAX_REQUISITION_LINES)


class RequisitionLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.REQUISITION_LINE_OUT]})

    line_no: int
    item_code: str
    quantity: SignedQuantity = Field(description="In the item's stock unit")
    entered_quantity: SignedQuantity | None = Field(
        None, description="The quantity as entered, when in another unit"
    )
    entered_uom: str | None = None
    lot_number: str | None
    serial_numbers: list[str] = Field(
        default_factory=list, description="The units a serial-tracked line issues"
    )


class PickOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PICK]})

    line_no: int
    item_code: str
    location_code: str
    lot_number: str | None
    quantity: SignedQuantity
    expiry_date: date | None = None
    serial_number: str | None = Field(None, description="The named unit, for serial-tracked lines")


class ShortageOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SHORTAGE]})

    line_no: int
    item_code: str
    available: SignedQuantity
    needed: SignedQuantity
    serial_numbers: list[str] = Field(
        default_factory=list,
        description="Named units that are not qualified stock in scope (serial-tracked lines)",
    )


class PickSuggestion(BaseModel):
    """What posting would take now: earliest expiry first, then earliest receipt; the
    named units of serial-tracked lines from wherever each is qualified in scope."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.PICK_SUGGESTION]})

    requisition_id: int
    picks: list[PickOut]
    shortages: list[ShortageOut]


class RequisitionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.REQUISITION]})

    id: int
    number: str
    status: RequisitionStatus
    work_order: str
    to_location_code: str
    from_location_code: str | None
    note: str
    lines: list[RequisitionLineOut]
    created_at: datetime
    created_by: str
    submitted_at: datetime | None
    submitted_by: str | None
    posted_at: datetime | None
    posted_by: str | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    reversed_at: datetime | None
    reversed_by: str | None
    approval: ApprovalState = Field(
        description="Whether an approval gate held it when it was submitted, and its outcome"
    )
    approval_ref: str = Field(description="The workflow instance that decided it, if any")
    movements: list[MovementOut] = Field(description="The issue and, if reversed, its reversal")


RequisitionPage = Page[RequisitionOut]


class RequisitionPosting(BaseModel):
    """Optional details of posting a requisition."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.REQUISITION_POSTING]}
    )

    posted_at: PostedAt = None
