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
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.approvals import ApprovalGateColumns, HeldForApproval
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
    #: The work order that produced the lot; "" for purchased lots.
    work_order: Mapped[str] = mapped_column(String(100), default="")


class Receipt(HeldForApproval, Base):
    """A purchase receipt (the document behind its movements).

    Its items are `receipt_lines`; `item_code` .. `unit_price` here repeat the first line
    (all a receipt held before receipts had lines, migration 0019).
    """

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    #: draft -> posted (-> reversed), or draft -> cancelled.
    status: Mapped[str] = mapped_column(String(10), index=True, server_default="posted")
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    uom: Mapped[str] = mapped_column(String(20))
    #: What was entered when it was another unit (2 reels), before conversion to `uom`.
    entered_quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    entered_uom: Mapped[str | None] = mapped_column(String(20), nullable=True)
    supplier: Mapped[str] = mapped_column(String(200), default="")
    purchase_order: Mapped[str] = mapped_column(String(100), default="")
    #: Purchase price per stock unit; None values the receipt at the moving average.
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    #: Empty while the document is a draft (or was cancelled as one).
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Who saved it first (the drafter; the poster when posted at once) and when.
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: A draft's request, posted as it stands by `POST .../{id}/post`; None once posted.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ReceiptLine(Base):
    """One item of a purchase receipt: quantity in the stock unit, lot, price, units."""

    __tablename__ = "receipt_lines"
    __table_args__ = (UniqueConstraint("receipt_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    #: None for an untracked item, and in a draft until posting creates the lot.
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    uom: Mapped[str] = mapped_column(String(20))
    entered_quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    entered_uom: Mapped[str | None] = mapped_column(String(20), nullable=True)
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    #: The units of a serial-tracked line (None for other items).
    serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)


class MovementRow(Base):
    """One ledger line: `quantity` moved from one location/state to another. Never updated."""

    __tablename__ = "movements"
    __table_args__ = (
        Index("ix_movements_item_posted", "item_code", "id"),
        Index("ix_movements_document", "document_type", "document_id"),
        Index("ix_movements_item_time", "item_code", "posted_at", "sequence"),
        Index("ix_movements_serial", "item_code", "serial_number"),
        # references are mostly empty: index only the rows that have one
        Index(
            "ix_movements_work_order",
            "work_order",
            postgresql_where=text("work_order <> ''"),
            sqlite_where=text("work_order <> ''"),
        ),
        Index(
            "ix_movements_purchase_order",
            "purchase_order",
            postgresql_where=text("purchase_order <> ''"),
            sqlite_where=text("purchase_order <> ''"),
        ),
        Index(
            "ix_movements_sales_order",
            "sales_order",
            postgresql_where=text("sales_order <> ''"),
            sqlite_where=text("sales_order <> ''"),
        ),
        # whether a movement was taken back (the dead-stock report); few rows are reversals
        Index(
            "ix_movements_reversal_of",
            "reversal_of_id",
            postgresql_where=text("reversal_of_id IS NOT NULL"),
            sqlite_where=text("reversal_of_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: Gap-free position in the ledger (1, 2, 3, ... in commit order); ids may have gaps.
    sequence: Mapped[int] = mapped_column(BigId, unique=True)
    document_type: Mapped[str] = mapped_column(String(30))
    document_id: Mapped[int] = mapped_column(BigId)
    item_code: Mapped[str] = mapped_column(String(64))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    #: The unit moved, for serial-tracked items (quantity 1).
    serial_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str] = mapped_column(String(20))
    #: Worth of the movement at moving-average cost (see domain/valuation.py).
    unit_cost: Mapped[Decimal] = mapped_column(ExactDecimal())
    value: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: Valued at a unit cost the document gave (a purchase price), not at the average;
    #: a revaluation keeps such values.
    priced: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the movement takes effect: now, or a back-dated moment in an open period.
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When it was entered.
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_by: Mapped[str] = mapped_column(String(200))
    #: The movement this one takes back (a reversal); reversals are never edits.
    #: The document's references (domain.model.References); "" where none.
    purchase_order: Mapped[str] = mapped_column(String(100), server_default="", default="")
    work_order: Mapped[str] = mapped_column(String(100), server_default="", default="")
    sales_order: Mapped[str] = mapped_column(String(100), server_default="", default="")
    supplier: Mapped[str] = mapped_column(String(200), server_default="", default="")
    customer: Mapped[str] = mapped_column(String(200), server_default="", default="")
    reversal_of_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("movements.id"), nullable=True
    )


class Balance(Base):
    """Quantity on hand per item, location, lot and quality state."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint(
            "item_code",
            "location_id",
            "lot_key",
            "serial_key",
            "quality_state",
            name="uq_balances_bucket",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_code: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_key: Mapped[str] = mapped_column(String(100))  # lot number, "" without lot
    serial_key: Mapped[str] = mapped_column(String(100), default="")  # "" without serial
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quality_state: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The posting moment the bucket last went from zero to holding stock; None at zero
    #: (domain.posting.held_since).
    since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ItemValuation(Base):
    """An item's stock quantity and value over all physical locations (moving average).

    Updated in the transaction of every posting that moves the item, after its balances
    (lock order: balances, then item valuations by item code, then the ledger counter).
    """

    __tablename__ = "item_valuations"

    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    value: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: The average when the item last held stock (values stock arriving at no given cost).
    last_unit_cost: Mapped[Decimal] = mapped_column(ExactDecimal())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerCounter(Base):
    """One row holding the last ledger sequence handed out; taken last by every posting."""

    __tablename__ = "ledger_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigId)


class StockAggregation(Base):
    """One row: how far the flows, closings and rollups follow the ledger
    (usecases/aggregation.py); locked by whoever writes them."""

    __tablename__ = "stock_aggregation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The last ledger sequence the aggregates hold.
    flows_through: Mapped[int] = mapped_column(BigId)
    #: The last month (its first day) whose closings are built (usecases/closings.py).
    closed_through: Mapped[date | None] = mapped_column(Date, nullable=True)


class Inspection(Base):
    """A posted quality inspection (QC) of pending stock of one lot at one location."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
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
    #: Serial-tracked items: the units accepted and rejected (None for other items).
    accepted_serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)
    rejected_serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    #: Empty while the document is a draft (or was cancelled as one).
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Who saved it first (the drafter; the poster when posted at once) and when.
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: A draft's request, posted as it stands by `POST .../{id}/post`; None once posted.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Transfer(Base):
    """A posted transfer (put-away, relocation) of stock between two locations."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    #: Empty while the document is a draft (or was cancelled as one).
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Who saved it first (the drafter; the poster when posted at once) and when.
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: A draft's request, posted as it stands by `POST .../{id}/post`; None once posted.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
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
    #: Serial-tracked items: the units moved, as the request named them (None otherwise).
    serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)
    #: The quantity as entered, when in another unit (None otherwise).
    entered_quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    entered_uom: Mapped[str | None] = mapped_column(String(20), nullable=True)


class Requisition(HeldForApproval, Base):
    """A material requisition (生产领料): components issued to a work order's line.

    draft -> submitted -> posted; draft or submitted may be cancelled; posted may be
    reversed as a whole. Under an approval gate a submitted one waits for workflow's
    decision: approved posts it, anything else returns it to draft.
    """

    __tablename__ = "requisitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    work_order: Mapped[str] = mapped_column(String(100), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
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


class ApprovalGate(ApprovalGateColumns, Base):
    """A document type whose submitted documents wait for workflow's decision (set by
    workflow when a flow for the type is activated or deactivated)."""

    __tablename__ = "approval_gates"


class RequisitionLine(Base):
    __tablename__ = "requisition_lines"
    __table_args__ = (UniqueConstraint("requisition_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    #: The units a serial-tracked line issues (as many as the quantity); None for others.
    serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)
    #: The quantity as entered, when in another unit (None otherwise).
    entered_quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    entered_uom: Mapped[str | None] = mapped_column(String(20), nullable=True)


class ScrapReturn(HeldForApproval, Base):
    """A posted scrap, return to supplier or customer return: stock leaves or arrives at one
    physical location, from or to a virtual one (scrapped, supplier, customer)."""

    __tablename__ = "scrap_returns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    #: The supplier or customer; "" for scrap.
    counterparty: Mapped[str] = mapped_column(String(200), default="")
    #: Purchase order, sales order or RMA number.
    reference: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    #: Empty while the document is a draft (or was cancelled as one).
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Who saved it first (the drafter; the poster when posted at once) and when.
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: A draft's request, posted as it stands by `POST .../{id}/post`; None once posted.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class DefectiveRelease(HeldForApproval, Base):
    """A defective release (concession): defective stock of one item at one location
    becomes qualified, there or at another location."""

    __tablename__ = "defective_releases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True, index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    #: Where the stock becomes qualified (the same location unless another is named).
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: Serial-tracked items: the units released (None for other items).
    serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)
    #: "concession", "rework" or "reinspection".
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    #: Empty while the document is a draft (or was cancelled as one).
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Who saved it first (the drafter; the poster when posted at once) and when.
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: A draft's request, posted as it stands by `POST .../{id}/post`; None once posted.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
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
    #: Serial-tracked items: the units moved, as the request named them (None otherwise).
    serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)


# --- production receipts (migration 0005) ---
class ProductionReceipt(Base):
    """A posted production receipt (完工入库): a work order's output arrives from production,
    the components it consumed leave the production line."""

    __tablename__ = "production_receipts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    work_order: Mapped[str] = mapped_column(String(100), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    #: The production line the components were consumed from; None without components.
    wip_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    #: Empty while the document is a draft (or was cancelled as one).
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Who saved it first (the drafter; the poster when posted at once) and when.
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: A draft's request, posted as it stands by `POST .../{id}/post`; None once posted.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ProductionReceiptOutput(Base):
    """One output line: what was produced, into which lot and quality state."""

    __tablename__ = "production_receipt_outputs"
    __table_args__ = (UniqueConstraint("document_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("production_receipts.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    quality_state: Mapped[str] = mapped_column(String(30))
    #: The new units a serial-tracked output names (as many as the quantity); None for others.
    serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)


class ProductionConsumption(Base):
    """What was consumed: one row per request line and lot (a backflushed line that was
    picked from several lots has several rows with the same `line_no`)."""

    __tablename__ = "production_consumptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("production_receipts.id"), index=True)
    #: The request line (`components[line_no - 1]`) this consumption belongs to.
    line_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(64))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: True when the lot was picked by backflush (FEFO, then FIFO), False when named.
    backflushed: Mapped[bool] = mapped_column(Boolean)
    #: The units consumed from this lot, for serial-tracked items; None for others.
    serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)


# --- shipments (migration 0006) ---
class Shipment(Base):
    """A posted sales shipment (SAP 601): qualified finished goods leave one location for
    VIRTUAL/CUSTOMER; reversed as a whole (602)."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    sales_order: Mapped[str] = mapped_column(String(100), index=True)
    customer: Mapped[str] = mapped_column(String(200), index=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    #: Empty while the document is a draft (or was cancelled as one).
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Who saved it first (the drafter; the poster when posted at once) and when.
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: A draft's request, posted as it stands by `POST .../{id}/post`; None once posted.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ShipmentLine(Base):
    """What left, one row per request line and lot (a line picked from several lots has
    several rows with the same `line_no`); each row is one movement."""

    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    #: The request line (`lines[line_no - 1]`) this row ships.
    line_no: Mapped[int] = mapped_column(Integer)
    sales_order_line: Mapped[str | None] = mapped_column(String(50), nullable=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: The units shipped from this lot, for serial-tracked items; None for others.
    serial_numbers: Mapped[list[str] | None] = mapped_column(JsonDoc, nullable=True)


# --- stock counts (migration 0007) ---


class StockCount(HeldForApproval, Base):
    """A stock count (盘点, SAP physical inventory): the book of a location subtree frozen at
    the start, counted, then its differences posted (701 gains / 702 losses).

    counting -> posted (may be reversed as a whole) or cancelled. Under a closed
    `count_variance` approval gate a count posted with differences stays counting,
    `approval` pending, until workflow decides.
    """

    __tablename__ = "stock_counts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    #: The scope: this location and every location below it.
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    #: Counters do not see book quantities until the count is posted.
    blind: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class StockCountItem(Base):
    """An item a count is limited to; a count without any counts every item in its scope."""

    __tablename__ = "stock_count_items"
    __table_args__ = (UniqueConstraint("count_id", "item_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"))
    item_code: Mapped[str] = mapped_column(String(64))


class StockCountLine(Base):
    """One balance bucket of a count: its frozen book quantity and what was counted."""

    __tablename__ = "stock_count_lines"
    __table_args__ = (
        UniqueConstraint("count_id", "line_no"),
        UniqueConstraint(
            "count_id",
            "item_code",
            "location_id",
            "lot_key",
            "serial_key",
            "quality_state",
            name="uq_stock_count_lines_bucket",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_key: Mapped[str] = mapped_column(String(100))  # lot number, "" without lot
    #: The unit, for serial-tracked items ("" without): one line per serial, book 0 or 1.
    serial_key: Mapped[str] = mapped_column(String(100), default="")
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quality_state: Mapped[str] = mapped_column(String(30))
    #: The balance when the count started; 0 for stock found where the book had none.
    book_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: True: added while counting (stock found in a bucket the frozen book did not have).
    found: Mapped[bool] = mapped_column(Boolean)
    counted_quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    counted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Reservation(Base):
    """Qualified stock set aside for a work order's component (SAP: a reservation).

    What is still reserved is `quantity` minus what the work order's posted requisitions
    have issued of the item (derived from the ledger, never kept twice); one open
    reservation per work order and item.
    """

    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    work_order: Mapped[str] = mapped_column(String(100), index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    #: Reserve within this location's subtree (a warehouse); None: anywhere.
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    required_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class PostingPeriod(Base):
    """One row: postings dated on or before `closed_through` are refused (a closed period)."""

    __tablename__ = "posting_period"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    closed_through: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class Serial(Base):
    """One serial-tracked unit: where it is now, or how it left (SerialStatus).

    Kept in the transaction of every movement of the unit, after its balances.
    """

    __tablename__ = "serials"
    __table_args__ = (UniqueConstraint("item_code", "serial_number", name="uq_serials_item"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_code: Mapped[str] = mapped_column(String(64))
    serial_number: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    #: Where it is while in stock (None once it left).
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    quality_state: Mapped[str | None] = mapped_column(String(30), nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- serial lines a (migration 0012) ---

# --- serial lines b (migration 0013) ---

# --- counts and opening balances (migration 0014) ---


class OpeningBalance(Base):
    """An opening balance (期初库存, SAP movement type 561): the stock a firm holds when it
    starts on the system, loaded from a spreadsheet; reversed as a whole (562)."""

    __tablename__ = "opening_balances"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    file_name: Mapped[str] = mapped_column(String(255), default="")
    #: SHA-256 of the uploaded file: the same file is not posted twice (unless reversed).
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_by: Mapped[str] = mapped_column(String(200))
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class OpeningBalanceLine(Base):
    """One row of the sheet: an item's stock at a location, lot and quality state."""

    __tablename__ = "opening_balance_lines"
    __table_args__ = (UniqueConstraint("document_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("opening_balances.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    #: The sheet row the line came from.
    sheet_row: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    quality_state: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: The cost per unit the sheet gave; None: the item's moving average.
    unit_cost: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    #: The units of a serial-tracked item (as many as the quantity); [] for other items.
    serial_numbers: Mapped[list[str]] = mapped_column(JsonDoc)


class FlowSumColumns:
    """The sums of a flow row (domain/flows.py `FlowSums`), which the rollups hold too."""

    qty_in: Mapped[Decimal] = mapped_column(ExactDecimal())
    qty_out: Mapped[Decimal] = mapped_column(ExactDecimal())
    value_in: Mapped[Decimal] = mapped_column(ExactDecimal())
    value_out: Mapped[Decimal] = mapped_column(ExactDecimal())
    moves: Mapped[int] = mapped_column(BigId)
    #: The net change times the days from its day to the period's end, both included.
    qty_days: Mapped[Decimal] = mapped_column(ExactDecimal())
    value_days: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: Of `out`, what left for consumption (domain/flows.py `CONSUMPTION`).
    used_qty: Mapped[Decimal] = mapped_column(ExactDecimal())
    used_value: Mapped[Decimal] = mapped_column(ExactDecimal())


class StockFlow(FlowSumColumns, Base):
    """The ledger summed per day, month or item-month (domain/flows.py), kept by posting."""

    __tablename__ = "stock_flows"
    __table_args__ = (Index("ix_stock_flows_item", "item_code", "grain", "period"),)

    #: d (day), m (month), t (month and item only).
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    #: The day, or the month's first day.
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: A physical location; 0 in the item grain (as the columns below: "", false).
    location_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    quality_state: Mapped[str] = mapped_column(String(30), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: The movement kind (the ledger's document type).
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    #: The other end was a virtual location: the item's stock changed, not only its place.
    external: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    #: The document's partners (the ledger's); "" where none.
    supplier: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer: Mapped[str] = mapped_column(String(200), primary_key=True)


class ReportDefinition(Base):
    """A saved report query (usecases/report_definitions.py), shared with roles."""

    __tablename__ = "report_definitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    #: The query as `POST /v1/reports/query` takes it.
    query: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    format: Mapped[str] = mapped_column(String(10))
    #: The roles it is shared with, as ",finance,planner," (a LIKE on both databases).
    shared_roles: Mapped[str] = mapped_column(String(400), default=",")
    owner: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class StockClosing(Base):
    """The stock at a month's end per item, location, state and stage: the flows up to it
    (usecases/closings.py). `value` is the bucket's flows' value; an item's add up to its
    value at that moment."""

    __tablename__ = "stock_closings"

    #: The month's first day.
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    quality_state: Mapped[str] = mapped_column(String(30), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    value: Mapped[Decimal] = mapped_column(ExactDecimal())


class ReportFile(Base):
    """A report workbook kept for a while behind an unguessable token, so a message can
    link to it (`GET /v1/report-files/{token}` needs no credentials; usecases/
    inventory_health.py)."""

    __tablename__ = "report_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: 43 URL-safe characters (256 random bits).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CatalogItemCopy(Base):
    """Stock's copy of a catalog item's reporting fields, kept from the catalog's feed
    (usecases/catalog_feed.py), so reports name and group items without asking the
    catalog."""

    __tablename__ = "catalog_items"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The catalog's id: an item deleted and created again under its code is another item.
    item_id: Mapped[int] = mapped_column(BigId)
    name: Mapped[str] = mapped_column(String(200))
    uom: Mapped[str] = mapped_column(String(20))
    item_type: Mapped[str] = mapped_column(String(20))
    tracking: Mapped[str] = mapped_column(String(10))
    shelf_life_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The category's code (None: none).
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The catalog's version of the item: an older event never overwrites a newer copy.
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StockRollup(FlowSumColumns, Base):
    """The day and month flows (`StockFlow`'s d and m grains) summed over items by the
    catalog fields reports group by: category, item type and unit (usecases/rollups.py).
    An item's flows are in it while stock's copy of the catalog holds the item."""

    __tablename__ = "stock_rollups"

    #: d (day) or m (month).
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    #: The category's code; "" for none.
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    uom: Mapped[str] = mapped_column(String(20), primary_key=True)
    location_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    quality_state: Mapped[str] = mapped_column(String(30), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    external: Mapped[bool] = mapped_column(Boolean, primary_key=True)
