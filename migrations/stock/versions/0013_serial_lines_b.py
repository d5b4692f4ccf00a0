"""Serial numbers on requisition, shipment and production receipt lines.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables that get a `serial_numbers` column: a JSON list of the units a line moved,
#: NULL for lines of items without serials.
TABLES = (
    "requisition_lines",
    "shipment_lines",
    "production_receipt_outputs",
    "production_consumptions",
)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("serial_numbers", JsonDoc, nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("serial_numbers")
