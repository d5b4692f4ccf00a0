"""Reservations of qualified stock for work orders; movements found by document.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_index("ix_movements_document", "movements", ["document_type", "document_id"])
    op.create_table(
        "reservations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("work_order", sa.String(100), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("location_id", ID, nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("required_date", sa.Date(), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
        sa.UniqueConstraint("number", name="uq_reservations_number"),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name="fk_reservations_location_id_locations"
        ),
    )
    op.create_index("ix_reservations_status", "reservations", ["status"])
    op.create_index("ix_reservations_work_order", "reservations", ["work_order"])
    op.create_index("ix_reservations_item_code", "reservations", ["item_code"])


def downgrade() -> None:
    op.drop_index("ix_reservations_item_code", "reservations")
    op.drop_index("ix_reservations_work_order", "reservations")
    op.drop_index("ix_reservations_status", "reservations")
    op.drop_table("reservations")
    op.drop_index("ix_movements_document", "movements")
