"""Catalog request and response models: the public contract.

Bodies name other things by code (`uom`, `category`, `component_code`), the keys
integrators hold; responses carry both ids and codes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.catalog import bom_examples, item_examples
from services.catalog.domain.items import (
    ItemType,
    Lifecycle,
    LotSizing,
    Procurement,
    Tracking,
    lot_sizing_errors,
)
from services.catalog.domain.units import Rounding
from shared import approvals
from shared.approvals import ApprovalState as ApprovalState
from shared.approvals import Decision as Decision
from shared.auth.principal import ADMIN, FINANCE
from shared.http.pagination import Page
from shared.policy import restricted
from shared.schemas import DecimalString, Money, Quantity

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"
#: Roles that may read and write costs.
COST_ROLES = {FINANCE, ADMIN}

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN)]
UnitCode = Annotated[str, Field(min_length=1, max_length=20, description="Unit code, e.g. pcs")]
#: Zero or more, at most 6 decimals (safety stock, fixed quantities).
NonNegative = Annotated[Decimal, Field(ge=0, max_digits=22, decimal_places=6), DecimalString]
Factor = Annotated[Decimal, Field(gt=0, max_digits=28, decimal_places=10), DecimalString]
Percent = Annotated[Decimal, Field(ge=0, lt=100, max_digits=9, decimal_places=4), DecimalString]
Minutes = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4), DecimalString]
Ratio = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=6), DecimalString]


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("may not be null")
    return value


# --- units -----------------------------------------------------------------------------


class UnitCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [item_examples.UNIT_CREATE]}
    )

    code: str = Field(min_length=1, max_length=20, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    decimals: int = Field(ge=0, le=6, description="Decimal places allowed; 0 = whole units")
    rounding: Rounding = Field(Rounding.HALF_UP, description="How quantities are rounded")
    base_unit: str | None = Field(
        None, max_length=20, description="Global conversion: the unit this one converts to"
    )
    factor_to_base: Factor | None = Field(None, description="1 unit = factor x base unit")

    @model_validator(mode="after")
    def _base_pair(self) -> UnitCreate:
        if (self.base_unit is None) != (self.factor_to_base is None):
            raise ValueError("base_unit and factor_to_base go together")
        return self


class UnitOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [item_examples.UNIT_OUT]})

    id: int
    code: str
    name: str
    decimals: int
    rounding: Rounding
    base_unit: str | None
    factor_to_base: Annotated[Decimal, DecimalString] | None
    version: int


class UnitList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [item_examples.UNIT_LIST]})

    items: list[UnitOut]


class ConversionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [item_examples.CONVERSION_OUT]})

    item_code: str | None
    quantity: Annotated[Decimal, DecimalString]
    from_uom: str
    to_uom: str
    factor: Annotated[Decimal, DecimalString]
    exact: Annotated[Decimal, DecimalString] = Field(description="quantity x factor, unrounded")
    rounded: Annotated[Decimal, DecimalString] = Field(
        description="exact, rounded by the target unit's rule"
    )


# --- categories ------------------------------------------------------------------------


class CategoryCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [item_examples.CATEGORY_CREATE]}
    )

    code: Code
    name: str = Field(min_length=1, max_length=200)
    attribute_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object"},
        description="JSON Schema (draft 2020-12) for the custom attributes of its items",
    )


class CategoryUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [item_examples.CATEGORY_UPDATE]}
    )

    name: str | None = Field(None, min_length=1, max_length=200)
    attribute_schema: dict[str, Any] | None = None

    _nn = field_validator("name", "attribute_schema")(_not_null)


class CategoryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [item_examples.CATEGORY_OUT]})

    id: int
    code: str
    name: str
    attribute_schema: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


CategoryPage = Page[CategoryOut]


# --- items -----------------------------------------------------------------------------


class LotSizingIn(BaseModel):
    """Lot-for-lot; a fixed quantity; or a minimum with an order multiple (reels of 5,000)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [item_examples.LOT_SIZING_IN]}
    )

    policy: LotSizing = LotSizing.LOT_FOR_LOT
    fixed_quantity: Quantity | None = None
    minimum_quantity: Quantity | None = None
    multiple: Quantity | None = None

    @model_validator(mode="after")
    def _fits_policy(self) -> LotSizingIn:
        errors = lot_sizing_errors(
            self.policy, self.fixed_quantity, self.minimum_quantity, self.multiple
        )
        if errors:
            raise ValueError("; ".join(f"{field}: {reason}" for field, reason in errors))
        return self


class LotSizingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [item_examples.LOT_SIZING_OUT]})

    policy: LotSizing
    fixed_quantity: Annotated[Decimal, DecimalString] | None
    minimum_quantity: Annotated[Decimal, DecimalString] | None
    multiple: Annotated[Decimal, DecimalString] | None


class ItemCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [item_examples.ITEM_CREATE]}
    )

    code: Code = Field(description="Unique item code integrators use")
    name: str = Field(min_length=1, max_length=200)
    specification: str = Field("", max_length=500, description="规格/型号")
    uom: UnitCode = Field(description="Stock unit, e.g. pcs; must be a known unit")
    item_type: ItemType
    procurement: Procurement | None = Field(
        None, description="Defaults to buy for raw materials, make otherwise"
    )
    tracking: Tracking = Tracking.NONE
    shelf_life_days: int | None = Field(None, ge=1, le=36500)
    category: str | None = Field(None, max_length=64, description="Category code")
    safety_stock: NonNegative = Decimal(0)
    lead_time_days: int = Field(0, ge=0, le=3650)
    lot_sizing: LotSizingIn = Field(default_factory=LotSizingIn)
    lifecycle: Lifecycle = Lifecycle.ACTIVE
    standard_cost: Money | None = restricted(
        read=COST_ROLES, write=COST_ROLES, default=None, ge=0, description="Finance only"
    )
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Custom attributes, checked by the category's schema"
    )


class ItemUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [item_examples.ITEM_UPDATE]}
    )

    name: str | None = Field(None, min_length=1, max_length=200)
    specification: str | None = Field(None, max_length=500)
    uom: str | None = Field(None, min_length=1, max_length=20)
    procurement: Procurement | None = None
    tracking: Tracking | None = None
    shelf_life_days: int | None = Field(None, ge=1, le=36500)
    category: str | None = Field(None, max_length=64)
    safety_stock: NonNegative | None = None
    lead_time_days: int | None = Field(None, ge=0, le=3650)
    lot_sizing: LotSizingIn | None = None
    lifecycle: Lifecycle | None = None
    standard_cost: Money | None = restricted(
        read=COST_ROLES, write=COST_ROLES, default=None, ge=0, description="Finance only"
    )
    attributes: dict[str, Any] | None = None

    _nn = field_validator(
        "name",
        "uom",
        "procurement",
        "tracking",
        "safety_stock",
        "lead_time_days",
        "lot_sizing",
        "lifecycle",
        "attributes",
    )(_not_null)


class ItemOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [item_examples.ITEM_OUT]})

    id: int
    code: str
    name: str
    specification: str
    uom: str
    item_type: ItemType
    procurement: Procurement
    tracking: Tracking
    shelf_life_days: int | None
    category: str | None
    safety_stock: Annotated[Decimal, DecimalString]
    lead_time_days: int
    lot_sizing: LotSizingOut
    lifecycle: Lifecycle
    standard_cost: Annotated[Decimal, DecimalString] | None = restricted(
        read=COST_ROLES, default=None, description="Finance and admin only"
    )
    attributes: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


ItemPage = Page[ItemOut]


class UnitConversionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [item_examples.UNIT_CONVERSION_IN]}
    )

    uom: UnitCode
    factor: Factor = Field(description="1 uom = factor x the item's stock unit")


class UnitConversionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [item_examples.UNIT_CONVERSION_OUT]})

    uom: str
    factor: Annotated[Decimal, DecimalString]


