"""Stock report models: the public contract of `/v1/reports/...`."""

from __future__ import annotations

from datetime import date, datetime

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


class AgingBucket(BaseModel):
    """An age band of the aging report, in whole days since the stock was received."""

    label: str = Field(description='"0-30", "31-90", ... or "over 365"')
    min_days: int = Field(description="Youngest age in the band (days)")
    max_days: int | None = Field(description="Oldest age in the band (days); null: no limit")


class AgingCell(BaseModel):
    """What a row (or the report) holds in one age band."""

    label: str = Field(description="The band's label, as in the report's `buckets`")
    quantity: SignedQuantity | None = Field(
        description="On hand in the band, in the stock unit; null when the row mixes units"
    )
    value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="What the band's quantity is worth at moving-average cost, the same "
        "share of the item's value as `GET /v1/stock-overview` gives it (finance, admin)",
    )


class AgingRow(BaseModel):
    """One group of the aging report: an item, a category, a warehouse or a stage."""

    key: str | None = Field(
        description="The item code, the category code (null: items without a category), "
        "the warehouse code or the stage, after `group_by`"
    )
    item_name: str | None = Field(
        default=None, description="The item's name (group_by=item; null if the catalog has none)"
    )
    uom: str | None = Field(
        description="The stock unit of the row's quantities; null when it mixes units "
        "(its quantities are then null, its values still add up) or the catalog does not "
        "know the item"
    )
    buckets: list[AgingCell] = Field(description="One per age band, youngest first")
    quantity: SignedQuantity | None = Field(description="On hand in every band (null: mixed units)")
    value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Value of every band (finance, admin)"
    )
    expired_quantity: SignedQuantity | None = Field(
        description="Of `quantity`, in lots whose expiry date is before the report date "
        "(null: mixed units)"
    )
    expired_value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Value of the expired quantity (finance, admin)"
    )


class AgingReport(BaseModel):
    """On-hand stock by age since receipt (库龄), per item, category, warehouse or stage."""

    as_of: datetime = Field(description="The moment reported on: the request's as_of, or now")
    report_date: date = Field(description="as_of's date (UTC), from which ages are counted")
    group_by: str = Field(description="item, category, warehouse or stage")
    buckets: list[AgingBucket] = Field(description="The age bands, youngest first")
    rows: list[AgingRow] = Field(description="By key (null last)")
    totals: list[AgingCell] = Field(description="Every row, per band")
    total_quantity: SignedQuantity | None = Field(
        description="Every row's quantity (null when the rows mix units)"
    )
    total_value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="Every row's value: `GET /v1/stock-overview`'s total_value for the same "
        "location (subtree), item and as_of (finance, admin)",
    )
    expired_quantity: SignedQuantity | None = Field(
        description="Stock in lots past their expiry date (null when mixing units)"
    )
    expired_value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Value of the expired stock (finance, admin)"
    )
