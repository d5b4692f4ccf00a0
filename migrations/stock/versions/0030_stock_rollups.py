"""The day and month flows summed over items by category, item type and unit
(`stock_rollups`), for reports that group by those or not by item. Empty here: an item's
flows join it when stock's copy of the catalog (0029) receives the item from the
catalog's feed, and every posting adds to it after (services/stock/usecases/rollups.py).

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "stock_rollups"
KEY = (
    "grain",
    "period",
    "category",
    "item_type",
    "uom",
    "location_id",
    "quality_state",
    "stage",
    "kind",
    "external",
)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("item_type", sa.String(20), nullable=False),
        sa.Column("uom", sa.String(20), nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("quality_state", sa.String(30), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("qty_in", ExactDecimal(), nullable=False),
        sa.Column("qty_out", ExactDecimal(), nullable=False),
        sa.Column("value_in", ExactDecimal(), nullable=False),
        sa.Column("value_out", ExactDecimal(), nullable=False),
        sa.Column("moves", ID, nullable=False),
        sa.Column("qty_days", ExactDecimal(), nullable=False),
        sa.Column("value_days", ExactDecimal(), nullable=False),
        sa.Column("used_qty", ExactDecimal(), nullable=False),
        sa.Column("used_value", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=f"pk_{TABLE}"),
    )


def downgrade() -> None:
    op.drop_table(TABLE)
