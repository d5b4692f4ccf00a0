"""The movement summary report's models: the public contract of
`/v1/reports/movement-summary`."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.stock import report_examples as ex
from services.stock.schemas import COST_ROLES, Worth
from shared.policy import restricted
from shared.schemas import SignedQuantity


class MovementMeasures(BaseModel):
    """What moved in a row (or in the whole report) over the period."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.MOVEMENT_MEASURES]})

    uom: str | None = Field(
        description="The stock unit of the quantities; null when they mix units (the "
        "quantities are then null, values still add up) or the catalog does not know the item"
    )
    received_quantity: SignedQuantity | None = Field(
        description="Arrived from outside the stock (a supplier, a customer, production, a "
        "count, an opening balance); null: mixed units"
    )
    received_value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="What the received quantity was booked at (finance, admin)",
    )
    issued_quantity: SignedQuantity | None = Field(
        description="Left the stock (to production, a customer, scrap, the supplier, a count "
        "loss); null: mixed units"
    )
    issued_value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="What the issued quantity was worth at moving-average cost (finance, admin)",
    )
    moved_in_quantity: SignedQuantity | None = Field(
        description="Arrived from another stock location or quality state (transfers, "
        "inspections): the item's stock did not change; null: mixed units"
    )
    moved_out_quantity: SignedQuantity | None = Field(
        description="Left for another stock location or quality state; null: mixed units"
    )
    net_quantity: SignedQuantity | None = Field(description="received - issued; null: mixed units")
    net_value: Worth | None = restricted(
        read=COST_ROLES,
        default=None,
        description="received - issued value, revaluations of back-dated postings included; "
        "for all the stock, the change of its value over the period (finance, admin)",
    )
    movements: int = Field(
        description="Ledger movements counted in the row; a reversal takes its original "
        "back, and a movement between two stock locations counts at each end"
    )


class MovementSummaryRow(MovementMeasures):
    """One group of the summary: a movement kind, with an item, a warehouse or a stage."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.MOVEMENT_SUMMARY_ROW]})

    kind: str = Field(
        description="The movement kind: the document type that posted it (purchase_receipt, "
        "inspection, transfer, requisition, scrap, supplier_return, customer_return, "
        "production_receipt, shipment, stock_count, opening_balance, defective_release)"
    )
    key: str | None = Field(
        description="After group_by: the item code (kind_item), the warehouse code "
        "(kind_warehouse) or the stage (kind_stage); null for group_by=kind"
    )
    item_name: str | None = Field(
        default=None,
        description="The item's name (kind_item; null if the catalog does not know it)",
    )


class MovementSummaryReport(BaseModel):
    """Inbound and outbound stock by movement kind over a period of days."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.MOVEMENT_SUMMARY]})

    date_from: date = Field(description="The period's first day (UTC), included")
    date_to: date = Field(description="The period's last day (UTC), included")
    group_by: str = Field(description="kind, kind_item, kind_warehouse or kind_stage")
    rows: list[MovementSummaryRow] = Field(
        description="By kind, then key (null last); groups where nothing moved are left out"
    )
    totals: MovementMeasures = Field(description="Every row summed")
