"""Response model of `GET /v1/planning-data`: what MRP reads from the catalog in one call.

The answer is written as JSON directly by `usecases.planning` for speed (tens of
megabytes for a big catalog); these models are its contract (the OpenAPI schema, and
what the tests validate the answers against). Quantities are decimal strings without
exponent or trailing zeros. No cost is included.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.catalog import query_examples
from services.catalog.domain.items import ItemType, Lifecycle, LotSizing, Procurement
from shared.schemas import DecimalString

Dec = Annotated[Decimal, DecimalString]


class PlanningLotSizingOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [query_examples.PLANNING_LOT_SIZING_OUT]}
    )

    policy: LotSizing
    fixed_quantity: Dec | None = Field(description="In the item's stock unit (policy fixed)")
    minimum_quantity: Dec | None = Field(description="In the item's stock unit (policy minimum)")
    multiple: Dec | None = Field(description="Order multiple in the item's stock unit (minimum)")


class PlanningItemOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.PLANNING_ITEM_OUT]})

    id: int
    code: str
    name: str
    uom: str = Field(description="The stock unit: every quantity of the item is in it")
    item_type: ItemType
    procurement: Procurement
    lead_time_days: int
    safety_stock: Dec
    lot_sizing: PlanningLotSizingOut
    lifecycle: Lifecycle = Field(
        description="Every lifecycle is listed (obsolete items too); this says which"
    )
    low_level_code: int = Field(
        description="Deepest level in any released BOM, substitutes included (0 = never a "
        "component)"
    )


class PlanningSubstituteOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [query_examples.PLANNING_SUBSTITUTE_OUT]}
    )

    component_id: int
    component_code: str
    priority: int = Field(description="1 is tried first")
    ratio: Dec = Field(description="Substitute units per unit of the primary component")


class PlanningLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.PLANNING_LINE_OUT]})

    position: int
    component_id: int
    component_code: str
    quantity: Dec = Field(description="As entered: in `uom`, per `base_quantity` of the parent")
    uom: str = Field(description="The line's unit")
    quantity_per: Dec | None = Field(
        description="Component stock units per one stock unit of the parent, scrap not "
        "included (quantity / base_quantity, converted from the line's unit); null when "
        "the line's unit does not convert (see conversion_problem)"
    )
    scrap_percent: Dec
    fixed_quantity: Dec | None = Field(
        description="Component stock units per order of the parent, added once; null when "
        "the line's unit does not convert"
    )
    rounding_multiple: Dec | None = Field(
        description="In component stock units; null when none is set or the unit does not convert"
    )
    phantom: bool = Field(description="Passed through: its own released BOM is exploded instead")
    backflush: bool
    operation_code: str | None
    substitutes: list[PlanningSubstituteOut] = Field(description="By priority")
    conversion_problem: str | None = Field(
        description="Why the line's unit does not convert to the component's stock unit "
        "(null when it does)"
    )


class PlanningBomOut(BaseModel):
    """A released BOM version; MRP picks the one effective on each date."""

    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.PLANNING_BOM_OUT]})

    id: int
    item_id: int
    item_code: str
    revision: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    base_quantity: Dec = Field(description="Parent stock units the line quantities are for")
    lines: list[PlanningLineOut] = Field(description="In position order")


class PlanningDataOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [query_examples.PLANNING_DATA_OUT]})

    graph_stamp: int = Field(
        description="The bom_graph_stamp items and BOMs were read at (both are of that state)"
    )
    items: list[PlanningItemOut] = Field(description="Every item, by id")
    boms: list[PlanningBomOut] = Field(
        description="Every released BOM version (all effectivity windows), by id; drafts and "
        "obsolete versions are left out"
    )
