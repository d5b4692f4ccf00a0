"""Receipts keep the quantity as entered when it was in another unit.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("receipts", sa.Column("entered_quantity", ExactDecimal(), nullable=True))
    op.add_column("receipts", sa.Column("entered_uom", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("entered_uom")
        batch.drop_column("entered_quantity")