class UnitConversionList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [item_examples.UNIT_CONVERSION_LIST]})

    item_code: str
    stock_uom: str
    items: list[UnitConversionOut]


class ManufacturerPartCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [item_examples.MANUFACTURER_PART_CREATE]}
    )

    manufacturer: str = Field(min_length=1, max_length=100)
    mpn: str = Field(min_length=1, max_length=100, description="Manufacturer part number")
    approved: bool = True
    priority: int = Field(1, ge=1, le=99, description="1 is preferred")
    notes: str = Field("", max_length=500)


class ManufacturerPartUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [item_examples.MANUFACTURER_PART_UPDATE]}
    )

    approved: bool | None = None
    priority: int | None = Field(None, ge=1, le=99)
    notes: str | None = Field(None, max_length=500)

    _nn = field_validator("approved", "priority", "notes")(_not_null)


class ManufacturerPartOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [item_examples.MANUFACTURER_PART_OUT]})

    id: int
    item_id: int
    item_code: str
    manufacturer: str
    mpn: str
    approved: bool
    priority: int
    notes: str
    created_at: datetime


class ManufacturerPartList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [item_examples.MANUFACTURER_PART_LIST]}
    )

    items: list[ManufacturerPartOut]


# --- routings --------------------------------------------------------------------------


class OperationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [bom_examples.OPERATION_IN]}
    )

    sequence: int = Field(ge=1, le=99999, description="Order of the operation (10, 20, ...)")
    code: str = Field(min_length=1, max_length=32, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    work_center: str = Field(min_length=1, max_length=64)
    standard_minutes: Minutes = Field(description="Run time per unit")
    setup_minutes: Minutes = Decimal(0)


class RoutingIn(BaseModel):
    """A made item's operations; PUT replaces them all."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [bom_examples.ROUTING_IN]}
    )

    description: str = Field("", max_length=500)
    operations: list[OperationIn] = Field(min_length=1, max_length=500)


class RoutingCreate(RoutingIn):
    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.ROUTING_CREATE]})

    item_code: Code


class OperationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.OPERATION_OUT]})

    sequence: int
    code: str
    name: str
    work_center: str
    standard_minutes: Annotated[Decimal, DecimalString]
    setup_minutes: Annotated[Decimal, DecimalString]


class RoutingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.ROUTING_OUT]})

    id: int
    item_id: int
    item_code: str
    description: str
    operations: list[OperationOut]
    version: int
    created_at: datetime
    updated_at: datetime


RoutingPage = Page[RoutingOut]


# --- BOM versions ----------------------------------------------------------------------


class SubstituteIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [bom_examples.SUBSTITUTE_IN]}
    )

    component_code: Code
    priority: int = Field(1, ge=1, le=99, description="1 is tried first after the primary")
    ratio: Ratio = Field(Decimal(1), description="Substitute units per primary unit")


class BomLineIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [bom_examples.BOM_LINE_IN]}
    )

    position: int | None = Field(
        None, ge=1, le=999999, description="Line number; defaults to 10, 20, ... in order"
    )
    component_code: Code
    quantity: Quantity = Field(description="Per base quantity of the parent")
    uom: str | None = Field(None, max_length=20, description="Defaults to the stock unit")
    scrap_percent: Percent = Decimal(0)
    fixed_quantity: NonNegative = Field(
        Decimal(0), description="Per order, on top of the per-unit quantity (setup loss)"
    )
    rounding_multiple: Quantity | None = Field(
        None, description="Issue in whole multiples of this (reels, packs)"
    )
    phantom: bool = Field(False, description="Pass-through kit: its components are used")
    consumable: bool = Field(False, description="Expensed, not tracked per build")
    backflush: bool = False
    designators: str = Field("", max_length=20000, description='e.g. "R1, R3-R5"')
    operation_code: str | None = Field(None, max_length=32, description="Routing operation")
    notes: str = Field("", max_length=500)
    substitutes: list[SubstituteIn] = Field(default_factory=list, max_length=20)


class BomCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [bom_examples.BOM_CREATE]}
    )

    item_code: Code = Field(description="The made item this BOM builds")
    revision: str = Field(min_length=1, max_length=20, pattern=CODE_PATTERN)
    description: str = Field("", max_length=500)
    base_quantity: Quantity = Field(Decimal(1), description="Lines are per this quantity")
    effective_from: date | None = None
    effective_to: date | None = None
    lines: list[BomLineIn] = Field(default_factory=list, max_length=20000)

    @model_validator(mode="after")
    def _window(self) -> BomCreate:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class BomUpdate(BaseModel):
    """A draft's new content; PUT replaces description, base quantity, window and lines."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [bom_examples.BOM_UPDATE]}
    )

    description: str = Field("", max_length=500)
    base_quantity: Quantity = Decimal(1)
    effective_from: date | None = None
    effective_to: date | None = None
    lines: list[BomLineIn] = Field(default_factory=list, max_length=20000)

    @model_validator(mode="after")
    def _window(self) -> BomUpdate:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class BomRelease(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [bom_examples.BOM_RELEASE]}
    )

    effective_from: date | None = Field(
        None, description="Defaults to the draft's, else today"
    )
    effective_to: date | None = Field(None, description="Defaults to the draft's (open-ended)")
    allow_end_of_life: bool = Field(
        False, description="Release even though a component is at end of life"
    )
    supersede: bool = Field(
        False,
        description="End the open-ended released version that overlaps on the day before",
    )


