"""The flows, month-end closings and rollups follow the ledger after postings commit
(services/stock/usecases/aggregation.py), instead of inside every posting.

* `stock_aggregation`: one row, the last ledger sequence the aggregates hold
  (`flows_through`) and the last month whose closings are built (`closed_through`, moved
  here from the ledger counter, which postings hold and the follower must not wait for).

Every posting so far was aggregated inside its own transaction: the aggregates hold the
whole ledger.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stock_aggregation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flows_through", ID, nullable=False),
        sa.Column("closed_through", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_stock_aggregation"),
    )
    op.execute(
        "INSERT INTO stock_aggregation (id, flows_through, closed_through) "
        "SELECT 1, last_sequence, flows_closed_through FROM ledger_counter WHERE id = 1"
    )
    with op.batch_alter_table("ledger_counter") as batch:
        batch.drop_column("flows_closed_through")


def downgrade() -> None:
    op.add_column("ledger_counter", sa.Column("flows_closed_through", sa.Date(), nullable=True))
    op.execute(
        "UPDATE ledger_counter SET flows_closed_through = "
        "(SELECT closed_through FROM stock_aggregation WHERE id = 1)"
    )
    op.drop_table("stock_aggregation")
