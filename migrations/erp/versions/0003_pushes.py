"""Pushing vouchers to the ERP: a book's push target, and the push outbox (one row per
voucher sent to a target, with its state: pending, sent, unknown, confirmed, failed).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("erp_books") as batch:
        batch.add_column(sa.Column("push_target", sa.String(60), nullable=True))
    op.create_table(
        "erp_pushes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("voucher_id", ID, nullable=False),
        sa.Column("book_code", sa.String(20), nullable=False),
        sa.Column("target", sa.String(60), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(1000), nullable=False),
        sa.Column("erp_number", sa.String(60), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_pushes"),
        sa.UniqueConstraint("voucher_id", "target", name="uq_erp_pushes_voucher_id"),
    )
    op.create_index("ix_erp_pushes_due", "erp_pushes", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_erp_pushes_due", table_name="erp_pushes")
    op.drop_table("erp_pushes")
    with op.batch_alter_table("erp_books") as batch:
        batch.drop_column("push_target")
