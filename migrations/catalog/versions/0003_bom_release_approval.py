"""BOM release approval: a gate per document type (`bom_release`) that workflow closes
while an approval flow decides releases, and on each BOM version its approval state
(`not_required`, `pending`, `approved`), the workflow instance that decided it and, while
pending, the release request held for approval.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc
from shared.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_gates",
        sa.Column("document_type", sa.String(40), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("flow", sa.String(200), nullable=False, server_default=""),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("document_type", name="pk_approval_gates"),
    )
    op.add_column(
        "bom_versions",
        sa.Column("approval", sa.String(20), nullable=False, server_default="not_required"),
    )
    op.add_column(
        "bom_versions",
        sa.Column("approval_ref", sa.String(100), nullable=False, server_default=""),
    )
    op.add_column("bom_versions", sa.Column("release_request", JsonDoc, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bom_versions") as batch:
        batch.drop_column("release_request")
        batch.drop_column("approval_ref")
        batch.drop_column("approval")
    op.drop_table("approval_gates")
