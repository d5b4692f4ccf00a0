"""Shared tables and the item master.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.migration_ops import create_shared_tables_v1, drop_shared_tables_v1
from shared.db.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_shared_tables_v1()
    op.create_table(
        "items",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("specification", sa.String(500), nullable=False),
        sa.Column("uom", sa.String(20), nullable=False),
        sa.Column("item_type", sa.String(20), nullable=False),
        sa.Column("procurement", sa.String(10), nullable=False),
        sa.Column("tracking", sa.String(10), nullable=False),
        sa.Column("shelf_life_days", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        sa.UniqueConstraint("code", name="uq_items_code"),
    )


def downgrade() -> None:
    op.drop_table("items")
    drop_shared_tables_v1()
