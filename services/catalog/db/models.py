"""Catalog tables.

Quantities are `ExactDecimal(22, 6)` (the public `Quantity` contract), factors and
percentages keep more places. Codes are the keys integrators use; rows refer to each
other by id.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.approvals import ApprovalGateColumns, HeldForApproval
from shared.db.tables import NAMING_CONVENTION, JsonDoc
from shared.db.types import BigId, ExactDecimal, UTCDateTime, utcnow


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _qty() -> ExactDecimal:
    return ExactDecimal(22, 6)


class Unit(Base):
    """A unit of measure with its rounding rule and, optionally, a global conversion."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    decimals: Mapped[int] = mapped_column(Integer)
    rounding: Mapped[str] = mapped_column(String(10))
    base_unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    factor_to_base: Mapped[Decimal | None] = mapped_column(ExactDecimal(28, 10), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Category(Base):
    """An item category; its JSON Schema validates the custom attributes of its items."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    attribute_schema: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(String(500), default="")
    uom: Mapped[str] = mapped_column(String(20))
    item_type: Mapped[str] = mapped_column(String(20))
    procurement: Mapped[str] = mapped_column(String(10))
    tracking: Mapped[str] = mapped_column(String(10))
    shelf_life_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("categories.id"), nullable=True, index=True
    )
    safety_stock: Mapped[Decimal] = mapped_column(_qty(), default=Decimal(0))
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)
    lot_sizing: Mapped[str] = mapped_column(String(20), default="lot_for_lot")
    lot_fixed_quantity: Mapped[Decimal | None] = mapped_column(_qty(), nullable=True)
    lot_minimum_quantity: Mapped[Decimal | None] = mapped_column(_qty(), nullable=True)
    lot_multiple: Mapped[Decimal | None] = mapped_column(_qty(), nullable=True)
    lifecycle: Mapped[str] = mapped_column(String(20), default="active")
    standard_cost: Mapped[Decimal | None] = mapped_column(ExactDecimal(22, 6), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ItemUnitConversion(Base):
    """`1 <uom> = factor x <item's stock unit>` for one item (1 reel = 5,000 pcs)."""

    __tablename__ = "item_unit_conversions"
    __table_args__ = (UniqueConstraint("item_id", "uom"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"))
    uom: Mapped[str] = mapped_column(String(20))
    factor: Mapped[Decimal] = mapped_column(ExactDecimal(28, 10))


class ManufacturerPart(Base):
    """An approved (or not) manufacturer part number for an item: the AVL."""

    __tablename__ = "manufacturer_parts"
    __table_args__ = (
        UniqueConstraint("item_id", "manufacturer", "mpn"),
        Index("ix_manufacturer_parts_mpn", "mpn"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"))
    manufacturer: Mapped[str] = mapped_column(String(100))
    mpn: Mapped[str] = mapped_column(String(100))
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    notes: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Routing(Base):
    """The ordered operations that make an item; one routing per made item."""

    __tablename__ = "routings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class RoutingOperation(Base):
    __tablename__ = "routing_operations"
    __table_args__ = (
        UniqueConstraint("routing_id", "sequence", name="uq_routing_operations_routing_id"),
        UniqueConstraint("routing_id", "code", name="uq_routing_operations_routing_id_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    routing_id: Mapped[int] = mapped_column(BigId, ForeignKey("routings.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    work_center: Mapped[str] = mapped_column(String(64))
    standard_minutes: Mapped[Decimal] = mapped_column(ExactDecimal(16, 4))
    setup_minutes: Mapped[Decimal] = mapped_column(ExactDecimal(16, 4), default=Decimal(0))


class BomVersion(HeldForApproval, Base):
    """One revision of one made item's bill of materials."""

    __tablename__ = "bom_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "revision"),
        Index("ix_bom_versions_item_status", "item_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"))
    revision: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    base_quantity: Mapped[Decimal] = mapped_column(_qty())
    description: Mapped[str] = mapped_column(String(500), default="")
    revised_from_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: While pending: the `BomRelease` body as it was given, released on approval.
    release_request: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ApprovalGate(ApprovalGateColumns, Base):
    """A document type whose releases wait for workflow's decision (`bom_release`; set by
    workflow when a flow for the type is activated or deactivated)."""

    __tablename__ = "approval_gates"


class BomLine(Base):
    __tablename__ = "bom_lines"
    __table_args__ = (UniqueConstraint("bom_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bom_id: Mapped[int] = mapped_column(BigId, ForeignKey("bom_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    component_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(_qty())
    uom: Mapped[str] = mapped_column(String(20))
    scrap_percent: Mapped[Decimal] = mapped_column(ExactDecimal(9, 4), default=Decimal(0))
    fixed_quantity: Mapped[Decimal] = mapped_column(_qty(), default=Decimal(0))
    rounding_multiple: Mapped[Decimal | None] = mapped_column(_qty(), nullable=True)
    phantom: Mapped[bool] = mapped_column(Boolean, default=False)
    consumable: Mapped[bool] = mapped_column(Boolean, default=False)
    backflush: Mapped[bool] = mapped_column(Boolean, default=False)
    designators: Mapped[str] = mapped_column(Text, default="")
    operation_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    notes: Mapped[str] = mapped_column(String(500), default="")


class BomSubstitute(Base):
    """A component that may replace a line's component, by priority (1 is tried first)."""

    __tablename__ = "bom_substitutes"
    __table_args__ = (UniqueConstraint("line_id", "component_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    line_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("bom_lines.id", ondelete="CASCADE"), index=True
    )
    component_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"), index=True)
    priority: Mapped[int] = mapped_column(Integer)
    ratio: Mapped[Decimal] = mapped_column(ExactDecimal(16, 6), default=Decimal(1))


class BomGraphStamp(Base):
    """One row whose counter moves whenever the set of released BOMs changes.

    Readers keep the released BOM graph in memory and reload it only when this
    counter differs from the one they loaded with (released versions are immutable,
    so nothing else can make the cache stale).
    """

    __tablename__ = "bom_graph_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counter: Mapped[int] = mapped_column(BigId)