class BomRevise(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [bom_examples.BOM_REVISE]}
    )

    revision: str = Field(min_length=1, max_length=20, pattern=CODE_PATTERN)


class SubstituteOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.SUBSTITUTE_OUT]})

    component_id: int
    component_code: str
    priority: int
    ratio: Annotated[Decimal, DecimalString]


class BomLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.BOM_LINE_OUT]})

    position: int
    component_id: int
    component_code: str
    component_name: str
    quantity: Annotated[Decimal, DecimalString]
    uom: str
    scrap_percent: Annotated[Decimal, DecimalString]
    fixed_quantity: Annotated[Decimal, DecimalString]
    rounding_multiple: Annotated[Decimal, DecimalString] | None
    phantom: bool
    consumable: bool
    backflush: bool
    designators: str
    designator_count: int
    operation_code: str | None
    notes: str
    substitutes: list[SubstituteOut]


class BomSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.BOM_SUMMARY]})

    id: int
    item_id: int
    item_code: str
    revision: str
    status: str
    effective_from: date | None
    effective_to: date | None
    base_quantity: Annotated[Decimal, DecimalString]
    description: str
    revised_from_id: int | None
    released_at: datetime | None
    released_by: str | None
    line_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class BomOut(BomSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.BOM_OUT]})

    approval: ApprovalState = Field(
        ApprovalState.NOT_REQUIRED,
        description="Whether the approval gate held its release, and the outcome",
    )
    approval_ref: str = Field("", description="The workflow instance that decided it, if any")
    release_request: dict[str, Any] | None = Field(
        None,
        description="While pending: the release body as given, released on approval",
    )
    lines: list[BomLineOut]


# --- approvals -------------------------------------------------------------------------


class ApprovalDecision(approvals.ApprovalDecision):
    """Workflow's decision on a BOM version whose release waits for approval: `approved`
    releases it (as `POST .../release` would), anything else leaves it a draft."""

    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.APPROVAL_DECISION]})


class ApprovalGateIn(approvals.ApprovalGateIn):
    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.APPROVAL_GATE_IN]})

    required: bool = Field(description="Whether BOM releases from now on wait for approval")


class ApprovalGateOut(approvals.ApprovalGateOut):
    model_config = ConfigDict(json_schema_extra={"examples": [bom_examples.APPROVAL_GATE_OUT]})

    document_type: str = Field(description="Always `bom_release`")


BomPage = Page[BomSummary]
