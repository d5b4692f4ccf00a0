"""Stock counts (盘点): the frozen book of a location subtree, the counted lines, the items.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _who(step: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(f"{step}_at", UTCDateTime(), nullable=True),
        sa.Column(f"{step}_by", sa.String(200), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "stock_counts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        *_who("posted"),
        *_who("cancelled"),
        *_who("reversed"),
        sa.PrimaryKeyConstraint("id", name="pk_stock_counts"),
        sa.UniqueConstraint("number", name="uq_stock_counts_number"),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name="fk_stock_counts_location_id_locations"
        ),
    )
    op.create_index("ix_stock_counts_status", "stock_counts", ["status"])
    op.create_index("ix_stock_counts_location_id", "stock_counts", ["location_id"])
    op.create_table(
        "stock_count_items",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("count_id", ID, nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stock_count_items"),
        sa.UniqueConstraint("count_id", "item_code", name="uq_stock_count_items_count_id"),
        sa.ForeignKeyConstraint(
            ["count_id"], ["stock_counts.id"], name="fk_stock_count_items_count_id_stock_counts"
        ),
    )
    op.create_table(
        "stock_count_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("count_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("lot_key", sa.String(100), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quality_state", sa.String(30), nullable=False),
        sa.Column("book_quantity", ExactDecimal(), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("counted_quantity", ExactDecimal(), nullable=True),
        *_who("counted"),
        sa.PrimaryKeyConstraint("id", name="pk_stock_count_lines"),
        sa.UniqueConstraint("count_id", "line_no", name="uq_stock_count_lines_count_id"),
        sa.UniqueConstraint(
            "count_id",
            "item_code",
            "location_id",
            "lot_key",
            "quality_state",
            name="uq_stock_count_lines_bucket",
        ),
        sa.ForeignKeyConstraint(
            ["count_id"], ["stock_counts.id"], name="fk_stock_count_lines_count_id_stock_counts"
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name="fk_stock_count_lines_location_id_locations"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_stock_count_lines_lot_id_lots"),
    )


def downgrade() -> None:
    op.drop_table("stock_count_lines")
    op.drop_table("stock_count_items")
    op.drop_index("ix_stock_counts_location_id", "stock_counts")
    op.drop_index("ix_stock_counts_status", "stock_counts")
    op.drop_table("stock_counts")
