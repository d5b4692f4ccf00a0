"""Sales shipments.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("sales_order", sa.String(100), nullable=False),
        sa.Column("customer", sa.String(200), nullable=False),
        sa.Column("from_location_id", ID, nullable=False),
        sa.Column("carrier", sa.String(100), nullable=False),
        sa.Column("tracking_number", sa.String(100), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.Column("reversed_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_shipments"),
        sa.UniqueConstraint("number", name="uq_shipments_number"),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"], name="fk_shipments_from_location_id_locations"
        ),
    )
    op.create_index("ix_shipments_sales_order", "shipments", ["sales_order"])
    op.create_index("ix_shipments_customer", "shipments", ["customer"])
    op.create_table(
        "shipment_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("shipment_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sales_order_line", sa.String(50), nullable=True),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shipment_lines"),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name="fk_shipment_lines_shipment_id_shipments"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_shipment_lines_lot_id_lots"),
    )
    op.create_index("ix_shipment_lines_shipment_id", "shipment_lines", ["shipment_id"])
    op.create_index("ix_shipment_lines_item_code", "shipment_lines", ["item_code"])


def downgrade() -> None:
    op.drop_index("ix_shipment_lines_item_code", "shipment_lines")
    op.drop_index("ix_shipment_lines_shipment_id", "shipment_lines")
    op.drop_table("shipment_lines")
    op.drop_index("ix_shipments_customer", "shipments")
    op.drop_index("ix_shipments_sales_order", "shipments")
    op.drop_table("shipments")
