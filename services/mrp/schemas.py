"""MRP orders: request and response models of sales orders, forecasts, the demand view,
purchase orders and work orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.mrp import order_examples as ex
from shared.auth.principal import ADMIN, FINANCE
from shared.http.pagination import Page
from shared.policy import restricted
from shared.schemas import DecimalString, Quantity, SignedQuantity

MAX_ORDER_LINES = 500
#: Letters, digits and . _ / - (no spaces): an order number other systems can quote.
NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/\-]*$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


Text = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]
OrderNumber = Annotated[str, Field(min_length=1, max_length=100, pattern=NUMBER_PATTERN)]
ItemCode = Annotated[str, Field(min_length=1, max_length=64)]


class OrderStatus(StrEnum):
    OPEN = "open"
    #: Nothing more is expected (fully received or shipped, or closed by hand).
    CLOSED = "closed"
    CANCELLED = "cancelled"


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.ORDER_LINE_IN]})

    item_code: ItemCode
    quantity: Quantity = Field(description="In the item's stock unit")
    due_date: date


# --- sales orders ----------------------------------------------------------------------


class SalesOrderCreate(BaseModel):
    """A customer's order: what to ship, how many, by when."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.SALES_ORDER_CREATE]}
    )

    number: OrderNumber | None = Field(
        None, description="The ERP's or customer's number; default SO- and 8 digits"
    )
    customer: Text
    note: str = Field("", max_length=500)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_ORDER_LINES)


class SalesOrderLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SALES_ORDER_LINE]})

    line_no: int = Field(description="1-based, in request order")
    item_code: str
    quantity: Quantity
    due_date: date
    shipped_quantity: SignedQuantity = Field(
        description="From stock's shipments naming the order (reversals count back)"
    )
    open_quantity: SignedQuantity = Field(description="Still to ship: what MRP plans for")


class SalesOrderOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SALES_ORDER]})

    id: int
    number: str
    customer: str
    status: OrderStatus
    note: str
    lines: list[SalesOrderLineOut]
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class SalesOrderPage(Page[SalesOrderOut]):
    pass


# --- forecasts -------------------------------------------------------------------------


class ForecastStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class ForecastIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.FORECAST_IN]})

    item_code: ItemCode
    quantity: Quantity
    due_date: date
    note: str = Field("", max_length=500)


class ForecastCreate(BaseModel):
    """Expected demand of items on dates (independent of any sales order)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.FORECAST_CREATE]})

    forecasts: list[ForecastIn] = Field(min_length=1, max_length=MAX_ORDER_LINES)


class ForecastOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.FORECAST]})

    id: int
    number: str = Field(description="FC- and 8 digits")
    item_code: str
    quantity: Quantity
    due_date: date
    status: ForecastStatus
    note: str
    created_at: datetime
    created_by: str


class ForecastBatchOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.FORECAST_BATCH]})

    forecasts: list[ForecastOut]


class ForecastPage(Page[ForecastOut]):
    pass


# --- the demand view -------------------------------------------------------------------


class DemandKindOut(StrEnum):
    SALES_ORDER = "sales_order"
    FORECAST = "forecast"
    WORK_ORDER = "work_order"


class DemandOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DEMAND]})

    kind: DemandKindOut
    ref: str = Field(
        description="What MRP pegs to: `<sales order>/<line>`, `<forecast>`, or "
        "`<work order>/<component>`"
    )
    item_code: str
    quantity: SignedQuantity = Field(description="Still open")
    due_date: date


class DemandPage(Page[DemandOut]):
    pass


# --- purchase orders -------------------------------------------------------------------


class PurchaseOrderCreate(BaseModel):
    """An order to a supplier: lines with due dates. Stock receipts naming its number as
    `purchase_order` count as received."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.PURCHASE_ORDER_CREATE]}
    )

    number: OrderNumber | None = Field(
        None, description="The ERP's number; default PO- and 8 digits"
    )
    supplier: Text
    note: str = Field("", max_length=500)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_ORDER_LINES)


class PurchaseOrderLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PURCHASE_ORDER_LINE]})

    line_no: int
    item_code: str
    quantity: Quantity
    due_date: date
    received_quantity: SignedQuantity = Field(
        description="From stock's purchase receipts naming the order (reversals count back)"
    )
    open_quantity: SignedQuantity = Field(description="Still expected: a scheduled receipt")


class PurchaseOrderOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PURCHASE_ORDER]})

    id: int
    number: str
    supplier: str
    status: OrderStatus
    note: str
    planned_order: str = Field(description="`<run>/<planned order>` it was firmed from, if any")
    lines: list[PurchaseOrderLineOut]
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class PurchaseOrderPage(Page[PurchaseOrderOut]):
    pass


# --- work orders -----------------------------------------------------------------------


class WorkOrderStatus(StrEnum):
    PLANNED = "planned"
    RELEASED = "released"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class WorkOrderCreate(BaseModel):
    """Make `quantity` of an item between two dates, to a BOM version pinned on release."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.WORK_ORDER_CREATE]}
    )

    number: OrderNumber | None = Field(
        None, description="MES's or the ERP's; default WO- and 8 digits"
    )
    item_code: ItemCode
    quantity: Quantity
    start_date: date
    due_date: date
    bom_revision: str | None = Field(
        None,
        max_length=20,
        description="A released revision to build to; default: the version effective on "
        "the start date, pinned on release",
    )
    wip_location_code: str = Field(
        "", max_length=100, description="The line components are issued to and backflushed from"
    )
    output_location_code: str = Field("", max_length=100, description="Where output goes")
    note: str = Field("", max_length=500)
    release: bool = Field(False, description="Release at once (pins the BOM version)")

    @model_validator(mode="after")
    def _dates(self) -> WorkOrderCreate:
        if self.due_date < self.start_date:
            raise ValueError("due_date must not be before start_date")
        return self


class WorkOrderComponentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WORK_ORDER_COMPONENT]})

    position: int
    item_code: str
    quantity_per: SignedQuantity = Field(
        description="Component stock units per unit of the order's item, scrap included"
    )
    fixed_quantity: SignedQuantity
    required_quantity: SignedQuantity
    backflush: bool
    reserved_quantity: SignedQuantity = Field(description="From stock's reservations")
    issued_quantity: SignedQuantity = Field(description="Issued to the order by requisitions")
    consumed_quantity: SignedQuantity = Field(description="Consumed by production receipts")
    open_quantity: SignedQuantity = Field(
        description="Still needed: required - issued - consumed (not below 0)"
    )


class WorkOrderOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WORK_ORDER]})

    id: int
    number: str
    item_code: str
    quantity: Quantity
    status: WorkOrderStatus
    start_date: date
    due_date: date
    bom_id: int | None
    bom_revision: str
    wip_location_code: str
    output_location_code: str
    produced_quantity: SignedQuantity
    scrapped_quantity: SignedQuantity
    open_quantity: SignedQuantity = Field(description="Still to produce")
    planned_order: str
    note: str
    components: list[WorkOrderComponentOut] = Field(
        description="The pinned BOM's components (empty until released)"
    )
    released_at: datetime | None
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class WorkOrderPage(Page[WorkOrderOut]):
    pass


class WorkOrderRelease(BaseModel):
    """Release a planned work order: pin its BOM version and list its components."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.WORK_ORDER_RELEASE]}
    )

    bom_revision: str | None = Field(
        None,
        max_length=20,
        description="A released revision to build to; default: the one named on creation, "
        "else the version effective on the start date",
    )


class OrderLineChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.ORDER_LINE_CHANGE]}
    )

    line_no: int = Field(ge=1)
    quantity: Quantity | None = Field(
        None, description="Not below what was already received or shipped"
    )
    due_date: date | None = None


class OrderChange(BaseModel):
    """Reschedule or resize lines of an open order (send its ETag as If-Match)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.ORDER_CHANGE]})

    note: str | None = Field(None, max_length=500)
    lines: list[OrderLineChange] = Field(default_factory=list, max_length=MAX_ORDER_LINES)


class WorkOrderChange(BaseModel):
    """Reschedule or resize an open work order (send its ETag as If-Match); a released
    order's component requirements follow the new quantity."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.WORK_ORDER_CHANGE]}
    )

    quantity: Quantity | None = Field(None, description="Not below what was produced")
    start_date: date | None = None
    due_date: date | None = None
    wip_location_code: str | None = Field(None, max_length=100)
    output_location_code: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=500)


# --- material usage against the BOM standard (用料差异) ----------------------------------

