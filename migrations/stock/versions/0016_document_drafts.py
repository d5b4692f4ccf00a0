"""Warehouse documents can be saved as drafts, posted later or cancelled.

Receipts, inspections, transfers, scraps and returns, production receipts and shipments
get `created_at/by`, `cancelled_at/by` and `draft` (the request the draft will post);
their `posted_at/by` become empty until posting. Receipts also get a status and the
reversal columns the other documents already had.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc
from shared.db.types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "receipts",
    "inspections",
    "transfers",
    "scrap_returns",
    "production_receipts",
    "shipments",
)

#: Drafts are listed by status; production receipts had this index already.
NEW_STATUS_INDEXES = ("receipts", "inspections", "transfers", "scrap_returns", "shipments")


def upgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(
            sa.Column("status", sa.String(10), nullable=False, server_default="posted")
        )
        batch.add_column(sa.Column("reversed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reversed_by", sa.String(200), nullable=True))
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("created_at", UTCDateTime(), nullable=True))
            batch.add_column(sa.Column("created_by", sa.String(200), nullable=True))
            batch.add_column(sa.Column("cancelled_at", UTCDateTime(), nullable=True))
            batch.add_column(sa.Column("cancelled_by", sa.String(200), nullable=True))
            batch.add_column(sa.Column("draft", JsonDoc, nullable=True))
            batch.alter_column("posted_at", existing_type=UTCDateTime(), nullable=True)
            batch.alter_column("posted_by", existing_type=sa.String(200), nullable=True)
        op.execute(f"UPDATE {table} SET created_at = posted_at, created_by = posted_by")
    for table in NEW_STATUS_INDEXES:
        op.create_index(f"ix_{table}_status", table, ["status"])


def downgrade() -> None:
    for table in NEW_STATUS_INDEXES:
        op.drop_index(f"ix_{table}_status", table)
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE posted_at IS NULL")
        with op.batch_alter_table(table) as batch:
            batch.drop_column("draft")
            batch.drop_column("cancelled_by")
            batch.drop_column("cancelled_at")
            batch.drop_column("created_by")
            batch.drop_column("created_at")
            batch.alter_column("posted_at", existing_type=UTCDateTime(), nullable=False)
            batch.alter_column("posted_by", existing_type=sa.String(200), nullable=False)
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("reversed_by")
        batch.drop_column("reversed_at")
        batch.drop_column("status")
