"""Opening balance (期初库存, SAP movement type 561) models: the public contract.

A firm starting on the system loads the stock it holds from a spreadsheet: one row per
item, location, lot (and serials) and quality state, with the quantity and, optionally,
the cost per unit. A dry run reports every bad cell; a commit posts the whole file as
one document (`OB-` and 8 digits) or nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.stock import document_examples as ex
from services.stock.count_schemas import SheetReport
from services.stock.domain.model import QualityState
from services.stock.schemas import (
    CODE_PATTERN,
    COST_ROLES,
    DocumentStatus,
    MovementOut,
    SerialNumbers,
    UnitCost,
    Worth,
)
from shared.http.pagination import Page
from shared.policy import restricted
from shared.schemas import Quantity

#: Rows one file may hold (split larger ones, e.g. by warehouse).
MAX_OPENING_ROWS = 20_000
#: Units of serial-tracked items one file may bring in (one movement each).
MAX_OPENING_SERIALS = 20_000


class OpeningRowIn(BaseModel):
    """One row of an opening-balance sheet, as its cells read (the sheet's columns)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.OPENING_ROW_IN]})

    item_code: str = Field(min_length=1, max_length=64, description="A catalog item")
    location_code: str = Field(
        min_length=1, max_length=100, description="A physical location that holds stock"
    )
    lot_number: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=CODE_PATTERN,
        description="Required for lot-tracked items, optional for serial-tracked ones, "
        "refused for untracked ones; a lot that does not exist yet is created",
    )
    serial_numbers: SerialNumbers = None
    quality_state: QualityState = Field(
        QualityState.QUALIFIED, description="合格 qualified (default), 不良 defective, 待检 pending"
    )
    quantity: Quantity = Field(
        description="What is there; for serial-tracked items the number of serials "
        "(may be left blank)"
    )
    unit_cost: UnitCost | None = Field(
        None, description="Cost per stock unit; blank: the item's moving average"
    )
    supplier: str = Field("", max_length=200, description="New lots: the supplier")
    supplier_lot: str = Field("", max_length=100, description="New lots: the supplier's lot")
    date_code: str = Field("", max_length=20, description="New lots: the date code")
    receipt_date: date | None = Field(
        None, description="New lots: when it was received; default the posting day"
    )
    expiry_date: date | None = Field(
        None, description="New lots: when it expires; default from the item's shelf life"
    )


class OpeningBalanceLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.OPENING_LINE_OUT]})

    line_no: int = Field(description="1-based, in sheet order")
    row: int = Field(description="The sheet row the line came from")
    item_code: str
    location_code: str
    lot_number: str | None
    serial_numbers: list[str] = Field(description="The units, for serial-tracked items")
    quality_state: QualityState
    quantity: Quantity
    unit_cost: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="The cost per unit the sheet gave; null: the item's moving average "
        "(finance, admin)",
    )


class OpeningBalanceSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.OPENING_BALANCE_SUMMARY]})

    id: int
    number: str = Field(description="OB- and 8 digits")
    status: DocumentStatus
    file_name: str = Field(description="The uploaded file's name")
    file_sha256: str = Field(description="SHA-256 of the uploaded file")
    note: str
    line_count: int
    serial_count: int = Field(description="Units of serial-tracked items")
    posted_at: datetime
    posted_by: str
    reversed_at: datetime | None
    reversed_by: str | None


class OpeningBalanceOut(OpeningBalanceSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.OPENING_BALANCE]})

    lines: list[OpeningBalanceLineOut]
    movements: list[MovementOut] = Field(
        description="VIRTUAL/OPENING -> location, and if reversed, the reversal"
    )


OpeningBalancePage = Page[OpeningBalanceSummary]


class OpeningImportResult(SheetReport):
    """What an opening-balance sheet holds and every error in it (row, column, reason)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.OPENING_IMPORT_RESULT]})

    valid: int = Field(description="Rows without errors")
    items: int = Field(description="Distinct items in the rows without errors")
    serials: int = Field(description="Units of serial-tracked items in those rows")
    new_lots: list[str] = Field(
        description="Lots the file creates, as item_code/lot_number (a dry run: would create)"
    )
    opening_balance: OpeningBalanceOut | None = Field(
        description="The document posted; null in a dry run"
    )