#: Who may see what material is worth (stock's moving-average costs and values).
COST_ROLES = frozenset({FINANCE, ADMIN})
#: A value or unit cost at 6 decimals (as stock keeps them), rounded half-up.
Worth = Annotated[Decimal, Field(max_digits=28, decimal_places=6), DecimalString]
#: Component units per unit of the order's item, as pinned (10 decimals).
PerUnit = Annotated[Decimal, Field(max_digits=28, decimal_places=10), DecimalString]
#: A percentage at 2 decimals, rounded half-up.
Percent = Annotated[Decimal, Field(max_digits=22, decimal_places=2), DecimalString]


class MaterialUsageLineOut(BaseModel):
    """One component: what the output made so far should have used, and what it used."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.MATERIAL_USAGE_LINE]})

    position: int
    item_code: str
    in_bom: bool = Field(
        description="On the pinned BOM; false: consumed although not on it (standard 0)"
    )
    quantity_per: PerUnit = Field(description="Per unit of the order's item, scrap included")
    fixed_quantity: SignedQuantity = Field(description="Once per order (setup)")
    standard_quantity: SignedQuantity = Field(
        description="quantity_per x (produced + scrapped) + fixed_quantity once anything was "
        "produced or scrapped, rounded up to 6 places (what a backflush by BOM consumes)"
    )
    issued_quantity: SignedQuantity = Field(description="Issued to the order by requisitions")
    consumed_quantity: SignedQuantity = Field(
        description="Actual: consumed by production receipts (reversals counted back)"
    )
    variance_quantity: SignedQuantity = Field(description="consumed - standard")
    variance_percent: Percent | None = Field(
        description="variance / standard x 100; null when the standard is 0"
    )
    unit_cost: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="Stock's current moving-average cost per stock unit (finance, admin); "
        "null when stock has never valued the item",
    )
    standard_value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="standard_quantity x unit_cost"
    )
    actual_value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="consumed_quantity x unit_cost"
    )
    variance_value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="actual - standard value: the usage (quantity) variance at one unit cost",
    )


class MaterialUsageOut(BaseModel):
    """A work order's material usage against its pinned BOM (用料差异)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.MATERIAL_USAGE]})

    work_order_id: int
    number: str
    item_code: str
    status: WorkOrderStatus
    quantity: Quantity
    bom_revision: str
    produced_quantity: SignedQuantity
    scrapped_quantity: SignedQuantity
    standard_basis_quantity: SignedQuantity = Field(
        description="produced + scrapped: the output the standard is computed for"
    )
    components: list[MaterialUsageLineOut]
    components_over: int = Field(description="Components consumed above their standard")
    components_under: int = Field(description="Components consumed below their standard")
    standard_value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Sum over the valued components"
    )
    actual_value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Sum over the valued components"
    )
    variance_value: Worth | None = restricted(
        read=COST_ROLES, default=None, description="Sum over the valued components"
    )
    values_complete: bool | None = restricted(
        read=COST_ROLES,
        default=None,
        description="Every component has a unit cost (false: the totals leave some out)",
    )


class UsageVarianceRowOut(BaseModel):
    """One work order's usage variance in brief."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.USAGE_VARIANCE_ROW]})

    work_order_id: int
    number: str
    item_code: str
    status: WorkOrderStatus
    quantity: Quantity
    produced_quantity: SignedQuantity
    scrapped_quantity: SignedQuantity
    updated_at: datetime = Field(description="The last change (a movement counted, a status)")
    components_over: int
    components_under: int
    largest_variance_percent: Percent | None = Field(
        description="The component variance percent furthest from 0 (sign kept); null when "
        "no component has a standard"
    )
    standard_value: Worth | None = restricted(read=COST_ROLES, default=None)
    actual_value: Worth | None = restricted(read=COST_ROLES, default=None)
    variance_value: Worth | None = restricted(read=COST_ROLES, default=None)
    values_complete: bool | None = restricted(read=COST_ROLES, default=None)


class UsageVarianceListOut(BaseModel):
    """Work orders by the size of their usage variance, largest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.USAGE_VARIANCES]})

    items: list[UsageVarianceRowOut]
    sorted_by: str = Field(
        description="variance_value (|variance value|, for finance and admin) or "
        "variance_percent (|largest variance percent|, for the other roles)"
    )
    more: bool = Field(description="More orders matched than `limit`; narrow the filters")
