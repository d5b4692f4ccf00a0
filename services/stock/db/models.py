"""Stock tables: locations, lots, receipts, the append-only movement ledger, balances."""

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
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.tables import NAMING_CONVENTION, JsonDoc
from shared.db.types import BigId, ExactDecimal, UTCDateTime, utcnow


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    location_type: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    is_virtual: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("item_code", "lot_number", name="uq_lots_item_lot"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_code: Mapped[str] = mapped_column(String(64))
    lot_number: Mapped[str] = mapped_column(String(100))
    supplier: Mapped[str] = mapped_column(String(200), default="")
    supplier_lot: Mapped[str] = mapped_column(String(100), default="")
    date_code: Mapped[str] = mapped_column(String(20), default="")
    purchase_order: Mapped[str] = mapped_column(String(100), default="")
    receipt_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Receipt(Base):
    """A posted purchase receipt (the document behind its movements)."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    uom: Mapped[str] = mapped_column(String(20))
    supplier: Mapped[str] = mapped_column(String(200), default="")
    purchase_order: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_by: Mapped[str] = mapped_column(String(200))


class MovementRow(Base):
    """One ledger line: `quantity` moved from one location/state to another. Never updated."""

    __tablename__ = "movements"
    __table_args__ = (Index("ix_movements_item_posted", "item_code", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_type: Mapped[str] = mapped_column(String(30))
    document_id: Mapped[int] = mapped_column(BigId)
    item_code: Mapped[str] = mapped_column(String(64))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str] = mapped_column(String(20))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_by: Mapped[str] = mapped_column(String(200))
    #: The movement this one takes back (a reversal); reversals are never edits.
    reversal_of_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("movements.id"), nullable=True
    )


class Balance(Base):
    """Quantity on hand per item, location, lot and quality state."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint(
            "item_code", "location_id", "lot_key", "quality_state", name="uq_balances_bucket"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_code: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_key: Mapped[str] = mapped_column(String(100))  # lot number, "" without lot
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quality_state: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Inspection(Base):
    """A posted quality inspection (QC) of pending stock of one lot at one location."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True, index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    accepted_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    rejected_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    accepted_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    rejected_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    sample_size: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(10))
    inspector: Mapped[str] = mapped_column(String(200))
    defects: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    note: Mapped[str] = mapped_column(String(500), default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_by: Mapped[str] = mapped_column(String(200))
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Transfer(Base):
    """A posted transfer (put-away, relocation) of stock between two locations."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_by: Mapped[str] = mapped_column(String(200))
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class TransferLine(Base):
    __tablename__ = "transfer_lines"
    __table_args__ = (UniqueConstraint("transfer_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(64))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    quality_state: Mapped[str] = mapped_column(String(30))


class Requisition(Base):
    """A material requisition (生产领料): components issued to a work order's line.

    draft -> submitted (what an approval flow will gate) -> posted; draft or submitted
    may be cancelled; posted may be reversed as a whole.
    """

    __tablename__ = "requisitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    work_order: Mapped[str] = mapped_column(String(100), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    from_location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id"), nullable=True
    )
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    submitted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class RequisitionLine(Base):
    __tablename__ = "requisition_lines"
    __table_args__ = (UniqueConstraint("requisition_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)


class ScrapReturn(Base):
    """A posted scrap, return to supplier or customer return: stock leaves or arrives at one
    physical location, from or to a virtual one (scrapped, supplier, customer)."""

    __tablename__ = "scrap_returns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(10))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    #: The supplier or customer; "" for scrap.
    counterparty: Mapped[str] = mapped_column(String(200), default="")
    #: Purchase order, sales order or RMA number.
    reference: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_by: Mapped[str] = mapped_column(String(200))
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ScrapReturnLine(Base):
    __tablename__ = "scrap_return_lines"
    __table_args__ = (UniqueConstraint("document_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("scrap_returns.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(64))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: The state the stock left in (scrap, supplier return) or arrived in (customer return).
    quality_state: Mapped[str] = mapped_column(String(30))
