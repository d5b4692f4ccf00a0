"""Sales shipment request and response models: the public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.stock import document_examples as ex
from services.stock.schemas import (
    CODE_PATTERN,
    DocumentStatus,
    MovementOut,
    PostedAt,
    SaveAsDraft,
    SerialNumbers,
)
from shared.http.pagination import Page
from shared.policy import FilterAs
from shared.schemas import Quantity

MAX_SHIPMENT_LINES = 1000


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


SalesOrder = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_not_blank)]
Customer = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]


class ShipmentLineIn(BaseModel):
    """One finished good to ship, from one lot or picked FEFO, then FIFO; a serial-tracked
    one names the units shipped."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.SHIPMENT_LINE_IN]})

    item_code: str = Field(min_length=1, max_length=64, description="A finished good")
    quantity: Quantity
    lot_number: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=CODE_PATTERN,
        description="Ship only this (unexpired) lot; without it, lot-tracked items are "
        "picked earliest expiry first, then earliest receipt. Optional for serial-tracked "
        "items (then every named unit must be in it); refused for untracked items",
    )
    serial_numbers: SerialNumbers = Field(
        None,
        description="Serial-tracked items: the units shipped, one serial number each (as "
        "many as the quantity), each qualified at the location, in an unexpired lot. Send "
        "none for other items",
    )
    sales_order_line: str | None = Field(
        None, min_length=1, max_length=50, description="The sales order line this line fills"
    )


class ShipmentCreate(BaseModel):
    """Ship qualified finished goods from one location to a customer, all lines or none."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.SHIPMENT_CREATE]})

    sales_order: SalesOrder = Field(description="The sales order shipped against")
    customer: Customer = Field(description="Who receives the goods")
    from_location_code: str = Field(
        min_length=1,
        max_length=100,
        description="The physical location the goods leave (not a production line)",
    )
    carrier: str = Field("", max_length=100)
    tracking_number: str = Field("", max_length=100, description="The carrier's tracking number")
    posted_at: PostedAt = None
    note: str = Field("", max_length=500)
    lines: list[ShipmentLineIn] = Field(min_length=1, max_length=MAX_SHIPMENT_LINES)
    draft: SaveAsDraft = False


class ShipmentLineOut(BaseModel):
    """What left, one row per request line and lot picked (or lot of the named units)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.SHIPMENT_LINE_OUT]})

    line_no: int = Field(description="1-based; the row ships `lines[line_no-1]` of the request")
    sales_order_line: str | None
    item_code: str
    lot_id: int | None
    lot_number: str | None
    quantity: Quantity
    serial_numbers: list[str] = Field(
        default_factory=list, description="The units shipped from this lot (serial-tracked)"
    )


class ShipmentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SHIPMENT]})

    id: int
    number: str = Field(description="SH- and 8 digits")
    status: DocumentStatus
    sales_order: str
    customer: str
    from_location_code: str
    carrier: str
    tracking_number: str
    note: str
    created_at: datetime | None
    created_by: str | None
    posted_at: datetime | None
    posted_by: str | None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    reversed_at: datetime | None
    reversed_by: str | None
    lines: list[ShipmentLineOut] = Field(
        description="As shipped: a request line split across lots has one row per lot. A "
        "draft has one row per request line, with the lot it names (none when the lot is "
        "left to picking, which happens at posting)"
    )
    movements: list[MovementOut] = Field(description="Posting and, if reversed, reversal")
    draft_request: Annotated[dict[str, Any] | None, FilterAs(ShipmentCreate)] = Field(
        None, description="A draft's request, as `POST .../{id}/post` will post it"
    )


ShipmentPage = Page[ShipmentOut]
