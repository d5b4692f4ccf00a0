"""Back-dated postings: the time a movement takes effect and the time it was entered, the
movements valued at a given price, the closed period.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

period = sa.table(
    "posting_period",
    sa.column("id", sa.Integer),
    sa.column("closed_through", sa.Date),
    sa.column("updated_at", UTCDateTime()),
    sa.column("updated_by", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("movements") as batch:
        batch.add_column(sa.Column("recorded_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("priced", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE movements SET recorded_at = posted_at")
    with op.batch_alter_table("movements") as batch:
        batch.alter_column("recorded_at", existing_type=UTCDateTime(), nullable=False)
        batch.alter_column("priced", existing_type=sa.Boolean(), server_default=None)
    op.create_index(
        "ix_movements_item_time", "movements", ["item_code", "posted_at", "sequence"]
    )
    op.create_table(
        "posting_period",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("closed_through", sa.Date(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_posting_period"),
    )
    op.bulk_insert(
        period,
        [
            {
                "id": 1,
                "closed_through": None,
                "updated_at": datetime.now(UTC),
                "updated_by": "system",
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("posting_period")
    op.drop_index("ix_movements_item_time", "movements")
    with op.batch_alter_table("movements") as batch:
        batch.drop_column("priced")
        batch.drop_column("recorded_at")
