"""Reservations and availability: request and response models."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.stock import document_examples as ex
from shared.http.pagination import Page
from shared.schemas import Quantity, SignedQuantity

MAX_RESERVATION_LINES = 500


class ReservationStatus(StrEnum):
    #: Holds stock until the work order's requisitions have issued the quantity.
    OPEN = "open"
    #: Done with (the work order needs no more); what was not issued is free again.
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ReservationLineIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.RESERVATION_LINE_IN]}
    )

    item_code: str = Field(min_length=1, max_length=64)
    quantity: Quantity


class ReservationCreate(BaseModel):
    """Reserve qualified stock of one or more components for a work order."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.RESERVATION_CREATE]}
    )

    work_order: str = Field(min_length=1, max_length=100)
    location_code: str | None = Field(
        None,
        max_length=100,
        description="Reserve within this location and all below it (a warehouse); "
        "default: anywhere",
    )
    required_date: date | None = Field(None, description="When the line needs the stock")
    note: str = Field("", max_length=500)
    lines: list[ReservationLineIn] = Field(min_length=1, max_length=MAX_RESERVATION_LINES)


class ReservationChange(BaseModel):
    """A new reserved quantity (never below what was issued) or required date."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.RESERVATION_CHANGE]}
    )

    quantity: Quantity | None = None
    required_date: date | None = None


class ReservationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RESERVATION]})

    id: int
    number: str
    status: ReservationStatus
    work_order: str
    item_code: str
    location_code: str | None
    quantity: SignedQuantity = Field(description="Reserved in total")
    issued: SignedQuantity = Field(
        description="What the work order's posted requisitions issued of the item"
    )
    remaining: SignedQuantity = Field(
        description="Still held: quantity - issued while open (never below 0), else 0"
    )
    required_date: date | None
    note: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class ReservationBatchOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RESERVATION_BATCH]})

    work_order: str
    reservations: list[ReservationOut]


class ReservationPage(Page[ReservationOut]):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RESERVATION_PAGE]})


class AvailabilityOut(BaseModel):
    """What of an item can still be promised: qualified in stores minus open reservations."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.AVAILABILITY]})

    item_code: str
    qualified: SignedQuantity = Field(
        description="Qualified in stores (storage, receiving, inspection, finished goods)"
    )
    pending_inspection: SignedQuantity
    defective: SignedQuantity
    wip: SignedQuantity = Field(description="At production lines, already issued")
    reserved: SignedQuantity = Field(description="What open reservations still hold")
    available: SignedQuantity = Field(
        description="qualified - reserved; negative when stock promised has since left"
    )


class AvailabilityPage(Page[AvailabilityOut]):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.AVAILABILITY_PAGE]})

    location_code: str | None = None


class AvailabilitySnapshot(BaseModel):
    """Every item with stock or an open reservation, all read at one moment."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.AVAILABILITY_SNAPSHOT]})

    items: list[AvailabilityOut] = Field(description="By item code")
    location_code: str | None = None
    ledger_sequence: int = Field(
        description="The ledger's last sequence number at the snapshot: it holds every "
        "movement up to this one and none after"
    )
