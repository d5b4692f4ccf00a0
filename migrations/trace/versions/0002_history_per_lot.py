"""A stock event may touch several lots (a receipt of many lines): a lot's history holds
one row per event and lot, not one per event.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lot_history") as batch:
        batch.drop_constraint("uq_lot_history_source_seq", type_="unique")
        batch.create_unique_constraint(
            "uq_lot_history_source_seq_lot", ["source", "source_seq", "lot_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("lot_history") as batch:
        batch.drop_constraint("uq_lot_history_source_seq_lot", type_="unique")
        batch.create_unique_constraint("uq_lot_history_source_seq", ["source", "source_seq"])
