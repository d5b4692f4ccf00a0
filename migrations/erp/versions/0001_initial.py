"""The ERP connector: shared tables, movement types (seeded with the built-in SAP codes
and the stock movements each stands for), company books, accounts and account rules.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db.migration_ops import create_shared_tables_v1, drop_shared_tables_v1
from shared.db.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PRODUCTION = "VIRTUAL/PRODUCTION"
COUNT = "VIRTUAL/COUNT-ADJUSTMENT"

#: code, name, description, reverses, value change, gives a voucher
TYPES = [
    (
        "101",
        "收货 Goods receipt",
        "A purchase receipt, or a work order's output into stock",
        None,
        True,
        True,
    ),
    ("102", "收货冲销 Reversal of goods receipt", "Reverses 101", "101", True, True),
    ("122", "退货给供应商 Return to supplier", "Stock sent back to the supplier", None, True, True),
    ("123", "退供冲销 Reversal of return to supplier", "Reverses 122", "122", True, True),
    (
        "261",
        "发料到工单 Goods issue to a work order",
        "A requisition to the line, or components consumed by a production receipt",
        None,
        True,
        True,
    ),
    ("262", "发料冲销 Reversal of goods issue", "Reverses 261", "261", True, True),
    ("311", "转储 Transfer", "Between two locations; no value change", None, False, False),
    ("312", "转储冲销 Reversal of transfer", "Reverses 311", "311", False, False),
    (
        "321",
        "待检转合格 Inspection to qualified",
        "Pending inspection to qualified",
        None,
        False,
        False,
    ),
    ("322", "合格转待检 Reversal of inspection to qualified", "Reverses 321", "321", False, False),
    ("343", "不良转合格 Defective to qualified", "A defective release", None, False, False),
    (
        "344",
        "合格转不良 Qualified to defective",
        "Qualified stock found defective",
        None,
        False,
        False,
    ),
    (
        "350",
        "待检转不良 Inspection to defective",
        "Pending inspection to defective",
        None,
        False,
        False,
    ),
    ("551", "报废 Scrap", "Stock written off", None, True, True),
    ("552", "报废冲销 Reversal of scrap", "Reverses 551", "551", True, True),
    (
        "561",
        "期初入库 Opening balance",
        "Stock taken over when the firm starts; the GL's opening balances carry its value, so "
        "no voucher unless a book wants one",
        None,
        True,
        False,
    ),
    ("562", "期初冲销 Reversal of opening balance", "Reverses 561", "561", True, False),
    ("601", "销售出库 Delivery", "Shipped to a customer", None, True, True),
    ("602", "销售出库冲销 Reversal of delivery", "Reverses 601", "601", True, True),
    (
        "651",
        "客户退货 Customer return",
        "Returned by a customer, pending inspection",
        None,
        True,
        True,
    ),
    ("652", "客户退货冲销 Reversal of customer return", "Reverses 651", "651", True, True),
    ("701", "盘盈 Count gain", "A stock count found more than the books", None, True, True),
    ("702", "盘亏 Count loss", "A stock count found less than the books", None, True, True),
]

#: movement type, document type, reversal, from location, to location, from state,
#: to state, stage, modifier ("" and None: any)
RULES = [
    ("101", "purchase_receipt", False, "", "", "", "", "", ""),
    ("102", "purchase_receipt", True, "", "", "", "", "", ""),
    ("101", "production_receipt", False, PRODUCTION, "", "", "", "", "work_order"),
    ("102", "production_receipt", True, "", PRODUCTION, "", "", "", "work_order"),
    ("261", "requisition", False, "", "", "", "", "", ""),
    ("262", "requisition", True, "", "", "", "", "", ""),
    ("261", "production_receipt", False, "", PRODUCTION, "", "", "", ""),
    ("262", "production_receipt", True, PRODUCTION, "", "", "", "", ""),
    ("261", "production_receipt", False, "", PRODUCTION, "", "", "wip", "wip"),
    ("262", "production_receipt", True, PRODUCTION, "", "", "", "wip", "wip"),
    ("122", "supplier_return", False, "", "", "", "", "", ""),
    ("123", "supplier_return", True, "", "", "", "", "", ""),
    ("311", "transfer", False, "", "", "", "", "", ""),
    ("312", "transfer", True, "", "", "", "", "", ""),
    ("321", "inspection", False, "", "", "", "qualified", "", ""),
    ("322", "inspection", True, "", "", "qualified", "", "", ""),
    ("350", "inspection", None, "", "", "", "defective", "", ""),
    ("350", "inspection", True, "", "", "defective", "", "", ""),
    ("343", "defective_release", False, "", "", "", "", "", ""),
    ("344", "defective_release", True, "", "", "", "", "", ""),
    ("344", "", False, "", "", "qualified", "defective", "", ""),
    ("551", "scrap", False, "", "", "", "", "", ""),
    ("552", "scrap", True, "", "", "", "", "", ""),
    ("561", "opening_balance", False, "", "", "", "", "", ""),
    ("562", "opening_balance", True, "", "", "", "", "", ""),
    ("601", "shipment", False, "", "", "", "", "", ""),
    ("602", "shipment", True, "", "", "", "", "", ""),
    ("651", "customer_return", False, "", "", "", "", "", ""),
    ("652", "customer_return", True, "", "", "", "", "", ""),
    ("701", "stock_count", None, COUNT, "", "", "", "", ""),
    ("702", "stock_count", None, "", COUNT, "", "", "", ""),
    # a reversed count difference stays what it was, in red ink
    ("701", "stock_count", True, "", COUNT, "", "", "", ""),
    ("702", "stock_count", True, COUNT, "", "", "", "", ""),
]


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=False)


def upgrade() -> None:
    create_shared_tables_v1()
    types = op.create_table(
        "erp_movement_types",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("code", 4),
        _text("name", 100),
        _text("description", 500),
        sa.Column("reverses", sa.String(4), nullable=True),
        sa.Column("value_change", sa.Boolean(), nullable=False),
        sa.Column("posts_voucher", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_movement_types"),
        sa.UniqueConstraint("code", name="uq_erp_movement_types_code"),
    )
    rules = op.create_table(
        "erp_movement_type_rules",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("movement_type", 4),
        _text("document_type", 40),
        sa.Column("reversal", sa.Boolean(), nullable=True),
        _text("from_location", 100),
        _text("to_location", 100),
        _text("from_state", 30),
        _text("to_state", 30),
        _text("stage", 20),
        _text("modifier", 20),
        sa.PrimaryKeyConstraint("id", name="pk_erp_movement_type_rules"),
    )
    op.create_index(
        "ix_erp_movement_type_rules_movement_type", "erp_movement_type_rules", ["movement_type"]
    )
    op.create_table(
        "erp_books",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("code", 20),
        _text("name", 200),
        _text("template", 10),
        _text("currency", 3),
        _text("voucher_mode", 20),
        _text("voucher_word", 10),
        _text("preparer", 100),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_books"),
        sa.UniqueConstraint("code", name="uq_erp_books_code"),
    )
    op.create_table(
        "erp_accounts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("book_code", 20),
        _text("code", 40),
        _text("name", 200),
        sa.Column("tracks_quantity", sa.Boolean(), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_accounts"),
        sa.UniqueConstraint("book_code", "code", name="uq_erp_accounts_book_code"),
    )
    op.create_table(
        "erp_account_rules",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("book_code", 20),
        _text("movement_type", 4),
        _text("valuation_class", 40),
        _text("modifier", 20),
        sa.Column("debit_account", sa.String(40), nullable=True),
        sa.Column("credit_account", sa.String(40), nullable=True),
        sa.Column("debit_dimensions", sa.JSON(), nullable=False),
        sa.Column("credit_dimensions", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_account_rules"),
        sa.UniqueConstraint(
            "book_code",
            "movement_type",
            "valuation_class",
            "modifier",
            name="uq_erp_account_rules_book_code",
        ),
    )
    op.create_index(
        "ix_erp_account_rules_book_type", "erp_account_rules", ["book_code", "movement_type"]
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        types,
        [
            {
                "code": code,
                "name": name,
                "description": description,
                "reverses": reverses,
                "value_change": value_change,
                "posts_voucher": posts_voucher,
                "builtin": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for code, name, description, reverses, value_change, posts_voucher in TYPES
        ],
    )
    op.bulk_insert(
        rules,
        [
            {
                "movement_type": code,
                "document_type": document_type,
                "reversal": reversal,
                "from_location": from_location,
                "to_location": to_location,
                "from_state": from_state,
                "to_state": to_state,
                "stage": stage,
                "modifier": modifier,
            }
            for (
                code,
                document_type,
                reversal,
                from_location,
                to_location,
                from_state,
                to_state,
                stage,
                modifier,
            ) in RULES
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_erp_account_rules_book_type", table_name="erp_account_rules")
    op.drop_table("erp_account_rules")
    op.drop_table("erp_accounts")
    op.drop_table("erp_books")
    op.drop_index("ix_erp_movement_type_rules_movement_type", table_name="erp_movement_type_rules")
    op.drop_table("erp_movement_type_rules")
    op.drop_table("erp_movement_types")
    drop_shared_tables_v1()
