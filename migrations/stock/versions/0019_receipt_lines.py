"""Purchase receipts have lines; every receipt so far becomes a receipt of one line.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc
from shared.db.types import BigId, ExactDecimal

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "receipt_lines",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("receipt_id", BigId, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_id", BigId, nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("uom", sa.String(20), nullable=False),
        sa.Column("entered_quantity", ExactDecimal(), nullable=True),
        sa.Column("entered_uom", sa.String(20), nullable=True),
        sa.Column("unit_price", ExactDecimal(), nullable=True),
        sa.Column("serial_numbers", JsonDoc, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_receipt_lines"),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name="fk_receipt_lines_receipt_id_receipts"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_receipt_lines_lot_id_lots"),
        sa.UniqueConstraint("receipt_id", "line_no", name="uq_receipt_lines_receipt_id"),
    )
    op.create_index("ix_receipt_lines_item_code", "receipt_lines", ["item_code"])
    # serial numbers of earlier receipts stay on their movements (read from there)
    op.execute(
        "INSERT INTO receipt_lines (receipt_id, line_no, item_code, lot_id, quantity, uom, "
        "entered_quantity, entered_uom, unit_price) SELECT id, 1, item_code, lot_id, "
        "quantity, uom, entered_quantity, entered_uom, unit_price FROM receipts"
    )


def downgrade() -> None:
    op.drop_index("ix_receipt_lines_item_code", "receipt_lines")
    op.drop_table("receipt_lines")
