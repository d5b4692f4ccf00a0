"""Trace request and response models: the public contract."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.trace import genealogy_examples, operation_examples
from shared.http.pagination import Page
from shared.schemas import Moment, Quantity, SignedQuantity

NodeKind = Literal["lot", "serial"]


# --- MES records -------------------------------------------------------------------------


class MeasurementIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [operation_examples.MEASUREMENT_IN]}
    )

    name: str = Field(min_length=1, max_length=100, description="e.g. `output_power`")
    value: str = Field(max_length=100, description="As measured, e.g. `3.02`")
    unit: str = Field("", max_length=20)
    low: str = Field("", max_length=100, description="Lower limit, if any")
    high: str = Field("", max_length=100, description="Upper limit, if any")
    result: str = Field("", max_length=20, description="pass / fail for this measurement")


class ComponentAssignmentIn(BaseModel):
    """A component that went into the record's unit: one lot, or one serial-tracked unit."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [operation_examples.COMPONENT_IN]}
    )

    item_code: str = Field(min_length=1, max_length=64)
    lot_number: str | None = Field(None, min_length=1, max_length=100)
    serial_number: str | None = Field(None, min_length=1, max_length=100)
    quantity: Quantity = Field(Decimal(1), description="In the component's stock unit")

    @model_validator(mode="after")
    def _one_unit(self) -> ComponentAssignmentIn:
        if not self.lot_number and not self.serial_number:
            raise ValueError("a component names its lot_number or serial_number")
        return self


class OperationIn(BaseModel):
    """An operation or test record from MES, about a work order and optionally one unit
    (a serial) or lot of its output."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [operation_examples.OPERATION_IN]}
    )

    record_id: str = Field(
        min_length=1,
        max_length=100,
        description="MES's id of the record: sending it again changes nothing",
    )
    kind: Literal["operation", "test"] = Field(
        "operation", description="`test` records are QC records of the unit as well"
    )
    work_order: str = Field(min_length=1, max_length=100)
    item_code: str | None = Field(
        None, min_length=1, max_length=64, description="The unit's item (with a serial or lot)"
    )
    serial_number: str | None = Field(None, min_length=1, max_length=100)
    lot_number: str | None = Field(None, min_length=1, max_length=100)
    operation: str = Field("", max_length=100, description="Routing step, e.g. 0030 SMT")
    station: str = Field("", max_length=100)
    operator: str = Field("", max_length=200)
    result: str = Field("ok", min_length=1, max_length=20, description="e.g. ok, ng, pass, fail")
    started_at: Moment | None = None
    finished_at: Moment | None = None
    measurements: list[MeasurementIn] = Field(default_factory=list, max_length=500)
    components: list[ComponentAssignmentIn] = Field(
        default_factory=list,
        max_length=500,
        description="Exactly which lots or units went into this unit; they narrow the "
        "work order's genealogy for it",
    )
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _consistent(self) -> OperationIn:
        unit = self.serial_number or self.lot_number
        if unit and not self.item_code:
            raise ValueError("item_code is needed with a serial_number or lot_number")
        if self.item_code and not unit:
            raise ValueError("item_code names a unit: give its serial_number or lot_number")
        if self.components and not unit:
            raise ValueError("components need the unit they went into (serial_number or lot)")
        if self.started_at and self.finished_at and self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        return self


class OperationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [operation_examples.OPERATION_OUT]})

    id: int
    record_id: str
    source: str = Field(description="`mes` (pushed) or `mrp` (a completion in mrp's feed)")
    kind: str
    work_order: str
    item_code: str | None
    serial_number: str | None
    lot_number: str | None
    operation: str
    station: str
    operator: str
    result: str
    started_at: datetime | None
    finished_at: datetime | None
    measurements: list[MeasurementIn]
    components: list[ComponentAssignmentIn]
    note: str
    recorded_at: datetime


class OperationPage(Page[OperationOut]):
    pass


# --- genealogy ----------------------------------------------------------------------------


class QcRecordOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.QC_RECORD_OUT]})

    kind: str = Field(description="`inspection` (stock) or `test` (MES)")
    document_number: str = Field(description="Inspection number or MES record id")
    result: str
    inspector: str
    accepted_quantity: SignedQuantity | None
    rejected_quantity: SignedQuantity | None
    occurred_at: datetime


class StepOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.STEP_OUT]})

    record_id: str
    source: str
    operation: str
    station: str
    operator: str
    result: str
    started_at: datetime | None
    finished_at: datetime | None


class PlaceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.PLACE_OUT]})

    location_code: str
    quality_state: str
    quantity: SignedQuantity


class NodeOut(BaseModel):
    """A lot or a serial-tracked unit, with where it came from and where it is."""

    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.NODE_OUT]})

    id: int
    kind: NodeKind
    item_code: str
    lot_number: str | None = Field(description="The lot, or the unit's lot if any")
    serial_number: str | None
    work_order: str | None = Field(description="The work order that produced it")
    bom_revision: str | None = Field(description="As built: the revision its work order used")
    supplier: str
    supplier_lot: str
    date_code: str
    purchase_order: str
    receipt_number: str
    receipt_date: date | None
    expiry_date: date | None
    status: str = Field(
        description="in_stock (a lot: some of it), consumed, shipped, returned, scrapped, "
        "lost, withdrawn; unknown while only MES has named it"
    )
    in_stock: list[PlaceOut] = Field(description="Where it is in our stock now")
    sales_order: str = Field(description="For a shipped unit: the order it shipped on")
    customer: str


class TraceNodeOut(NodeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.TRACE_NODE_OUT]})

    depth: int = Field(description="Levels from the start node (0)")
    via_work_order: str | None = Field(
        description="The work order joining it to its parent in the tree"
    )
    link: str | None = Field(
        description="How it joined: consumed, issued, produced, or assigned (MES, per unit)"
    )
    quantity: SignedQuantity | None = Field(description="Quantity along that link")
    steps: list[StepOut] = Field(description="Operations of its work order (and of it)")
    qc_records: list[QcRecordOut]
    repeated: Literal[False] = False
    children: list[TraceNodeOut | TraceRefOut] = Field(default_factory=list)


class TraceRefOut(BaseModel):
    """A node met again in the tree: shown in full where the walk first met it."""

    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.TRACE_REF_OUT]})

    id: int
    kind: NodeKind
    item_code: str
    lot_number: str | None
    serial_number: str | None
    depth: int
    via_work_order: str | None
    link: str | None
    quantity: SignedQuantity | None
    repeated: Literal[True] = True


class BackwardTraceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [genealogy_examples.BACKWARD_TRACE_OUT]}
    )

    root: TraceNodeOut
    depth_limit: int | None
    complete: bool = Field(description="False when the depth limit cut the tree")
    node_count: int
    supplier_lots: list[NodeOut] = Field(description="Purchased lots and units at the leaves")


class GraphNodeOut(NodeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.GRAPH_NODE_OUT]})

    depth: int = Field(description="Shortest number of links from the start node")
    steps: list[StepOut]
    qc_records: list[QcRecordOut]


class GraphEdgeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.GRAPH_EDGE_OUT]})

    parent_id: int = Field(description="The node made")
    child_id: int = Field(description="What went into it")
    work_order: str | None
    link: str = Field(description="consumed, issued, or assigned (MES, per unit)")
    quantity: SignedQuantity


class BackwardGraphOut(BaseModel):
    """`shape=graph`: every node once and every edge once."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [genealogy_examples.BACKWARD_GRAPH_OUT]}
    )

    root_id: int
    depth_limit: int | None
    complete: bool
    node_count: int
    nodes: list[GraphNodeOut] = Field(description="By depth")
    edges: list[GraphEdgeOut]
    supplier_lots: list[NodeOut]


class ShipmentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.SHIPMENT_OUT]})

    node_id: int
    item_code: str
    lot_number: str | None
    serial_number: str | None
    quantity: SignedQuantity
    sales_order: str
    customer: str
    document_number: str
    shipped_at: datetime


class ForwardNodeOut(NodeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.FORWARD_NODE_OUT]})

    depth: int
    via_work_order: str | None


class ForwardTraceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [genealogy_examples.FORWARD_TRACE_OUT]}
    )

    start: NodeOut
    depth_limit: int | None
    complete: bool
    nodes: list[ForwardNodeOut] = Field(description="Every downstream lot and unit, by depth")
    shipments: list[ShipmentOut]


class StateCount(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.STATE_COUNT]})

    status: str
    nodes: int


class CustomerImpact(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.CUSTOMER_IMPACT]})

    customer: str
    sales_orders: list[str]
    units: int
    quantity: SignedQuantity


class RecallReportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [genealogy_examples.RECALL_REPORT_OUT]}
    )

    start: NodeOut
    counts: list[StateCount]
    finished: list[ForwardNodeOut] = Field(description="Reached nodes nothing was made from")
    customers: list[CustomerImpact]
    shipments: list[ShipmentOut]
    quarantine_locations: list[str] | None = Field(
        description="Stock's quarantine locations (null: stock could not be asked, and "
        "everything still in stock is listed as to quarantine)"
    )
    to_quarantine: list[ForwardNodeOut] = Field(
        description="The start and the reached lots and units in our stock outside "
        "quarantine, with only those places"
    )
    quarantined: list[ForwardNodeOut] = Field(
        description="The same, already in a quarantine location, with only those places"
    )


class HistoryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.HISTORY_OUT]})

    seq: int = Field(description="Position in stock's feed")
    action: str
    document_type: str
    document_number: str
    from_location: str
    to_location: str
    from_state: str
    to_state: str
    quantity: SignedQuantity
    work_order: str
    sales_order: str
    customer: str
    occurred_at: datetime


class NodeDetail(NodeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.NODE_DETAIL]})

    history: list[HistoryOut]
    steps: list[StepOut]
    qc_records: list[QcRecordOut]


class NodePage(Page[NodeOut]):
    pass


class QuarantineIn(BaseModel):
    """Move everything of a recall still in our stock to a quarantine location."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [genealogy_examples.QUARANTINE_IN]}
    )

    item_code: str = Field(min_length=1, max_length=64, description="The bad lot's item")
    lot_number: str | None = Field(None, min_length=1, max_length=100)
    serial_number: str | None = Field(None, min_length=1, max_length=100)
    to_location_code: str = Field(
        min_length=1, max_length=100, description="A quarantine location in stock"
    )
    note: str = Field("", max_length=300)

    @model_validator(mode="after")
    def _one(self) -> QuarantineIn:
        if bool(self.lot_number) == bool(self.serial_number):
            raise ValueError("give exactly one of lot_number and serial_number")
        return self


class QuarantineTransfer(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [genealogy_examples.QUARANTINE_TRANSFER]}
    )

    from_location_code: str
    transfer_number: str
    lines: int
    quantity: SignedQuantity


class QuarantineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [genealogy_examples.QUARANTINE_OUT]})

    start: NodeOut
    to_location_code: str
    transfers: list[QuarantineTransfer] = Field(description="Posted in stock, one per location")
    already_there: int = Field(
        description="Places (lot or unit, location, quality state) already in quarantine or "
        "in the target location"
    )
