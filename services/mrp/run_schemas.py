"""MRP runs and their outputs: request and response models."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.mrp import run_examples as ex
from shared import approvals
from shared.approvals import ApprovalState as ApprovalState
from shared.approvals import Decision as Decision
from shared.http.pagination import Page
from shared.schemas import Quantity, SignedQuantity


class RunMode(StrEnum):
    #: Every item.
    REGENERATIVE = "regenerative"
    #: The chosen items and everything below them.
    NET_CHANGE = "net_change"


class CalendarIn(BaseModel):
    """Working days for lead-time offsets: weekdays not in `weekend`, dates not holidays."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.CALENDAR_IN]})

    weekend: list[int] = Field(
        default_factory=lambda: [5, 6],
        max_length=6,
        description="Days off, 0 = Monday ... 6 = Sunday",
    )
    holidays: list[date] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _weekdays(self) -> CalendarIn:
        if any(day < 0 or day > 6 for day in self.weekend):
            raise ValueError("weekend days are 0 (Monday) to 6 (Sunday)")
        return self


class ForecastConsumptionIn(BaseModel):
    """Sales order lines consume open forecast of their item dated up to `backward_days`
    before their due date (nearest first), then up to `forward_days` after it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.FORECAST_CONSUMPTION_IN]}
    )

    backward_days: int = Field(30, ge=0, le=366)
    forward_days: int = Field(0, ge=0, le=366)


class RunCreate(BaseModel):
    """Plan: net every item's requirements against stock and open orders, day by day,
    level by level, and propose what to buy or make."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.RUN_CREATE]})

    mode: RunMode = RunMode.REGENERATIVE
    item_codes: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="Net-change: plan these items and everything below them",
    )
    run_date: date | None = Field(None, description="Planning starts here; default today (UTC)")
    include_pending_inspection: bool = Field(
        False, description="Count stock pending inspection as a receipt on the run date"
    )
    use_substitutes: bool = Field(
        True, description="Cover a short primary component from its substitutes' free stock"
    )
    reschedule_out_days: int = Field(
        3, ge=0, le=365, description="An open order due this much earlier than needed: postpone"
    )
    calendar: CalendarIn | None = Field(
        None, description="Working calendar for lead times; default: calendar days"
    )
    forecast_consumption: ForecastConsumptionIn | None = Field(
        default_factory=ForecastConsumptionIn,
        description="How sales orders consume forecasts (default 30 days back, none "
        "forward); null plans forecasts and sales orders in full, one on top of the other",
    )

    @model_validator(mode="after")
    def _scope(self) -> RunCreate:
        if self.mode is RunMode.NET_CHANGE and not self.item_codes:
            raise ValueError("a net-change run needs item_codes")
        if self.mode is RunMode.REGENERATIVE and self.item_codes:
            raise ValueError("item_codes are for net-change runs")
        return self


class RunSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RUN_SUMMARY]})

    items_planned: int
    demands: int
    scheduled_receipts: int
    planned_orders: int
    planned_buy: int
    planned_make: int
    pegs: int = Field(0, description="Single-level pegs of the planned orders")
    exceptions: int
    shortages: int
    late_planned_orders: int = Field(description="Planned orders whose release date is past")
    substitutions: int
    bom_line_problems: list[str] = Field(
        description="Released BOM lines planning could not use (unit not convertible)"
    )
    seconds_reading: float = Field(description="Snapshot reading (catalog, stock, orders)")
    seconds_planning: float = Field(description="The planning core alone")
    seconds_storing: float
    stock_ledger_sequence: int | None = Field(
        None,
        description="Stock's availability was read at one moment holding every movement up "
        "to this ledger sequence number (runs before it was recorded: null)",
    )


class RunOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RUN]})

    id: int
    number: str = Field(description="MRP- and 8 digits")
    mode: RunMode
    status: str
    run_date: date
    options: RunCreate
    summary: RunSummary
    catalog_stamp: int = Field(description="The catalog's BOM graph stamp it planned with")
    started_at: datetime
    finished_at: datetime
    created_by: str


class RunPage(Page[RunOut]):
    pass


class PegOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PEG]})

    quantity: Quantity
    demand_ref: str | None = Field(
        description="The independent demand this requirement is of (sales order line, "
        "forecast, work order component); null for a parent's component requirement or "
        "safety stock"
    )
    parent_order: int | None = Field(
        description="Number (within the run) of the planned order this requirement comes from"
    )
    required_on: date
    safety_stock: bool


class DemandShareOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DEMAND_SHARE]})

    demand_ref: str | None = Field(
        description="An independent demand (sales order line, forecast, work order "
        "component); null: no demand (lot-size surplus or safety stock on the way up)"
    )
    quantity: SignedQuantity = Field(description="Of the planned order, in its item's unit")


class PlannedOrderOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PLANNED_ORDER]})

    id: int
    run_id: int
    number: int = Field(description="Within the run; parents before their components")
    item_code: str
    procurement: str = Field(description="buy or make")
    quantity: Quantity
    release_date: date
    due_date: date
    bom_id: int | None
    low_level_code: int
    status: str = Field(description="planned, or firmed")
    firmed_as: str = Field(description="The purchase or work order it became")
    approval: ApprovalState = Field(
        ApprovalState.NOT_REQUIRED,
        description="Whether its firming waits for workflow's decision (`pending`), was "
        "firmed on its approval (`approved`), or neither",
    )
    approval_ref: str = Field("", description="The workflow instance that decided it last, if any")
    pegs: list[PegOut] = Field(
        description="Single-level pegging: the demands or parent planned orders it serves"
    )
    demands: list[DemandShareOut] = Field(
        description="The independent demands it serves through every level above it "
        "(parents' demands shared out in proportion)"
    )


class PlannedOrderPage(Page[PlannedOrderOut]):
    pass


class ExceptionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.EXCEPTION]})

    kind: str = Field(
        description="release_past, expedite, postpone, excess, no_bom, past_due_demand"
    )
    item_code: str
    ref: str
    message: str
    quantity: SignedQuantity
    current_date: date | None
    suggested_date: date | None


class ExceptionPage(Page[ExceptionOut]):
    pass


class ShortageOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SHORTAGE]})

    item_code: str
    first_short_on: date
    quantity: SignedQuantity = Field(description="What stock and open orders do not cover")
    late_quantity: SignedQuantity = Field(
        description="Part of it whose planned orders should already have been released"
    )


class ShortagePage(Page[ShortageOut]):
    pass


class SubstitutionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SUBSTITUTION]})

    primary_code: str
    substitute_code: str
    primary_quantity: SignedQuantity
    substitute_quantity: SignedQuantity
    required_on: date
    demand_ref: str | None
    parent_order: int | None


class SubstitutionPage(Page[SubstitutionOut]):
    pass


class FirmRequest(BaseModel):
    """Turn a planned order into a purchase order (buy) or a work order (make)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.FIRM_REQUEST]})

    number: str | None = Field(
        None,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/\-]*$",
        description="The new order's number; default PO-/WO- and 8 digits",
    )
    supplier: str | None = Field(
        None, min_length=1, max_length=200, description="Required to firm a buy order"
    )
    quantity: Quantity | None = Field(None, description="Default: the planned quantity")
    due_date: date | None = Field(None, description="Default: the planned due date")
    release: bool = Field(False, description="Make orders: release the work order at once")
    wip_location_code: str = Field("", max_length=100)
    output_location_code: str = Field("", max_length=100)


class FirmOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.FIRM_OUT]})

    approval: ApprovalState = Field(
        description="`pending`: the firming gate held it (202), nothing ordered yet; else "
        "as `planned_order.approval`"
    )
    planned_order: PlannedOrderOut
    purchase_order_id: int | None
    work_order_id: int | None
    order_number: str = Field(
        description="The purchase or work order it became; empty while its firming waits "
        "for approval (or was not approved)"
    )


#: The document type of a planned order's firming, as workflow's flows name it.
FIRMING = "planned_order_firming"


class ApprovalDecision(approvals.ApprovalDecision):
    """Workflow's decision on a planned order whose firming waits for approval: `approved`
    firms it with the request held (as `POST .../firm` would), anything else leaves it
    planned."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.APPROVAL_DECISION]})


class ApprovalGateIn(approvals.ApprovalGateIn):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.APPROVAL_GATE_IN]})

    required: bool = Field(description="Whether firmings asked from now on wait for approval")


class ApprovalGateOut(approvals.ApprovalGateOut):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.APPROVAL_GATE_OUT]})

    document_type: str = Field(description=f"Always `{FIRMING}`")


class MaterialRowOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.MATERIAL_ROW]})

    level: int = Field(description="1 = a component of the work order's item")
    path: list[str] = Field(description="Item codes from the order's item down to this one")
    item_code: str
    parent_code: str
    required: SignedQuantity = Field(description="Still needed (level 1: after what was issued)")
    available: SignedQuantity = Field(description="Free stock allocated to this row")
    short: SignedQuantity
    covered_on: date | None = Field(
        description="When open orders cover the shortage (the check date when not short); "
        "null: no open order does"
    )
    substitute_available: SignedQuantity = Field(
        description="How much of the shortage the line's substitutes' free stock could cover"
    )
    make: bool = Field(description="Made: a shortage is exploded into its components below")


class MaterialTotalOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.MATERIAL_TOTAL]})

    item_code: str
    required: SignedQuantity
    available: SignedQuantity
    short: SignedQuantity
    covered_on: date | None


class MaterialCheckOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.MATERIAL_CHECK]})

    work_order: str
    item_code: str
    quantity: SignedQuantity = Field(description="Still to produce")
    bom_revision: str
    on: date = Field(description="The check date: the order's start, or today if later")
    complete: bool = Field(description="Nothing is short")
    earliest_complete_on: date | None = Field(
        description="The first day all material can be there; null: open orders never cover it"
    )
    rows: list[MaterialRowOut]
    totals: list[MaterialTotalOut]


class BuildableOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.BUILDABLE]})

    item_code: str
    on: date
    quantity: SignedQuantity = Field(description="What free stock builds now, through all levels")
    limiting: list[str] = Field(description="Components that run out first")
