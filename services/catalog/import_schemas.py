"""Response models of spreadsheet imports: what each column was matched to, every error."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.catalog import import_examples


class HeaderMatchOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [import_examples.HEADER_MATCH_OUT]})

    column: int = Field(description="1-based column number (A = 1)")
    letter: str = Field(description="Column letter, e.g. C")
    header: str = Field(description="The header text as written in the sheet")
    field: str = Field(description="The field it was matched to, e.g. uom")


class UnmatchedHeaderOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [import_examples.UNMATCHED_HEADER_OUT]}
    )

    column: int = Field(description="1-based column number (A = 1)")
    letter: str
    header: str
    reason: str = Field(description="Why it was not used (unknown, ambiguous, repeated)")


class ImportErrorOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [import_examples.IMPORT_ERROR_OUT]})

    row: int | None = Field(description="Sheet row (1-based); null: the whole file")
    column: str | None = Field(description="Column letter; null: not one cell")
    header: str | None = Field(description="The column's header text")
    field: str | None = Field(description="The field, e.g. uom, lines.quantity")
    reason: str


class SheetSummary(BaseModel):
    dry_run: bool = Field(description="True: nothing was changed")
    file_type: Literal["xlsx", "xls", "ods", "csv"]
    sheet: str | None = Field(description="The sheet read (the first one)")
    header_row: int | None = Field(description="The row found to hold the headers")
    matched: list[HeaderMatchOut]
    unmatched: list[UnmatchedHeaderOut]
    missing: list[str] = Field(description="Required fields no column was found for")
    errors: list[ImportErrorOut]
    rows: int = Field(description="Data rows read (blank rows skipped)")


class CreatedItem(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [import_examples.CREATED_ITEM]})

    row: int
    id: int
    code: str


class ItemImportResult(SheetSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [import_examples.ITEM_IMPORT_RESULT]})

    valid: int = Field(description="Rows without errors")
    created: list[CreatedItem] = Field(description="Items created (empty in a dry run)")
    manufacturer_parts: int = Field(0, description="Manufacturer parts created")


class CreatedBom(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [import_examples.CREATED_BOM]})

    row: int | None = Field(description="Row naming the parent (null: the item_code parameter)")
    id: int
    item_code: str
    revision: str
    status: str
    line_count: int


class PlannedBom(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [import_examples.PLANNED_BOM_OUT]})

    row: int | None
    item_code: str
    revision: str
    line_count: int


class BomImportResult(SheetSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [import_examples.BOM_IMPORT_RESULT]})

    shape: Literal["indented", "parent_child"] | None
    boms: list[PlannedBom] = Field(description="The BOM versions the sheet describes")
    lines: int = Field(description="BOM lines in the sheet")
    created: list[CreatedBom] = Field(description="BOM versions created (empty in a dry run)")
