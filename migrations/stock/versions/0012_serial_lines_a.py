"""Serial numbers on transfer, scrap/return and inspection lines.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column): JSON lists of serial numbers, NULL for lines of other items.
COLUMNS = (
    ("transfer_lines", "serial_numbers"),
    ("scrap_return_lines", "serial_numbers"),
    ("inspections", "accepted_serial_numbers"),
    ("inspections", "rejected_serial_numbers"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, JsonDoc, nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
