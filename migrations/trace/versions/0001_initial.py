"""Shared tables; lots as genealogy nodes and their history.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.migration_ops import create_shared_tables_v1, drop_shared_tables_v1
from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    create_shared_tables_v1()
    op.create_table(
        "trace_lots",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_number", sa.String(100), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("supplier_lot", sa.String(100), nullable=False),
        sa.Column("date_code", sa.String(20), nullable=False),
        sa.Column("purchase_order", sa.String(100), nullable=False),
        sa.Column("receipt_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trace_lots"),
        sa.UniqueConstraint("item_code", "lot_number", name="uq_trace_lots_item_lot"),
    )
    op.create_table(
        "lot_history",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("source_seq", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("document_number", sa.String(50), nullable=False),
        sa.Column("location_code", sa.String(100), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["trace_lots.id"], name="fk_lot_history_lot_id_trace_lots"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lot_history"),
        sa.UniqueConstraint("source", "source_seq", name="uq_lot_history_source_seq"),
    )
    op.create_index("ix_lot_history_lot_id", "lot_history", ["lot_id"])


def downgrade() -> None:
    op.drop_index("ix_lot_history_lot_id", table_name="lot_history")
    op.drop_table("lot_history")
    op.drop_table("trace_lots")
    drop_shared_tables_v1()
