"""Transfer (put-away, relocation) request and response models: the public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.stock import document_examples as ex
from services.stock.domain.model import QualityState
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

MAX_TRANSFER_LINES = 1000


class TransferLineIn(BaseModel):
    """One item (and lot, or serial-tracked units) to move, in one quality state, which the
    move keeps."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.TRANSFER_LINE_IN]})

    item_code: str = Field(min_length=1, max_length=64)
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
        pattern=CODE_PATTERN,
        description="An existing lot of the item: required for lot-tracked items, refused "
        "for untracked ones; optional for serial-tracked ones (each unit keeps its lot)",
    )
    quantity: Quantity
    serial_numbers: SerialNumbers = None
    quality_state: QualityState = Field(
        QualityState.QUALIFIED, description="The stock taken, and kept, in this state"
    )


class TransferCreate(BaseModel):
    """Move stock from one physical location to another, all lines or none."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.TRANSFER_CREATE]})

    from_location_code: str = Field(min_length=1, max_length=100)
    to_location_code: str = Field(min_length=1, max_length=100)
    posted_at: PostedAt = None
    note: str = Field("", max_length=500)
    lines: list[TransferLineIn] = Field(min_length=1, max_length=MAX_TRANSFER_LINES)
    draft: SaveAsDraft = False


class TransferLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.TRANSFER_LINE_OUT]})

    line_no: int = Field(description="1-based; line n was `lines[n-1]` of the request")
    item_code: str
    lot_id: int | None
    lot_number: str | None
    quantity: Quantity = Field(description="In the item's stock unit")
    entered_quantity: Quantity | None = Field(
        None, description="The quantity as entered, when in another unit"
    )
    entered_uom: str | None = None
    serial_numbers: list[str] = Field(
        default_factory=list, description="The units moved (serial-tracked items)"
    )
    quality_state: QualityState


class TransferOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.TRANSFER]})

    id: int
    number: str
    status: DocumentStatus
    from_location_code: str
    to_location_code: str
    note: str
    created_at: datetime | None
    created_by: str | None
    posted_at: datetime | None
    posted_by: str | None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    reversed_at: datetime | None
    reversed_by: str | None
    lines: list[TransferLineOut]
    movements: list[MovementOut] = Field(description="Posting and, if reversed, reversal")
    draft_request: Annotated[dict[str, Any] | None, FilterAs(TransferCreate)] = Field(
        None, description="A draft's request, as `POST .../{id}/post` will post it"
    )


TransferPage = Page[TransferOut]
