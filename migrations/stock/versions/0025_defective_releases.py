"""Defective releases (concessions): defective stock of one item at one location becomes
qualified, there or at another location, posted at once or saved as a draft, and held by
the `defective_release` approval gate as receipts, scraps and supplier returns are (0023).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc
from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "defective_releases"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("to_location_id", ID, nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("serial_numbers", JsonDoc, nullable=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("posted_by", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("draft", JsonDoc, nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(200), nullable=True),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.Column("reversed_by", sa.String(200), nullable=True),
        sa.Column("approval", sa.String(20), nullable=False, server_default="not_required"),
        sa.Column("approval_ref", sa.String(100), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
        sa.UniqueConstraint("number", name=f"uq_{TABLE}_number"),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=f"fk_{TABLE}_lot_id_lots"),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=f"fk_{TABLE}_location_id_locations"
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=f"fk_{TABLE}_to_location_id_locations"
        ),
    )
    op.create_index(f"ix_{TABLE}_status", TABLE, ["status"])
    op.create_index(f"ix_{TABLE}_item_code", TABLE, ["item_code"])
    op.create_index(f"ix_{TABLE}_lot_id", TABLE, ["lot_id"])


def downgrade() -> None:
    op.drop_index(f"ix_{TABLE}_lot_id", TABLE)
    op.drop_index(f"ix_{TABLE}_item_code", TABLE)
    op.drop_index(f"ix_{TABLE}_status", TABLE)
    op.drop_table(TABLE)
