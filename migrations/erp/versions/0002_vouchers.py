"""Vouchers from stock's feed: the items' valuation classes (from the catalog's feed), the
movements erp has classified, vouchers with their lines and movements, and the books'
time zone and warehouses.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("erp_books") as batch:
        batch.add_column(
            sa.Column("timezone", sa.String(60), nullable=False, server_default="Asia/Shanghai")
        )
        batch.add_column(sa.Column("warehouses", sa.JSON(), nullable=True))
    op.execute("UPDATE erp_books SET warehouses = '[]'")
    with op.batch_alter_table("erp_books") as batch:
        batch.alter_column("warehouses", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("timezone", server_default=None, existing_type=sa.String(60))
    op.create_table(
        "erp_items",
        _text("code", 64),
        _text("name", 200),
        _text("item_type", 30),
        sa.Column("category", sa.String(64), nullable=True),
        _text("uom", 20),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_erp_items"),
    )
    op.create_table(
        "erp_movements",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("event_seq", ID, nullable=False),
        _text("document_type", 40),
        sa.Column("document_id", ID, nullable=False),
        _text("item_code", 64),
        _text("lot_number", 100),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        _text("from_location", 100),
        _text("to_location", 100),
        _text("from_state", 30),
        _text("to_state", 30),
        _text("stage", 20),
        sa.Column("reversal_of_id", ID, nullable=True),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        _text("purchase_order", 100),
        _text("work_order", 100),
        _text("sales_order", 100),
        _text("supplier", 200),
        _text("customer", 200),
        sa.Column("movement_type", sa.String(4), nullable=True),
        _text("modifier", 20),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_movements"),
    )
    op.create_index("ix_erp_movements_open", "erp_movements", ["closed", "event_seq"])
    op.create_index("ix_erp_movements_document", "erp_movements", ["document_type", "document_id"])
    op.create_table(
        "erp_vouchers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("number", 40),
        _text("book_code", 20),
        _text("status", 12),
        _text("grouping", 120),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        _text("word", 10),
        _text("preparer", 100),
        sa.Column("attachments", sa.Integer(), nullable=False),
        _text("currency", 3),
        _text("document_type", 40),
        sa.Column("document_id", ID, nullable=True),
        _text("document_number", 60),
        sa.Column("movement_types", sa.JSON(), nullable=False),
        sa.Column("red_ink", sa.Boolean(), nullable=False),
        sa.Column("reverses_number", sa.String(40), nullable=True),
        sa.Column("total", ExactDecimal(), nullable=False),
        sa.Column("hold_reasons", sa.JSON(), nullable=False),
        sa.Column("erp_number", sa.String(60), nullable=True),
        sa.Column("exported_at", UTCDateTime(), nullable=True),
        sa.Column("feed_seq", ID, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_vouchers"),
        sa.UniqueConstraint("number", name="uq_erp_vouchers_number"),
    )
    op.create_index("ix_erp_vouchers_feed_seq", "erp_vouchers", ["feed_seq"])
    op.create_index("ix_erp_vouchers_book_status", "erp_vouchers", ["book_code", "status"])
    op.create_index("ix_erp_vouchers_grouping", "erp_vouchers", ["book_code", "grouping"])
    op.create_table(
        "erp_voucher_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("voucher_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        _text("summary", 200),
        _text("account", 40),
        _text("currency", 3),
        sa.Column("debit", ExactDecimal(), nullable=False),
        sa.Column("credit", ExactDecimal(), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("unit_price", ExactDecimal(), nullable=True),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_voucher_lines"),
    )
    op.create_index("ix_erp_voucher_lines_voucher_id", "erp_voucher_lines", ["voucher_id"])
    op.create_table(
        "erp_voucher_movements",
        sa.Column("voucher_id", ID, nullable=False),
        sa.Column("movement_id", ID, nullable=False),
        _text("book_code", 20),
        sa.PrimaryKeyConstraint("book_code", "movement_id", name="pk_erp_voucher_movements"),
    )
    op.create_index("ix_erp_voucher_movements_voucher_id", "erp_voucher_movements", ["voucher_id"])
    op.create_table(
        "erp_counters",
        _text("name", 40),
        sa.Column("value", ID, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_erp_counters"),
    )
    op.bulk_insert(
        sa.table("erp_counters", sa.column("name", sa.String), sa.column("value", ID)),
        [{"name": "voucher_feed", "value": 0}, {"name": "voucher_number", "value": 0}],
    )


def downgrade() -> None:
    op.drop_table("erp_counters")
    op.drop_index("ix_erp_voucher_movements_voucher_id", table_name="erp_voucher_movements")
    op.drop_table("erp_voucher_movements")
    op.drop_index("ix_erp_voucher_lines_voucher_id", table_name="erp_voucher_lines")
    op.drop_table("erp_voucher_lines")
    op.drop_index("ix_erp_vouchers_grouping", table_name="erp_vouchers")
    op.drop_index("ix_erp_vouchers_book_status", table_name="erp_vouchers")
    op.drop_index("ix_erp_vouchers_feed_seq", table_name="erp_vouchers")
    op.drop_table("erp_vouchers")
    op.drop_index("ix_erp_movements_document", table_name="erp_movements")
    op.drop_index("ix_erp_movements_open", table_name="erp_movements")
    op.drop_table("erp_movements")
    op.drop_table("erp_items")
    with op.batch_alter_table("erp_books") as batch:
        batch.drop_column("warehouses")
        batch.drop_column("timezone")
