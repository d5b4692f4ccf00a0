"""Balances know since when they hold stock: `since`, the posting moment a bucket last went
from zero to non-zero (null at zero); existing non-zero balances take their `updated_at`.
Movements that were reversed are found by a partial index on `reversal_of_id` (the
dead-stock report asks it of every item's last issue).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("balances", sa.Column("since", UTCDateTime(), nullable=True))
    # the last change is the best the balances know of when they began to hold stock
    op.execute("UPDATE balances SET since = updated_at WHERE quantity <> 0")
    op.create_index(
        "ix_movements_reversal_of",
        "movements",
        ["reversal_of_id"],
        postgresql_where=sa.text("reversal_of_id IS NOT NULL"),
        sqlite_where=sa.text("reversal_of_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_movements_reversal_of", "movements")
    with op.batch_alter_table("balances") as batch:
        batch.drop_column("since")
