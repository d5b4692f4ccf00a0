"""Material requisitions and their lines.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
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
        "requisitions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("work_order", sa.String(100), nullable=False),
        sa.Column("to_location_id", ID, nullable=False),
        sa.Column("from_location_id", ID, nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        *_who("submitted"),
        *_who("posted"),
        *_who("cancelled"),
        *_who("reversed"),
        sa.PrimaryKeyConstraint("id", name="pk_requisitions"),
        sa.UniqueConstraint("number", name="uq_requisitions_number"),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name="fk_requisitions_to_location_id_locations"
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"],
            name="fk_requisitions_from_location_id_locations",
        ),
    )
    op.create_index("ix_requisitions_status", "requisitions", ["status"])
    op.create_index("ix_requisitions_work_order", "requisitions", ["work_order"])
    op.create_table(
        "requisition_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("requisition_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_requisition_lines"),
        sa.UniqueConstraint(
            "requisition_id", "line_no", name="uq_requisition_lines_requisition_id"
        ),
        sa.ForeignKeyConstraint(
            ["requisition_id"], ["requisitions.id"],
            name="fk_requisition_lines_requisition_id_requisitions",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name="fk_requisition_lines_lot_id_lots"
        ),
    )


def downgrade() -> None:
    op.drop_table("requisition_lines")
    op.drop_index("ix_requisitions_work_order", "requisitions")
    op.drop_index("ix_requisitions_status", "requisitions")
    op.drop_table("requisitions")
