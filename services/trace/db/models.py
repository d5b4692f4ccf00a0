"""Trace tables: the genealogy graph, built only from other services' feeds and MES records.

* `trace_nodes`: one row per lot (`kind="lot"`, `code` = lot number) or serial-tracked
  unit (`kind="serial"`, `code` = serial number, `lot_number` = its lot if any) of an
  item, with its supplier facts, the work order that produced it and where it is now.
* `trace_work_orders`: what mrp says about a work order (item, BOM revision, status).
* `trace_links`: a node going into a work order (`role="input"`, `how` = issued by a
  requisition or consumed by a production receipt) or coming out of one
  (`role="output"`); `quantity` is the net quantity (reversals subtract). Genealogy edges
  go node -> work order -> node, so a work order of 10 inputs and 100 outputs is 110
  rows, not 1,000.
* `trace_assignments`: MES's per-unit component assignments (this lot went into that
  serial), which narrow a work order's links for the units they name.
* `trace_node_stock`: a lot's on-hand quantity per location and quality state.
* `trace_history`: every movement of a node, in ledger order.
* `trace_documents`: stock document numbers by type and id (movements carry the id).
* `trace_qc_records`, `trace_operations`: inspections and MES operation/test records.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.tables import NAMING_CONVENTION
from shared.db.types import BigId, ExactDecimal, UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TraceNode(Base):
    __tablename__ = "trace_nodes"
    __table_args__ = (
        UniqueConstraint("item_code", "kind", "code", name="uq_trace_nodes_item_kind_code"),
        Index("ix_trace_nodes_kind_code", "kind", "code"),
        Index("ix_trace_nodes_lot_item", "lot_number", "item_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(100))
    lot_number: Mapped[str] = mapped_column(String(100), default="")
    supplier: Mapped[str] = mapped_column(String(200), default="")
    supplier_lot: Mapped[str] = mapped_column(String(100), default="")
    date_code: Mapped[str] = mapped_column(String(20), default="")
    purchase_order: Mapped[str] = mapped_column(String(100), default="")
    receipt_number: Mapped[str] = mapped_column(String(50), default="")
    receipt_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    work_order: Mapped[str] = mapped_column(String(100), default="", index=True)
    status: Mapped[str] = mapped_column(String(20), default="in_stock")
    location_code: Mapped[str] = mapped_column(String(100), default="")
    quality_state: Mapped[str] = mapped_column(String(30), default="")
    sales_order: Mapped[str] = mapped_column(String(100), default="")
    customer: Mapped[str] = mapped_column(String(200), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TraceWorkOrder(Base):
    __tablename__ = "trace_work_orders"

    number: Mapped[str] = mapped_column(String(100), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), default="")
    bom_revision: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(20), default="")
    quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TraceLink(Base):
    __tablename__ = "trace_links"
    __table_args__ = (
        UniqueConstraint("work_order", "role", "how", "node_id", name="uq_trace_links_key"),
        Index("ix_trace_links_node_role", "node_id", "role"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))
    how: Mapped[str] = mapped_column(String(10))
    node_id: Mapped[int] = mapped_column(BigId)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())


class TraceAssignment(Base):
    __tablename__ = "trace_assignments"
    __table_args__ = (
        UniqueConstraint("parent_id", "child_id", name="uq_trace_assignments_parent_child"),
        Index("ix_trace_assignments_child", "child_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int] = mapped_column(BigId)
    child_id: Mapped[int] = mapped_column(BigId)
    child_item_code: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    record_id: Mapped[str] = mapped_column(String(100))


class TraceNodeStock(Base):
    __tablename__ = "trace_node_stock"

    node_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    location_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    quality_state: Mapped[str] = mapped_column(String(30), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())


class TraceHistory(Base):
    __tablename__ = "trace_history"
    __table_args__ = (
        UniqueConstraint("source_seq", "node_id", name="uq_trace_history_seq_node"),
        Index("ix_trace_history_node", "node_id", "source_seq"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    node_id: Mapped[int] = mapped_column(BigId)
    source_seq: Mapped[int] = mapped_column(BigInteger)
    movement_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(20))
    document_type: Mapped[str] = mapped_column(String(50))
    document_id: Mapped[int] = mapped_column(BigInteger)
    from_location: Mapped[str] = mapped_column(String(100))
    to_location: Mapped[str] = mapped_column(String(100))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    reversal: Mapped[bool] = mapped_column(default=False)
    work_order: Mapped[str] = mapped_column(String(100), default="")
    sales_order: Mapped[str] = mapped_column(String(100), default="")
    customer: Mapped[str] = mapped_column(String(200), default="")
    supplier: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TraceDocument(Base):
    __tablename__ = "trace_documents"

    document_type: Mapped[str] = mapped_column(String(50), primary_key=True)
    document_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(50))


class TraceQcRecord(Base):
    __tablename__ = "trace_qc_records"
    __table_args__ = (
        UniqueConstraint("record_key", "node_id", name="uq_trace_qc_records_key_node"),
        Index("ix_trace_qc_records_node", "node_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    node_id: Mapped[int] = mapped_column(BigId)
    record_key: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    document_number: Mapped[str] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(20))
    inspector: Mapped[str] = mapped_column(String(200))
    accepted_quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    rejected_quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TraceOperation(Base):
    __tablename__ = "trace_operations"
    __table_args__ = (
        UniqueConstraint("record_id", name="uq_trace_operations_record_id"),
        Index("ix_trace_operations_work_order", "work_order"),
        Index("ix_trace_operations_node", "node_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    work_order: Mapped[str] = mapped_column(String(100))
    node_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    operation: Mapped[str] = mapped_column(String(100))
    station: Mapped[str] = mapped_column(String(100))
    operator: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
