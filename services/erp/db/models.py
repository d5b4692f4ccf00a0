"""ERP connector tables.

Movement types (the codes integrators know from SAP, and a firm's own):
* `erp_movement_types`: code, name, the type it reverses (`102` reverses `101`), whether
  it changes stock value and whether it gives a voucher. Built-in types are seeded by the
  first migration; a firm adds its own and may edit any.
* `erp_movement_type_rules`: which stock movements a type stands for. Each rule names the
  criteria a movement of stock's feed must meet (its document type, whether it is a
  reversal, from and to location, quality states before and after, stage; empty: any)
  and the account modifier it gives. The most specific matching rule wins.

Company books and account determination (one map per book):
* `erp_books`: a company book (账套) with its accounting standard's template, currency
  and voucher settings.
* `erp_accounts`: the book's accounts (科目) the map may name, with whether the account
  tracks quantity and which auxiliary dimensions (辅助核算) it carries.
* `erp_account_rules`: (movement type, valuation class, account modifier) -> debit and
  credit account and the dimensions to fill on each side; empty valuation class or
  modifier: any. Both accounts empty: that combination gives no voucher, deliberately.

Vouchers (usecases/vouchers.py):
* `erp_items`: the catalog's items from its feed (the item type is the valuation class).
* `erp_movements`: stock's movements that give voucher lines, classified; open until
  their document's event closes them.
* `erp_vouchers`, `erp_voucher_lines`: vouchers per book with their lines;
  `erp_voucher_movements`: which voucher of a book each movement is in.
* `erp_counters`: the voucher numbers and the pull feed's positions.
* `erp_revaluations`: stock's `ItemRevalued` events, until the value differences of the
  movements already vouchered are posted.
* `erp_pushes`: the push outbox: one row per ready voucher of a book with a push target
  (Kingdee, U8), moving pending -> sent -> confirmed, or to unknown (settled by asking
  the ERP, never by sending again) or failed (the ERP refused it; finance retries).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.tables import NAMING_CONVENTION
from shared.db.types import BigId, ExactDecimal, UTCDateTime, utcnow


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class MovementType(Base):
    __tablename__ = "erp_movement_types"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    reverses: Mapped[str | None] = mapped_column(String(4), nullable=True)
    value_change: Mapped[bool] = mapped_column(Boolean, default=True)
    posts_voucher: Mapped[bool] = mapped_column(Boolean, default=True)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class MovementTypeRule(Base):
    __tablename__ = "erp_movement_type_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    movement_type: Mapped[str] = mapped_column(String(4), index=True)
    document_type: Mapped[str] = mapped_column(String(40), default="")
    reversal: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    from_location: Mapped[str] = mapped_column(String(100), default="")
    to_location: Mapped[str] = mapped_column(String(100), default="")
    from_state: Mapped[str] = mapped_column(String(30), default="")
    to_state: Mapped[str] = mapped_column(String(30), default="")
    stage: Mapped[str] = mapped_column(String(20), default="")
    modifier: Mapped[str] = mapped_column(String(20), default="")


class Book(Base):
    __tablename__ = "erp_books"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    voucher_mode: Mapped[str] = mapped_column(String(20))
    voucher_word: Mapped[str] = mapped_column(String(10))
    preparer: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(60))
    warehouses: Mapped[list[str]] = mapped_column(JSON, default=list)
    push_target: Mapped[str | None] = mapped_column(String(60), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Account(Base):
    __tablename__ = "erp_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    book_code: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    tracks_quantity: Mapped[bool] = mapped_column(Boolean, default=False)
    dimensions: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("book_code", "code"),)


class AccountRule(Base):
    __tablename__ = "erp_account_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    book_code: Mapped[str] = mapped_column(String(20))
    movement_type: Mapped[str] = mapped_column(String(4))
    valuation_class: Mapped[str] = mapped_column(String(40), default="")
    modifier: Mapped[str] = mapped_column(String(20), default="")
    debit_account: Mapped[str | None] = mapped_column(String(40), nullable=True)
    credit_account: Mapped[str | None] = mapped_column(String(40), nullable=True)
    debit_dimensions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    credit_dimensions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("book_code", "movement_type", "valuation_class", "modifier"),
        Index("ix_erp_account_rules_book_type", "book_code", "movement_type"),
    )


class Item(Base):
    """The catalog's items as its feed describes them: the item type is the valuation
    class that picks the stock account."""

    __tablename__ = "erp_items"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    item_type: Mapped[str] = mapped_column(String(30))
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    uom: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)


class Movement(Base):
    """A stock movement from stock's feed, classified; `closed` once its document's
    vouchers are built (a document's movements arrive together, followed by its event)."""

    __tablename__ = "erp_movements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    event_seq: Mapped[int] = mapped_column(BigId)
    document_type: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[int] = mapped_column(BigId)
    item_code: Mapped[str] = mapped_column(String(64))
    lot_number: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    value: Mapped[Decimal] = mapped_column(ExactDecimal())
    from_location: Mapped[str] = mapped_column(String(100))
    to_location: Mapped[str] = mapped_column(String(100))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str] = mapped_column(String(20))
    reversal_of_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    purchase_order: Mapped[str] = mapped_column(String(100))
    work_order: Mapped[str] = mapped_column(String(100))
    sales_order: Mapped[str] = mapped_column(String(100))
    supplier: Mapped[str] = mapped_column(String(200))
    customer: Mapped[str] = mapped_column(String(200))
    movement_type: Mapped[str | None] = mapped_column(String(4), nullable=True)
    modifier: Mapped[str] = mapped_column(String(20))
    closed: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_erp_movements_open", "closed", "event_seq"),
        Index("ix_erp_movements_document", "document_type", "document_id"),
    )


