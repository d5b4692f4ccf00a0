"""Scrap, return to supplier and customer return: request and response models.

The three documents share one shape (a physical location, a counterparty, a reference, a
reason, lines); each has its own request model so the contract says what each requires.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.stock import document_examples as ex
from services.stock.domain.model import QualityState
from services.stock.schemas import (
    CODE_PATTERN,
    ApprovalState,
    DocumentStatus,
    MovementOut,
    PostedAt,
    SaveAsDraft,
    SerialNumbers,
)
from shared.http.pagination import Page
from shared.policy import FilterAs
from shared.schemas import Quantity

MAX_DOCUMENT_LINES = 1000


class DocumentKind(StrEnum):
    SCRAP = "scrap"
    SUPPLIER_RETURN = "supplier_return"
    CUSTOMER_RETURN = "customer_return"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _empty(value: str) -> str:
    if value:
        raise ValueError("scrap has no counterparty: send none")
    return value


Counterparty = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]
Reason = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_not_blank)]


class _LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_code: str = Field(min_length=1, max_length=64)
    lot_number: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=CODE_PATTERN,
        description="An existing lot of the item: required for lot-tracked items, refused "
        "for untracked ones; optional for serial-tracked ones (each unit keeps its lot)",
    )
    quantity: Quantity
    serial_numbers: SerialNumbers = None


class ScrapLineIn(_LineIn):
    """One item (and lot) to scrap, taken from stock in one quality state."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.SCRAP_LINE_IN]})

    quality_state: QualityState = Field(
        QualityState.DEFECTIVE, description="The stock scrapped is taken in this state"
    )


class SupplierReturnLineIn(_LineIn):
    """One item (and lot) to send back, taken from inspected stock."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.SUPPLIER_RETURN_LINE_IN]})

    quality_state: Literal["defective", "qualified"] = Field(
        "defective",
        description="The stock returned is taken in this state; stock pending inspection "
        "is inspected first",
    )


class CustomerReturnLineIn(_LineIn):
    """One item (and lot) coming back; it arrives pending inspection. Serial-tracked units
    must have been shipped."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.CUSTOMER_RETURN_LINE_IN]})


class _DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    posted_at: PostedAt = None
    note: str = Field("", max_length=500)
    draft: SaveAsDraft = False


class ScrapCreate(_DocumentIn):
    """Scrap stock at one physical location: it leaves the books, all lines or none."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.SCRAP_CREATE]})

    location_code: str = Field(
        min_length=1, max_length=100, description="The physical location the stock leaves"
    )
    counterparty: Annotated[str, AfterValidator(_empty)] = Field(
        "", max_length=200, description="Scrap has none: send none or an empty string"
    )
    reference: str = Field("", max_length=100, description="E.g. a work order or NCR number")
    reason: Reason = Field(description="Why the stock is scrapped")
    lines: list[ScrapLineIn] = Field(min_length=1, max_length=MAX_DOCUMENT_LINES)


class SupplierReturnCreate(_DocumentIn):
    """Send stock at one physical location back to a supplier, all lines or none."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.SUPPLIER_RETURN_CREATE]})

    location_code: str = Field(
        min_length=1, max_length=100, description="The physical location the stock leaves"
    )
    counterparty: Counterparty = Field(description="The supplier")
    reference: str = Field("", max_length=100, description="E.g. the purchase order")
    reason: str = Field("", max_length=500)
    lines: list[SupplierReturnLineIn] = Field(min_length=1, max_length=MAX_DOCUMENT_LINES)


class CustomerReturnCreate(_DocumentIn):
    """Take back stock from a customer into one physical location, pending inspection."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.CUSTOMER_RETURN_CREATE]})

    location_code: str = Field(
        min_length=1, max_length=100, description="The physical location the stock arrives at"
    )
    counterparty: Counterparty = Field(description="The customer")
    reference: str = Field("", max_length=100, description="E.g. the sales order or RMA")
    reason: str = Field("", max_length=500)
    lines: list[CustomerReturnLineIn] = Field(min_length=1, max_length=MAX_DOCUMENT_LINES)


DocumentCreate = ScrapCreate | SupplierReturnCreate | CustomerReturnCreate


class ScrapReturnLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SCRAP_RETURN_LINE_OUT]})

    line_no: int = Field(description="1-based; line n was `lines[n-1]` of the request")
    item_code: str
    lot_id: int | None
    lot_number: str | None
    quantity: Quantity
    serial_numbers: list[str] = Field(
        default_factory=list, description="The units moved (serial-tracked items)"
    )
    quality_state: QualityState = Field(
        description="The state the stock left in, or (customer return) arrived in"
    )


class ScrapReturnOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SCRAP]})

    id: int
    number: str = Field(description="SC-, RS- or RC- and 8 digits")
    kind: DocumentKind
    status: DocumentStatus
    location_code: str
    counterparty: str
    reference: str
    reason: str
    note: str
    created_at: datetime | None
    created_by: str | None
    posted_at: datetime | None
    posted_by: str | None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    reversed_at: datetime | None
    reversed_by: str | None
    lines: list[ScrapReturnLineOut]
    movements: list[MovementOut] = Field(description="Posting and, if reversed, reversal")
    approval: ApprovalState = Field(
        description="Whether an approval gate held it when it was posted, and its outcome "
        "(customer returns are never held)"
    )
    approval_ref: str = Field(description="The workflow instance that decided it, if any")
    draft_request: Annotated[dict[str, Any] | None, FilterAs(DocumentCreate)] = Field(
        None, description="A draft's request, as `POST .../{id}/post` will post it"
    )


ScrapReturnPage = Page[ScrapReturnOut]
