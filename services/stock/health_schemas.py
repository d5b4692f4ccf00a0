"""The inventory health check's public contract (`/v1/reports/inventory-health`): what the
daily digest tells managers, and the workbook it links to."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.stock import report_examples as ex
from services.stock.domain.model import Stage
from services.stock.report_schemas import DeadStockItem
from services.stock.schemas import COST_ROLES, Worth
from shared.policy import restricted
from shared.schemas import SignedQuantity


class StageValue(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.STAGE_VALUE]})

    stage: Stage
    value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Its stock value (finance, admin)"
    )


class HealthStockValue(BaseModel):
    """The stock value at the end of the day, as `GET /v1/reports/stock-value` gives it."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.HEALTH_STOCK_VALUE]})

    as_of_date: date
    total_value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Every stage and state (finance, admin)"
    )
    stages: list[StageValue] = Field(description="Per stage holding stock, in stage order")


class BelowSafetyItem(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.BELOW_SAFETY_ITEM]})

    item_code: str
    item_name: str
    uom: str
    safety_stock: SignedQuantity = Field(description="The catalog's safety stock")
    available: SignedQuantity = Field(
        description="Qualified in stores less reserved, as `GET /v1/availability` counts it"
    )
    shortage: SignedQuantity = Field(description="safety_stock - available")
    shortage_percent: Decimal = Field(
        description="The shortage in percent of the safety stock, 2 decimals"
    )


class BelowSafetyStock(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.BELOW_SAFETY_STOCK]})

    count: int = Field(description="Items whose availability is below their safety stock")
    items: list[BelowSafetyItem] = Field(
        description="The `top` most short, by shortage percent, then item code"
    )


class HealthDeadStock(BaseModel):
    """The dead-stock top N, as `GET /v1/reports/dead-stock` gives it."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.HEALTH_DEAD_STOCK]})

    idle_days: int
    total_items: int = Field(description="Every dead item, not only the top")
    total_value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Every dead item's value (finance, admin)"
    )
    top: list[DeadStockItem] = Field(description="By value, highest first")


class HealthAged(BaseModel):
    """Stock older than `older_than_days` since receipt, as the aging report ages it."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.HEALTH_AGED]})

    older_than_days: int
    value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Its value (finance, admin)"
    )
    share_percent: Decimal | None = Field(
        description="Its share of the stock value in percent, 2 decimals (null: no stock)"
    )


class ReportFileOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.REPORT_FILE]})

    url: str = Field(
        description="Where the workbook can be fetched without credentials until "
        "`expires_at` (a path on the gateway; whoever has it can read the file)"
    )
    filename: str
    expires_at: datetime


class InventoryHealth(BaseModel):
    """Inventory health at a glance: stock value, items below safety stock, the dead-stock
    top N and the value aged over a limit (values for finance and admin)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.INVENTORY_HEALTH]})

    as_of: datetime = Field(description="When it was made")
    stock_value: HealthStockValue
    below_safety_stock: BelowSafetyStock
    dead_stock: HealthDeadStock
    aged: HealthAged
    file: ReportFileOut | None = Field(
        default=None, description="The workbook's link (only when one was made: POST)"
    )
