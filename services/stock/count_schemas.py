"""Stock count (盘点) request and response models: the public contract.

A count freezes the book of a location subtree (one line per non-zero balance bucket;
for serial-tracked items one line per serial in stock, book 1), takes counted quantities
(JSON or an .xlsx count sheet) and posts the differences. For a blind count the book
quantities and differences are left out (`null`) of every answer, sheet and event until
the count is posted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.stock import document_examples as ex
from services.stock.domain.model import QualityState
from services.stock.schemas import (
    CODE_PATTERN,
    ApprovalState,
    MovementOut,
    NonNegativeQuantity,
    SerialNumber,
)
from shared.http.pagination import Page
from shared.schemas import SignedQuantity

#: Items one count may be limited to.
MAX_COUNT_ITEMS = 1000
#: Lines one request (or one sheet) may count at once.
MAX_COUNT_LINES = 5000


class StockCountStatus(StrEnum):
    COUNTING = "counting"
    POSTED = "posted"
    CANCELLED = "cancelled"
    REVERSED = "reversed"


def _distinct(codes: list[str] | None) -> list[str] | None:
    if codes is None:
        return None
    seen = sorted(set(codes))
    if len(seen) != len(codes):
        raise ValueError("an item code is listed twice")
    return codes


ItemCode = Annotated[str, Field(min_length=1, max_length=64)]


class StockCountCreate(BaseModel):
    """Start a count: freeze the book of a location and everything below it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.STOCK_COUNT_CREATE]}
    )

    location_code: str = Field(
        min_length=1,
        max_length=100,
        description="The scope: this location and every location below it (a warehouse "
        "node counts its whole tree)",
    )
    item_codes: Annotated[list[ItemCode] | None, AfterValidator(_distinct)] = Field(
        None,
        min_length=1,
        max_length=MAX_COUNT_ITEMS,
        description="Count only these items; leave out to count every item in the scope",
    )
    blind: bool = Field(
        False, description="Hide book quantities from counters until the count is posted"
    )
    note: str = Field("", max_length=500)


class CountLineIn(BaseModel):
    """What was counted in one bucket: item, location, lot, serial and quality state."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.COUNT_LINE_IN]})

    item_code: str = Field(min_length=1, max_length=64)
    location_code: str = Field(
        min_length=1, max_length=100, description="A location in the count's scope"
    )
    lot_number: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=CODE_PATTERN,
        description="An existing lot of the item: required for lot-tracked items, refused "
        "for untracked ones; optional for serial-tracked ones (a known serial keeps its lot)",
    )
    serial_number: SerialNumber | None = Field(
        None,
        description="Serial-tracked items: the unit counted, one line per serial (counted "
        "1: it is there, 0: it is not); refused for other items",
    )
    quality_state: QualityState = Field(QualityState.QUALIFIED)
    counted_quantity: NonNegativeQuantity = Field(
        description="What is there; 0: nothing (a serial: 1 or 0)"
    )


class CountLinesIn(BaseModel):
    """Counted quantities; a bucket counted again is overwritten, one not in the book added."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.COUNT_LINES_IN]})

    lines: list[CountLineIn] = Field(min_length=1, max_length=MAX_COUNT_LINES)


class StockCountLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.STOCK_COUNT_LINE]})

    line_no: int
    item_code: str
    location_code: str
    lot_number: str | None
    serial_number: str | None = Field(description="The unit, for serial-tracked items")
    quality_state: QualityState
    book_quantity: SignedQuantity | None = Field(
        description="The balance when the count started; null while a blind count is open"
    )
    counted_quantity: SignedQuantity | None = Field(description="null: not counted yet")
    difference: SignedQuantity | None = Field(
        description="Counted minus book (+ gain, - loss); null until counted, and while a "
        "blind count is open"
    )
    found: bool = Field(description="Added while counting: stock the frozen book did not have")
    counted_at: datetime | None
    counted_by: str | None


class StockCountSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.STOCK_COUNT_SUMMARY]})

    id: int
    number: str = Field(description="PI- and 8 digits")
    status: StockCountStatus
    location_code: str = Field(description="The scope: this location and those below it")
    item_codes: list[str] | None = Field(description="null: every item in the scope")
    blind: bool
    book_visible: bool = Field(
        description="False while a blind count is not posted: book and differences are null"
    )
    note: str
    line_count: int
    counted_lines: int
    uncounted_lines: int
    lines_with_difference: int | None = Field(
        description="Counted lines whose count differs from the book; null while hidden"
    )
    created_at: datetime
    created_by: str
    posted_at: datetime | None
    posted_by: str | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    reversed_at: datetime | None
    reversed_by: str | None
    approval: ApprovalState = Field(
        description="`pending`: posted with differences under a closed `count_variance` "
        "gate, still counting until workflow decides; `approved`: posted on its approval"
    )
    approval_ref: str = Field(description="The workflow instance that decided it, if any")


class StockCountOut(StockCountSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.STOCK_COUNT]})

    lines: list[StockCountLineOut] = Field(
        description="The frozen book by location, item, lot, serial, state; then stock found"
    )
    movements: list[MovementOut] = Field(
        description="The differences posted and, if reversed, their reversal"
    )


StockCountPage = Page[StockCountSummary]


class SheetHeaderOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SHEET_HEADER]})

    column: str = Field(description="Column letter, e.g. C")
    header: str = Field(description="The header text as written in the sheet")
    field: str | None = Field(description="The field it was matched to; null: not used")
    reason: str | None = Field(None, description="Why an unmatched header is not used")


class SheetErrorOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SHEET_ERROR]})

    row: int | None = Field(description="Sheet row (1-based); null: the whole file")
    column: str | None = Field(description="Column letter; null: not one cell")
    header: str | None = Field(description="The column's header text")
    field: str | None = Field(description="The field, e.g. counted_quantity")
    reason: str


class SheetReport(BaseModel):
    """What an uploaded sheet holds: its header matched to fields, every error (row,
    column, reason), the rows read. Count sheets and opening balances add their own."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.SHEET_REPORT]})

    dry_run: bool = Field(description="True: nothing was changed")
    file_type: Literal["xlsx", "xls", "ods", "csv"]
    sheet: str | None = Field(description="The sheet read (the first one)")
    header_row: int | None = Field(description="The row found to hold the headers")
    matched: list[SheetHeaderOut]
    unmatched: list[SheetHeaderOut]
    missing: list[str] = Field(description="Required fields no column was found for")
    errors: list[SheetErrorOut]
    rows: int = Field(description="Data rows read (blank rows skipped)")


class CountSheetResult(SheetReport):
    """What an uploaded count sheet says and every error in it (row, column, reason)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.COUNT_SHEET_RESULT]})

    counted: int = Field(description="Rows with a counted quantity and no error")
    skipped: int = Field(description="Rows left without a counted quantity (not counted)")
    count: StockCountOut | None = Field(
        description="The count after entering the sheet; null in a dry run"
    )
