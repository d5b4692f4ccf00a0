"""Response models of the BOM queries (explosion, requirements, where-used, LLC, cost, diff).

The big answers (explosion, requirements, where-used, low-level codes) are written as
JSON directly by `usecases.bom_queries` for speed; these models are their contract
(the OpenAPI schema, and what the tests validate the answers against).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.catalog import query_examples
from services.catalog.domain.bom_graph import CostSource, UsedAs
from services.catalog.schemas import COST_ROLES
from shared.policy import restricted
from shared.schemas import DecimalString

Dec = Annotated[Decimal, DecimalString]


class BomRef(BaseModel):
    """The BOM version a query was run on."""

    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.BOM_REF]})

    id: int
    item_id: int
    item_code: str
    item_name: str
    revision: str
    status: str
    base_quantity: Dec
    effective_from: dt.date | None
    effective_to: dt.date | None


class ItemRef(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.ITEM_REF]})

    id: int
    code: str
    name: str
    item_type: str
    lifecycle: str


class SubstituteRef(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.SUBSTITUTE_REF]})

    component_id: int
    component_code: str
    priority: int
    ratio: Dec = Field(description="Substitute units per primary unit")


# --- explosion ---------------------------------------------------------------------------


class ExplosionRowOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.EXPLOSION_ROW_OUT]})

    level: int = Field(description="1 = the exploded BOM's own lines")
    path: list[str] = Field(description="Item codes from the top item down to this component")
    position: int
    component_id: int
    component_code: str
    component_name: str
    item_type: str
    lifecycle: str
    uom: str = Field(description="Unit of the line (quantity_per, fixed and extended quantity)")
    quantity_per: Dec = Field(description="Per one unit of the parent, scrap excluded")
    scrap_percent: Dec
    fixed_quantity: Dec = Field(description="Per order of the parent, on top")
    extended_quantity: Dec = Field(
        description="For the requested quantity of the top item, scrap and fixed included"
    )
    phantom: bool = Field(description="Shown, and passed through to its own components")
    consumable: bool
    designators: str
    bom_id: int = Field(description="The BOM version this line belongs to (the parent's)")
    revision: str
    has_children: bool = Field(description="The component has an effective released BOM")
    child_bom_id: int | None = Field(description="The BOM version used for its components")
    child_revision: str | None
    cycle: bool = Field(description="The component is its own ancestor: not exploded again")
    substitutes: list[SubstituteRef]


class ExplosionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.EXPLOSION_OUT]})

    bom: BomRef
    quantity: Dec = Field(description="Units of the top item exploded")
    date: dt.date = Field(description="Released BOMs below the top are those effective then")
    max_levels: int | None
    row_count: int
    rows: list[ExplosionRowOut] = Field(description="Depth first, in position order")


class RequirementOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.REQUIREMENT_OUT]})

    component_id: int
    component_code: str
    component_name: str
    item_type: str
    uom: str = Field(description="The stock unit, unless the line's unit does not convert")
    quantity: Dec
    consumable: bool
    sub_assembly: bool = Field(
        description="A made component exploded further; its components are listed too"
    )
    occurrences: int = Field(description="Explosion rows summed into this total")
    lowest_level: int = Field(description="Deepest level it appears at")


class RequirementsOut(BaseModel):
    """Total requirements per component (phantoms passed through, not listed)."""

    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.REQUIREMENTS_OUT]})

    bom: BomRef
    quantity: Dec
    date: dt.date
    items: list[RequirementOut] = Field(description="By component code")


# --- where-used --------------------------------------------------------------------------


class WhereUsedRowOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.WHERE_USED_ROW_OUT]})

    level: int = Field(description="1 = direct parents")
    path: list[str] = Field(description="Item codes from the queried item up to this parent")
    parent_item_id: int
    parent_item_code: str
    parent_item_name: str
    parent_item_type: str
    bom_id: int
    revision: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    base_quantity: Dec
    position: int
    used_as: UsedAs
    quantity: Dec = Field(
        description="Of the used item per base quantity of the parent (substitutes: x ratio)"
    )
    uom: str
    priority: int | None = Field(description="Substitutes only")
    ratio: Dec | None = Field(description="Substitutes only")
    top_product: bool = Field(description="The parent is used nowhere: a top product")
    cycle: bool


class WhereUsedOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.WHERE_USED_OUT]})

    item: ItemRef
    multi_level: bool
    date: dt.date | None = Field(description="Only versions effective then; null = all released")
    rows: list[WhereUsedRowOut] = Field(description="Depth first, upwards")
    top_products: list[ItemRef] = Field(description="Distinct top products (multi-level only)")


# --- low-level codes ---------------------------------------------------------------------


class LowLevelCodeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.LOW_LEVEL_CODE_OUT]})

    item_id: int
    item_code: str
    low_level_code: int = Field(description="Deepest level in any released BOM; 0 = top/unused")


class LowLevelCodesOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.LOW_LEVEL_CODES_OUT]})

    graph_stamp: int = Field(description="Changes whenever items or released BOMs change")
    max_level: int
    item_count: int
    cyclic_item_codes: list[str] = Field(
        description="Items on a cycle of released versions (their code is a best effort)"
    )
    items: list[LowLevelCodeOut] = Field(description="Every item, by id")


# --- cost roll-up ------------------------------------------------------------------------


class CostLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.COST_LINE_OUT]})

    position: int
    component_id: int
    component_code: str
    component_name: str
    uom: str
    stock_uom: str
    quantity_per_unit: Dec = Field(description="In the line's unit per parent unit, scrap incl.")
    stock_quantity_per_unit: Dec | None = Field(
        description="In the component's stock unit (null: the unit does not convert)"
    )
    fixed_quantity: Dec
    cost_source: CostSource
    unit_cost: Dec | None = restricted(
        read=COST_ROLES, default=None, description="Per stock unit; null when missing"
    )
    cost_per_unit: Dec | None = restricted(
        read=COST_ROLES, default=None, description="Per parent unit"
    )
    fixed_cost_per_order: Dec | None = restricted(read=COST_ROLES, default=None)
    child_bom_id: int | None
    child_revision: str | None
    complete: bool = Field(description="False when a cost is missing here or below")


class MissingCostOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.MISSING_COST_OUT]})

    component_id: int
    component_code: str
    component_name: str
    paths: list[list[str]] = Field(description="Where it is used (a few paths)")


class CostRollupOut(BaseModel):
    """Material cost: per-unit totals include scrap; fixed quantities are costed per order."""

    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.COST_ROLLUP_OUT]})

    bom: BomRef
    date: dt.date
    cost_per_unit: Dec | None = restricted(
        read=COST_ROLES, default=None, description="Known cost per parent unit"
    )
    cost_per_base_quantity: Dec | None = restricted(read=COST_ROLES, default=None)
    fixed_cost_per_order: Dec | None = restricted(read=COST_ROLES, default=None)
    complete: bool = Field(description="False when some cost is missing (see missing)")
    lines: list[CostLineOut]
    missing: list[MissingCostOut]


# --- diff --------------------------------------------------------------------------------


class FieldChangeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.FIELD_CHANGE_OUT]})

    field: str
    before: str | bool | None
    after: str | bool | None


class DiffLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.DIFF_LINE_OUT]})

    position: int
    component_id: int
    component_code: str
    component_name: str
    quantity: Dec
    uom: str
    scrap_percent: Dec
    fixed_quantity: Dec
    phantom: bool
    consumable: bool
    designators: str
    operation_code: str | None
    substitutes: list[SubstituteRef]


class SubstituteChangeOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [query_examples.SUBSTITUTE_CHANGE_OUT]}
    )

    component_id: int
    component_code: str
    before_priority: int
    after_priority: int
    before_ratio: Dec
    after_ratio: Dec


class LineChangeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.LINE_CHANGE_OUT]})

    component_id: int
    component_code: str
    component_name: str
    before_position: int
    after_position: int
    changes: list[FieldChangeOut]
    designators_added: list[str]
    designators_removed: list[str]
    substitutes_added: list[SubstituteRef]
    substitutes_removed: list[SubstituteRef]
    substitutes_changed: list[SubstituteChangeOut]


class BomDiffOut(BaseModel):
    """From `before` (the `against` version) to `after` (the path's version)."""

    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.BOM_DIFF_OUT]})

    before: BomRef
    after: BomRef
    header_changes: list[FieldChangeOut]
    added: list[DiffLineOut]
    removed: list[DiffLineOut]
    changed: list[LineChangeOut]
    unchanged_count: int
