"""Defective release (concession, SAP usage decision on blocked stock): request and
response models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.stock import document_examples as ex
from services.stock.schemas import (
    ApprovalState,
    DocumentStatus,
    LotOut,
    MovementOut,
    PostedAt,
    SaveAsDraft,
    SerialNumbers,
)
from shared.http.pagination import Page
from shared.policy import FilterAs
from shared.schemas import Quantity


class ReleaseReason(StrEnum):
    """Why defective stock may be used after all."""

    #: Accepted for use as it is (a deviation the engineer signs off).
    CONCESSION = "concession"
    #: Reworked, now as good as qualified stock.
    REWORK = "rework"
    #: Inspected again and found good.
    REINSPECTION = "reinspection"


class DefectiveReleaseCreate(BaseModel):
    """Release defective stock of one item (one lot, or named units) at one location to
    qualified, there or at `to_location_code`."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.DEFECTIVE_RELEASE_CREATE]}
    )

    item_code: str = Field(min_length=1, max_length=64)
    lot_number: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Required for lot-tracked items; serial-tracked units keep their own lot "
        "unless one is named",
    )
    location_code: str = Field(
        min_length=1, max_length=100, description="Where the defective stock is"
    )
    to_location_code: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Where it becomes qualified; defaults to location_code",
    )
    quantity: Quantity = Field(description="Moves from defective to qualified")
    serial_numbers: SerialNumbers = Field(
        None,
        description="Serial-tracked items: the units released, as many as the quantity, each "
        "defective at the location (and in the lot, when one is named)",
    )
    reason: ReleaseReason = Field(
        description="concession (used as it is), rework (reworked) or reinspection (found good)"
    )
    note: str = Field("", max_length=500)
    posted_at: PostedAt = None
    draft: SaveAsDraft = False


class DefectiveReleaseOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DEFECTIVE_RELEASE]})

    id: int
    number: str = Field(description="DR- and 8 digits")
    status: DocumentStatus
    item_code: str
    lot: LotOut | None
    location_code: str
    to_location_code: str
    quantity: Quantity
    serial_numbers: list[str] = Field(
        default_factory=list, description="The units released (serial-tracked items)"
    )
    reason: ReleaseReason
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
    approval: ApprovalState = Field(
        description="Whether an approval gate held it when it was posted, and its outcome"
    )
    approval_ref: str = Field(description="The workflow instance that decided it, if any")
    draft_request: Annotated[dict[str, Any] | None, FilterAs(DefectiveReleaseCreate)] = Field(
        None, description="A draft's request, as `POST .../{id}/post` will post it"
    )


DefectiveReleasePage = Page[DefectiveReleaseOut]
