"""Purchase receipts, scraps and supplier returns can wait for approval: each document's
approval state (`not_required`, `pending`, `approved`) and the workflow instance that
decided it, as requisitions have them since 0021.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("receipts", "scrap_returns")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("approval", sa.String(20), nullable=False, server_default="not_required"),
        )
        op.add_column(
            table,
            sa.Column("approval_ref", sa.String(100), nullable=False, server_default=""),
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("approval_ref")
            batch.drop_column("approval")
