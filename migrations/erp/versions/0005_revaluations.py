"""Revaluations: stock's `ItemRevalued` events (a back-dated posting changed the values of
later movements), kept until erp has posted the value differences of the movements it
had vouchered.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "erp_revaluations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("event_seq", ID, nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_revaluations"),
        sa.UniqueConstraint("event_seq", name="uq_erp_revaluations_event_seq"),
    )
    op.create_index("ix_erp_revaluations_state", "erp_revaluations", ["state"])


def downgrade() -> None:
    op.drop_index("ix_erp_revaluations_state", table_name="erp_revaluations")
    op.drop_table("erp_revaluations")
