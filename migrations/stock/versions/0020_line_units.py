"""Requisition and transfer lines keep the quantity as entered when it was in another
unit (issued in reels, kept in pieces).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("requisition_lines", "transfer_lines")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("entered_quantity", ExactDecimal(), nullable=True))
        op.add_column(table, sa.Column("entered_uom", sa.String(20), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("entered_uom")
            batch.drop_column("entered_quantity")
