"""Stock report models: the public contract of `/v1/reports/...`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.stock.schemas import COST_ROLES, Worth
from shared.policy import restricted
from shared.schemas import SignedQuantity


class DeadStockItem(BaseModel):
    """An item holding stock that has not been issued for the report's `idle_days`."""

    item_code: str
    quantity: SignedQuantity = Field(
        description="On hand in the report's scope (every quality state, physical locations)"
    )
    value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="What `quantity` is worth at moving-average cost: the item's value "
        "(as `GET /v1/valuation` shows it), pro rata when the scope holds part of its stock "
        "(finance, admin)",
    )
    last_issue_at: datetime | None = Field(
        description="Its last issue (stock leaving for production, a customer, scrap, the "
        "supplier or a count loss); null when never issued"
    )
    last_movement_at: datetime = Field(description="Its last movement of any kind")
    idle_since: datetime = Field(
        description="The last issue, or when never issued the item's first movement"
    )
    idle_days: int = Field(description="Whole days from idle_since to the report's as_of")
    locations: list[str] = Field(description="Codes of the locations holding it, sorted")


class DeadStockReport(BaseModel):
    """Items holding stock with no issue for `idle_days` days, most valuable first."""

    idle_days: int
    as_of: datetime = Field(description="When the report was made (now)")
    items: list[DeadStockItem] = Field(description="By value, highest first, then item code")
    total_items: int = Field(description="Every dead item the filters select, not only these")
    total_value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="The value of every dead item the filters select (finance, admin)",
    )
