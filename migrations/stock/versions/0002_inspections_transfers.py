"""Quality inspections, transfers, and reversal links between movements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc
from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _document_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.Column("reversed_by", sa.String(200), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("movements") as batch:
        batch.add_column(sa.Column("reversal_of_id", ID, nullable=True))
        batch.create_foreign_key(
            "fk_movements_reversal_of_id_movements", "movements", ["reversal_of_id"], ["id"]
        )
    op.create_table(
        "inspections",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("accepted_location_id", ID, nullable=False),
        sa.Column("rejected_location_id", ID, nullable=False),
        sa.Column("accepted_quantity", ExactDecimal(), nullable=False),
        sa.Column("rejected_quantity", ExactDecimal(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(10), nullable=False),
        sa.Column("inspector", sa.String(200), nullable=False),
        sa.Column("defects", JsonDoc, nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        *_document_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_inspections"),
        sa.UniqueConstraint("number", name="uq_inspections_number"),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_inspections_lot_id_lots"),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name="fk_inspections_location_id_locations"
        ),
        sa.ForeignKeyConstraint(
            ["accepted_location_id"], ["locations.id"],
            name="fk_inspections_accepted_location_id_locations",
        ),
        sa.ForeignKeyConstraint(
            ["rejected_location_id"], ["locations.id"],
            name="fk_inspections_rejected_location_id_locations",
        ),
    )
    op.create_index("ix_inspections_item_code", "inspections", ["item_code"])
    op.create_index("ix_inspections_lot_id", "inspections", ["lot_id"])
    op.create_table(
        "transfers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("from_location_id", ID, nullable=False),
        sa.Column("to_location_id", ID, nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        *_document_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_transfers"),
        sa.UniqueConstraint("number", name="uq_transfers_number"),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"],
            name="fk_transfers_from_location_id_locations",
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name="fk_transfers_to_location_id_locations"
        ),
    )
    op.create_table(
        "transfer_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("quality_state", sa.String(30), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transfer_lines"),
        sa.UniqueConstraint("transfer_id", "line_no", name="uq_transfer_lines_transfer_id"),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name="fk_transfer_lines_transfer_id_transfers"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_transfer_lines_lot_id_lots"),
    )


def downgrade() -> None:
    op.drop_table("transfer_lines")
    op.drop_table("transfers")
    op.drop_index("ix_inspections_lot_id", "inspections")
    op.drop_index("ix_inspections_item_code", "inspections")
    op.drop_table("inspections")
    with op.batch_alter_table("movements") as batch:
        batch.drop_constraint("fk_movements_reversal_of_id_movements", type_="foreignkey")
        batch.drop_column("reversal_of_id")
