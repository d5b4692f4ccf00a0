"""Stock counts posted with differences can wait for approval (`count_variance`): each
count's approval state (`not_required`, `pending`, `approved`) and the workflow instance
that decided it, as receipts, scraps and supplier returns have them since 0023.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "stock_counts",
        sa.Column("approval", sa.String(20), nullable=False, server_default="not_required"),
    )
    op.add_column(
        "stock_counts",
        sa.Column("approval_ref", sa.String(100), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("stock_counts") as batch:
        batch.drop_column("approval_ref")
        batch.drop_column("approval")
