"""MES completions (ISA-95 style production performance): request and response."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.mrp import completion_examples as ex
from services.mrp.schemas import WorkOrderOut
from shared.http.pagination import Page
from shared.schemas import Moment, Quantity, SignedQuantity

LotNumber = Annotated[str, Field(min_length=1, max_length=100)]
SerialList = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=10000)
]


class ProducedIn(BaseModel):
    """Material produced: the work order's item, into a lot or as serial-numbered units."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.PRODUCED_IN]})

    item_code: str | None = Field(
        None, max_length=64, description="Must be the work order's item; default it"
    )
    quantity: Quantity
    lot_number: LotNumber | None = None
    serial_numbers: SerialList | None = None
    quality_state: str = Field(
        "qualified",
        pattern="^(qualified|pending_inspection)$",
        description="pending_inspection when final QC still has to pass",
    )


class ConsumedIn(BaseModel):
    """Material consumed at the line, by lot or serial."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.CONSUMED_IN]})

    item_code: str = Field(min_length=1, max_length=64)
    quantity: Quantity
    lot_number: LotNumber | None = None
    serial_numbers: SerialList | None = None


class CompletionIn(BaseModel):
    """A completion reported by MES: what was produced and consumed at an operation."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.COMPLETION_IN]})

    event_id: str = Field(
        min_length=1,
        max_length=100,
        description="MES's id of the event: a retry with the same id changes nothing",
    )
    produced: list[ProducedIn] = Field(default_factory=list, max_length=100)
    consumed: list[ConsumedIn] | None = Field(
        None,
        max_length=2000,
        description="Absent: components are backflushed by BOM quantity (scrap included) "
        "for the produced and scrapped quantity, from the line's WIP location",
    )
    scrap_quantity: SignedQuantity = Field(
        Decimal(0), ge=0, description="Units of the order's item scrapped at this operation"
    )
    operation: str = Field("", max_length=100, description="Routing operation, e.g. 0030")
    station: str = Field("", max_length=100)
    operator: str = Field("", max_length=200)
    result: str = Field("ok", max_length=20, description="The operation's result, e.g. ok, ng")
    started_at: Moment | None = None
    finished_at: Moment | None = None
    wip_location_code: str | None = Field(
        None, max_length=100, description="Default: the work order's WIP location"
    )
    output_location_code: str | None = Field(
        None, max_length=100, description="Default: the work order's output location"
    )

    @model_validator(mode="after")
    def _something(self) -> CompletionIn:
        if not self.produced and not self.scrap_quantity and not self.consumed:
            raise ValueError("a completion produces, scraps or consumes something")
        return self


class CompletionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.COMPLETION_OUT]})

    event_id: str
    work_order: WorkOrderOut
    production_receipt_id: int | None = Field(
        description="The stock document posted (null when nothing moved in stock)"
    )
    production_receipt_number: str | None
    produced_quantity: SignedQuantity
    scrapped_quantity: SignedQuantity
    backflushed: bool = Field(description="Components were consumed by BOM quantity")
    recorded_at: datetime


class CompletionRecordOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.COMPLETION_RECORD]})

    event_id: str
    production_receipt_number: str = Field(description="Empty when nothing moved in stock")
    produced_quantity: SignedQuantity
    scrapped_quantity: SignedQuantity
    operation: str
    station: str
    operator: str
    started_at: datetime | None
    finished_at: datetime | None
    recorded_at: datetime
    recorded_by: str


class CompletionPage(Page[CompletionRecordOut]):
    pass
