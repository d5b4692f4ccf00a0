"""Stock report models: the public contract of `/v1/reports/...`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.stock import report_examples as ex
from services.stock.schemas import COST_ROLES, Worth
from shared.policy import restricted
from shared.schemas import SignedQuantity


class DeadStockItem(BaseModel):
    """An item holding stock that has not been issued for the report's `idle_days`."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.DEAD_STOCK_ITEM]})

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

    model_config = ConfigDict(json_schema_extra={"examples": [ex.DEAD_STOCK]})

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

    model_config = ConfigDict(json_schema_extra={"examples": [ex.AGING_BUCKET]})

    label: str = Field(description='"0-30", "31-90", ... or "over 365"')
    min_days: int = Field(description="Youngest age in the band (days)")
    max_days: int | None = Field(description="Oldest age in the band (days); null: no limit")


class AgingCell(BaseModel):
    """What a row (or the report) holds in one age band."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.AGING_CELL]})

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

    model_config = ConfigDict(json_schema_extra={"examples": [ex.AGING_ROW]})

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

    model_config = ConfigDict(json_schema_extra={"examples": [ex.AGING]})

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


class TurnoverPeriod(BaseModel):
    """A period of the turnover trend: a calendar month or an ISO week (Monday-Sunday)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.TURNOVER_PERIOD]})

    label: str = Field(description='"2026-11" for a month, "2026-W48" for a week')
    start: date = Field(description="Its first day")
    end: date = Field(description="Its last day; in the last period the report date")
    days: int = Field(description="Days from start to end, both included")


class TurnoverCell(BaseModel):
    """Issues against average inventory in one period (or the whole trend)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.TURNOVER_CELL]})

    label: str = Field(description='The period\'s label; "first..last" for the whole trend')
    issued_value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="Value issued for consumption at moving-average cost: to work orders "
        "(requisitions, backflush), shipped, scrapped; reversals taken off (finance, admin)",
    )
    average_inventory_value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="The mean of the period's daily closing stock values (finance, admin)",
    )
    turnover: Decimal | None = Field(
        description="issued_value / average_inventory_value, 4 decimals; null without stock"
    )
    days_of_supply: Decimal | None = Field(
        description="days x average_inventory_value / issued_value, 1 decimal: how long the "
        "average stock lasts at the period's rate of issue; null when nothing was issued"
    )


class TurnoverRow(BaseModel):
    """One group of the turnover report: the total, an item, a category, a stage or a
    warehouse."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.TURNOVER_ROW]})

    key: str | None = Field(
        description="Item code, category code (null: no category), stage or warehouse code "
        "after `group_by`; null for group_by=total"
    )
    item_name: str | None = Field(default=None, description="The item's name (group_by=item)")
    periods: list[TurnoverCell] = Field(description="One per period of the trend, oldest first")
    overall: TurnoverCell = Field(
        description="The whole trend as one period (day-weighted average inventory)"
    )


class TurnoverReport(BaseModel):
    """Inventory turnover (库存周转) per month or week: issues, average inventory, ratio."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.TURNOVER]})

    period: str = Field(description="month or week")
    date_from: date = Field(description="The first period's first day")
    date_to: date = Field(description="The report date: the last period ends here")
    group_by: str = Field(description="total, item, category, stage or warehouse")
    periods: list[TurnoverPeriod] = Field(description="The trend, oldest first")
    rows: list[TurnoverRow] = Field(
        description="By issued value over the trend, highest first (then key); at most `limit`"
    )
    total_rows: int = Field(description="Groups found, not only the rows shown")
    totals: list[TurnoverCell] = Field(description="Every group, per period")
    overall: TurnoverCell = Field(description="Every group over the whole trend")
