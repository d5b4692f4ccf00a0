"""Trace tables: lots as genealogy nodes and what happened to them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.tables import NAMING_CONVENTION
from shared.db.types import BigId, ExactDecimal, UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TraceLot(Base):
    __tablename__ = "trace_lots"
    __table_args__ = (UniqueConstraint("item_code", "lot_number", name="uq_trace_lots_item_lot"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_code: Mapped[str] = mapped_column(String(64))
    lot_number: Mapped[str] = mapped_column(String(100))
    supplier: Mapped[str] = mapped_column(String(200))
    supplier_lot: Mapped[str] = mapped_column(String(100))
    date_code: Mapped[str] = mapped_column(String(20))
    purchase_order: Mapped[str] = mapped_column(String(100))
    receipt_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LotHistory(Base):
    """One thing that happened to a lot, as learned from a source feed."""

    __tablename__ = "lot_history"
    __table_args__ = (
        UniqueConstraint("source", "source_seq", "lot_id", name="uq_lot_history_source_seq_lot"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("trace_lots.id"), index=True)
    source: Mapped[str] = mapped_column(String(50))
    source_seq: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(100))
    document_number: Mapped[str] = mapped_column(String(50))
    location_code: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
