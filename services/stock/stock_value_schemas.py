"""Stock value report models: the public contract of `/v1/reports/stock-value`."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.stock import report_examples as ex
from services.stock.domain.model import QualityState, Stage
from services.stock.schemas import COST_ROLES, Worth
from shared.policy import restricted
from shared.schemas import SignedQuantity


class StockValueCell(BaseModel):
    """What a row (or the report) holds in one stage and quality state."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.STOCK_VALUE_CELL]})

    stage: Stage
    quality_state: QualityState
    quantity: SignedQuantity | None = Field(
        description="On hand at the end of the day, in the stock unit; null when the row "
        "mixes units"
    )
    value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="At moving-average cost: the same share of each item's value as "
        "`GET /v1/stock-overview` gives its stock there (finance, admin)",
    )


class StockValueRow(BaseModel):
    """One group: the total, an item, a category, a warehouse, a location or a stage."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.STOCK_VALUE_ROW]})

    key: str | None = Field(
        description="The item code, the category code (null: items without a category), the "
        "warehouse code, the location code or the stage, after `group_by`; null for total"
    )
    item_name: str | None = Field(
        default=None, description="The item's name (group_by=item; null if the catalog has none)"
    )
    uom: str | None = Field(
        description="The stock unit of the row's quantities; null when it mixes units (its "
        "quantities are then null, its values still add up) or the catalog does not know "
        "the item"
    )
    cells: list[StockValueCell] = Field(
        description="Stage x quality state, non-zero cells, in the stages' then the states' "
        "order (as the stock overview's)"
    )
    quantity: SignedQuantity | None = Field(description="Every cell's quantity (null: mixed units)")
    value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Every cell's value (finance, admin)"
    )


class StockValueReport(BaseModel):
    """Stock quantity and value by stage x quality state at the end of a day, per group."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.STOCK_VALUE]})

    as_of_date: date = Field(description="The day (UTC) at whose end the stock is reported")
    group_by: str = Field(description="total, item, category, warehouse, location or stage")
    rows: list[StockValueRow] = Field(description="By key (null last)")
    totals: list[StockValueCell] = Field(description="Every row, per stage and quality state")
    total_quantity: SignedQuantity | None = Field(
        description="Every row's quantity (null when the rows mix units)"
    )
    total_value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="Every row's value: `GET /v1/stock-overview`'s total_value at the end of "
        "the day for the same items and location (subtree) (finance, admin)",
    )