class Voucher(Base):
    """An accounting voucher (凭证) of a book: `open` while a day's summary still grows,
    `ready` to export, `held` with its reasons, `exported` once the ERP acknowledged it
    with its own number, `voided` once cancelled in the ERP (a corrected voucher,
    `replaces_number`, takes its movements). `feed_seq` moves on with every change a
    puller must see."""

    __tablename__ = "erp_vouchers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    book_code: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    grouping: Mapped[str] = mapped_column(String(120))
    date: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer)
    word: Mapped[str] = mapped_column(String(10))
    preparer: Mapped[str] = mapped_column(String(100))
    attachments: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    document_type: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    document_number: Mapped[str] = mapped_column(String(60))
    movement_types: Mapped[list[str]] = mapped_column(JSON)
    red_ink: Mapped[bool] = mapped_column(Boolean)
    reverses_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    total: Mapped[Decimal] = mapped_column(ExactDecimal())
    hold_reasons: Mapped[list[str]] = mapped_column(JSON)
    erp_number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    void_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    replaces_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    feed_seq: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_erp_vouchers_feed_seq", "feed_seq"),
        Index("ix_erp_vouchers_book_status", "book_code", "status"),
        Index("ix_erp_vouchers_grouping", "book_code", "grouping"),
    )


class VoucherLine(Base):
    __tablename__ = "erp_voucher_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    voucher_id: Mapped[int] = mapped_column(BigId, index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(200))
    account: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    debit: Mapped[Decimal] = mapped_column(ExactDecimal())
    credit: Mapped[Decimal] = mapped_column(ExactDecimal())
    quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    dimensions: Mapped[dict[str, str]] = mapped_column(JSON)


class VoucherMovement(Base):
    """Which voucher of a book a movement is in (each movement in at most one per book)."""

    __tablename__ = "erp_voucher_movements"

    book_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    movement_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    voucher_id: Mapped[int] = mapped_column(BigId, index=True)


class Counter(Base):
    __tablename__ = "erp_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigId)


class Push(Base):
    __tablename__ = "erp_pushes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    voucher_id: Mapped[int] = mapped_column(BigId)
    book_code: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    erp_number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("voucher_id", "target"),
        Index("ix_erp_pushes_due", "state", "next_attempt_at"),
    )


class Revaluation(Base):
    """A stock `ItemRevalued` event: the item's movements from `since` on may be worth
    something else now; `pending` until the differences are posted (usecases/revaluations.py)."""

    __tablename__ = "erp_revaluations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(BigId, unique=True)
    item_code: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(12), index=True)
    detail: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
