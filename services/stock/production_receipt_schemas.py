"""Production receipt (完工入库) request and response models.

A production receipt books what a work order produced into stock and, in the same
posting, what it consumed from the production line: outputs arrive from
VIRTUAL/PRODUCTION, components leave the line for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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

MAX_OUTPUT_LINES = 100
MAX_COMPONENT_LINES = 1000


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


WorkOrder = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_not_blank)]
LotNumber = Annotated[str, Field(min_length=1, max_length=100, pattern=CODE_PATTERN)]


class OutputIn(BaseModel):
    """One item produced, into one lot (lot-tracked items) and one quality state; a
    serial-tracked output names its new units."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.OUTPUT_IN]})

    item_code: str = Field(
        min_length=1, max_length=64, description="A semi-finished or finished good"
    )
    quantity: Quantity
    lot_number: LotNumber | None = Field(
        None,
        description="Required for lot-tracked items, optional for serial-tracked ones, "
        "refused for untracked ones; a new lot is created, an existing one is added to only "
        "when the same work order produced it",
    )
    serial_numbers: SerialNumbers = Field(
        None,
        description="Serial-tracked items: the new units, one serial number each (as many "
        "as the quantity), never seen before (or produced before by a receipt since "
        "reversed). Send none for other items",
    )
    quality_state: Literal["qualified", "pending_inspection"] = Field(
        "qualified",
        description="pending_inspection when final QC still has to pass (post an inspection "
        "at the receiving location afterwards)",
    )


class ComponentIn(BaseModel):
    """One item consumed from qualified stock at the production line."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.COMPONENT_IN]})

    item_code: str = Field(min_length=1, max_length=64)
    quantity: Quantity
    lot_number: LotNumber | None = Field(
        None,
        description="Consume this lot; without it a lot-tracked item is backflushed (lots "
        "picked first expiring, then first received). Optional for serial-tracked items "
        "(then every named unit must be in it); refused for untracked items",
    )
    serial_numbers: SerialNumbers = Field(
        None,
        description="Serial-tracked items: the units consumed, one serial number each (as "
        "many as the quantity), each qualified at the production line. Send none for other "
        "items",
    )


class ProductionReceiptCreate(BaseModel):
    """A work order's completion: outputs into stock, components out of the line, at once."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.PRODUCTION_RECEIPT_CREATE]}
    )

    work_order: WorkOrder
    to_location_code: str = Field(
        min_length=1,
        max_length=100,
        description="Where the output goes: a finished-goods or storage location",
    )
    wip_location_code: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The production line the components are consumed from; required with "
        "components",
    )
    outputs: list[OutputIn] = Field(min_length=1, max_length=MAX_OUTPUT_LINES)
    components: list[ComponentIn] = Field(default_factory=list, max_length=MAX_COMPONENT_LINES)
    posted_at: PostedAt = None
    note: str = Field("", max_length=500)
    draft: SaveAsDraft = False


class OutputOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.OUTPUT_OUT]})

    line_no: int = Field(description="1-based; line n was `outputs[n-1]` of the request")
    item_code: str
    lot_id: int | None
    lot_number: str | None
    quantity: Quantity
    quality_state: QualityState
    serial_numbers: list[str] = Field(
        default_factory=list, description="The units produced (serial-tracked items)"
    )


class ComponentOut(BaseModel):
    """What was consumed: one entry per request line and lot."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.COMPONENT_OUT]})

    line_no: int = Field(description="1-based; line n was `components[n-1]` of the request")
    item_code: str
    lot_id: int | None
    lot_number: str | None
    quantity: Quantity
    backflushed: bool = Field(
        description="The lot was picked by the posting (FEFO, then FIFO), not named"
    )
    serial_numbers: list[str] = Field(
        default_factory=list, description="The units consumed from this lot (serial-tracked)"
    )


class ProductionReceiptOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PRODUCTION_RECEIPT]})

    id: int
    number: str = Field(description="PR- and 8 digits")
    status: DocumentStatus
    work_order: str
    to_location_code: str
    wip_location_code: str | None
    note: str
    created_at: datetime | None
    created_by: str | None
    posted_at: datetime | None
    posted_by: str | None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    reversed_at: datetime | None
    reversed_by: str | None
    outputs: list[OutputOut] = Field(
        description="A draft's outputs show a lot only if it exists already: new lots are "
        "created when the draft is posted"
    )
    components: list[ComponentOut] = Field(
        description="As consumed, in request line order. A draft lists only the lines that "
        "name their lot (or are untracked, or name their units); backflush picks at posting"
    )
    movements: list[MovementOut] = Field(description="Posting and, if reversed, reversal")
    draft_request: Annotated[dict[str, Any] | None, FilterAs(ProductionReceiptCreate)] = Field(
        None, description="A draft's request, as `POST .../{id}/post` will post it"
    )


ProductionReceiptPage = Page[ProductionReceiptOut]
