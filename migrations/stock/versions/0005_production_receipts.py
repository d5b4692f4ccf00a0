"""Production receipts (完工入库) with consumed components.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("lots") as batch:
        batch.add_column(sa.Column("work_order", sa.String(100), nullable=False, server_default=""))
    op.create_table(
        "production_receipts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("work_order", sa.String(100), nullable=False),
        sa.Column("to_location_id", ID, nullable=False),
        sa.Column("wip_location_id", ID, nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.Column("reversed_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_production_receipts"),
        sa.UniqueConstraint("number", name="uq_production_receipts_number"),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["locations.id"],
            name="fk_production_receipts_to_location_id_locations",
        ),
        sa.ForeignKeyConstraint(
            ["wip_location_id"],
            ["locations.id"],
            name="fk_production_receipts_wip_location_id_locations",
        ),
    )
    op.create_index("ix_production_receipts_status", "production_receipts", ["status"])
    op.create_index("ix_production_receipts_work_order", "production_receipts", ["work_order"])
    op.create_table(
        "production_receipt_outputs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("quality_state", sa.String(30), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_production_receipt_outputs"),
        sa.UniqueConstraint(
            "document_id", "line_no", name="uq_production_receipt_outputs_document_id"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["production_receipts.id"],
            name="fk_production_receipt_outputs_document_id_production_receipts",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name="fk_production_receipt_outputs_lot_id_lots"
        ),
    )
    op.create_index(
        "ix_production_receipt_outputs_item_code", "production_receipt_outputs", ["item_code"]
    )
    op.create_table(
        "production_consumptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("backflushed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_production_consumptions"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["production_receipts.id"],
            name="fk_production_consumptions_document_id_production_receipts",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name="fk_production_consumptions_lot_id_lots"
        ),
    )
    op.create_index(
        "ix_production_consumptions_document_id",
        "production_consumptions",
        ["document_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_production_consumptions_document_id", "production_consumptions")
    op.drop_table("production_consumptions")
    op.drop_index("ix_production_receipt_outputs_item_code", "production_receipt_outputs")
    op.drop_table("production_receipt_outputs")
    op.drop_index("ix_production_receipts_work_order", "production_receipts")
    op.drop_index("ix_production_receipts_status", "production_receipts")
    op.drop_table("production_receipts")
    with op.batch_alter_table("lots") as batch:
        batch.drop_column("work_order")
