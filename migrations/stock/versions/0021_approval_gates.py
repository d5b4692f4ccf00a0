"""Approval gates: document types whose submitted documents wait for workflow's decision,
and each requisition's approval state.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_gates",
        sa.Column("document_type", sa.String(40), primary_key=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("flow", sa.String(200), nullable=False, server_default=""),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.add_column(
        "requisitions",
        sa.Column("approval", sa.String(20), nullable=False, server_default="not_required"),
    )
    op.add_column(
        "requisitions",
        sa.Column("approval_ref", sa.String(100), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("requisitions") as batch:
        batch.drop_column("approval_ref")
        batch.drop_column("approval")
    op.drop_table("approval_gates")
