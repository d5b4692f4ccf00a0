"""MRP tables: demands (sales orders, forecasts), purchase and work orders, MRP runs and
what they planned, and the stock movements already applied to the orders.

Items are named by catalog code (`item_code`) and id (`item_id`, the catalog's); a code
never changes once created, so either names the same item.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.approvals import ApprovalGateColumns, HeldForApproval
from shared.db.tables import NAMING_CONVENTION
from shared.db.types import BigId, ExactDecimal, UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _Stamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


# --- demands ---------------------------------------------------------------------------


class SalesOrder(_Stamped, Base):
    __tablename__ = "sales_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: The customer's or ERP's order number, or SO- and 8 digits.
    number: Mapped[str] = mapped_column(String(100), unique=True)
    customer: Mapped[str] = mapped_column(String(200), index=True)
    #: open, closed (nothing more to ship), cancelled.
    status: Mapped[str] = mapped_column(String(12), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


class SalesOrderLine(Base):
    __tablename__ = "sales_order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(BigInteger, index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    due_date: Mapped[date] = mapped_column(Date)
    #: From stock's shipments that name the order (reversals count back).
    shipped_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0))


class Forecast(_Stamped, Base):
    __tablename__ = "forecasts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    item_id: Mapped[int] = mapped_column(BigInteger, index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    due_date: Mapped[date] = mapped_column(Date, index=True)
    #: active or cancelled.
    status: Mapped[str] = mapped_column(String(12), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


# --- purchase orders -------------------------------------------------------------------


class PurchaseOrder(_Stamped, Base):
    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: The ERP's number, or PO- and 8 digits; stock receipts name it as `purchase_order`.
    number: Mapped[str] = mapped_column(String(100), unique=True)
    supplier: Mapped[str] = mapped_column(String(200), index=True)
    #: open, closed, cancelled.
    status: Mapped[str] = mapped_column(String(12), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    #: The planned order it was firmed from ("<run number>/<planned number>"), if any.
    planned_order: Mapped[str] = mapped_column(String(60), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(BigInteger, index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    due_date: Mapped[date] = mapped_column(Date)
    #: From stock's purchase receipts that name the order (reversals count back).
    received_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0))


# --- work orders -----------------------------------------------------------------------


class WorkOrder(_Stamped, Base):
    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: WO- and 8 digits, or the number MES or the ERP gave it; stock documents name it.
    number: Mapped[str] = mapped_column(String(100), unique=True)
    item_id: Mapped[int] = mapped_column(BigInteger, index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: planned, released, in_progress, completed, closed, cancelled.
    status: Mapped[str] = mapped_column(String(12), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    #: The BOM version named on creation, or pinned on release (effective at the start).
    bom_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bom_revision: Mapped[str] = mapped_column(String(20), default="")
    #: The production line components are issued to and backflushed from.
    wip_location_code: Mapped[str] = mapped_column(String(100), default="")
    #: Where completed output goes.
    output_location_code: Mapped[str] = mapped_column(String(100), default="")
    produced_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0))
    scrapped_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0))
    planned_order: Mapped[str] = mapped_column(String(60), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class WorkOrderComponent(Base):
    """One component of a released work order (the pinned BOM, phantoms passed through)."""

    __tablename__ = "work_order_components"
    __table_args__ = (UniqueConstraint("work_order_id", "item_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(BigInteger, index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    #: Component stock units per one unit of the work order's item, scrap included.
    quantity_per: Mapped[Decimal] = mapped_column(ExactDecimal(28, 10))
    #: Per work order, once (setup loss), in component stock units.
    fixed_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0))
    required_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    backflush: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Kept current from stock's feed: reservations, requisitions, production receipts.
    reserved_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0))
    issued_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0))
    consumed_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0))


class AppliedMovement(Base):
    """A stock movement already counted on an order (each movement counts once, whichever
    event carried it)."""

    __tablename__ = "applied_movements"

    movement_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- MRP runs ------------------------------------------------------------------------


class MrpRun(Base):
    __tablename__ = "mrp_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    #: regenerative or net_change.
    mode: Mapped[str] = mapped_column(String(12))
    #: completed or failed.
    status: Mapped[str] = mapped_column(String(12), index=True)
    run_date: Mapped[date] = mapped_column(Date)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    catalog_stamp: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))


class PlannedOrderRow(HeldForApproval, Base):
    __tablename__ = "planned_orders"
    __table_args__ = (
        UniqueConstraint("run_id", "number"),
        Index("ix_planned_orders_run_item", "run_id", "item_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: No foreign key, as for pegs: written in bulk with the run.
    run_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(BigInteger)
    item_code: Mapped[str] = mapped_column(String(64))
    procurement: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    release_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    bom_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    low_level_code: Mapped[int] = mapped_column(Integer, default=0)
    #: planned, or firmed (then `firmed_as` names the purchase or work order).
    status: Mapped[str] = mapped_column(String(10))
    firmed_as: Mapped[str] = mapped_column(String(100), default="")
    #: The `FirmRequest` held while the firming waits for approval.
    firm_request: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    approval_requested_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ApprovalGate(ApprovalGateColumns, Base):
    """A document type whose documents wait for workflow's decision (here only
    `planned_order_firming`; set by workflow when a flow for it is activated or
    deactivated)."""

    __tablename__ = "approval_gates"


class PegRow(Base):
    """Single-level pegging: what a planned order's quantity serves, an independent demand
    or a component requirement of a parent planned order of the same run (by number).

    Keyed by (run, order number, position): a run writes hundreds of thousands at once,
    so the table keeps only the indexes its walks need (down from a demand, then from
    parent orders to their components)."""

    __tablename__ = "planned_order_pegs"
    __table_args__ = (
        Index("ix_planned_order_pegs_parent", "run_id", "parent_number"),
        Index(
            "ix_planned_order_pegs_demand",
            "run_id",
            "demand_ref",
            postgresql_where=text("demand_ref IS NOT NULL"),
            sqlite_where=text("demand_ref IS NOT NULL"),
        ),
    )

    #: No foreign key: a run copies its pegs in bulk in the run's own transaction, and a
    #: per-row key check would cost a third of the copy.
    run_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    demand_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    parent_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    required_on: Mapped[date] = mapped_column(Date)
    safety_stock: Mapped[bool] = mapped_column(Boolean, default=False)


class RunException(Base):
    __tablename__ = "mrp_exceptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("mrp_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    item_code: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0))
    current_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    suggested_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class RunShortage(Base):
    __tablename__ = "mrp_shortages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("mrp_runs.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    first_short_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    late_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())


class RunSubstitution(Base):
    __tablename__ = "mrp_substitutions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("mrp_runs.id"), index=True)
    primary_code: Mapped[str] = mapped_column(String(64))
    substitute_code: Mapped[str] = mapped_column(String(64))
    primary_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    substitute_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    required_on: Mapped[date] = mapped_column(Date)
    demand_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    parent_number: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Completion(Base):
    """An MES completion event, posted once: its production receipt and its answer."""

    __tablename__ = "completions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: MES's id of the event: a retry of the same event finds this row.
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    #: Hash of the request, so the same event id with another body is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    production_receipt_id: Mapped[int] = mapped_column(BigInteger)
    production_receipt_number: Mapped[str] = mapped_column(String(30))
    produced_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    scrapped_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    operation: Mapped[str] = mapped_column(String(100), default="")
    station: Mapped[str] = mapped_column(String(100), default="")
    operator: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The answer given the first time (replayed to retries).
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
