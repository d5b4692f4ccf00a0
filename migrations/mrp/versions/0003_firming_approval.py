"""Firming a planned order can wait for approval: the approval gate of
`planned_order_firming`, and on each planned order its approval state (`not_required`,
`pending`, `approved`), the workflow instance that decided it, the firming request held
while it waits and who asked for it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
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
        "planned_orders",
        sa.Column("approval", sa.String(20), nullable=False, server_default="not_required"),
    )
    op.add_column(
        "planned_orders",
        sa.Column("approval_ref", sa.String(100), nullable=False, server_default=""),
    )
    op.add_column("planned_orders", sa.Column("firm_request", sa.JSON(), nullable=True))
    op.add_column(
        "planned_orders", sa.Column("approval_requested_by", sa.String(200), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("planned_orders") as batch:
        batch.drop_column("approval_requested_by")
        batch.drop_column("firm_request")
        batch.drop_column("approval_ref")
        batch.drop_column("approval")
    op.drop_table("approval_gates")
