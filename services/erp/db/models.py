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
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.tables import NAMING_CONVENTION
from shared.db.types import BigId, UTCDateTime, utcnow


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
