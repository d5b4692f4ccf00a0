"""Valuation: unit cost and value on every movement, moving average per item, a gap-free
ledger sequence, purchase prices on receipts.

Movements posted before this revision had no cost: they are kept at value 0, and the
item valuations start from the quantities on hand at value 0.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("receipts", sa.Column("unit_price", ExactDecimal(), nullable=True))
    with op.batch_alter_table("movements") as batch:
        batch.add_column(sa.Column("sequence", ID, nullable=True))
        batch.add_column(sa.Column("unit_cost", ExactDecimal(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("value", ExactDecimal(), nullable=False, server_default="0"))
    # window functions and UPDATE .. FROM: PostgreSQL, and SQLite since 3.33
    op.execute(
        "UPDATE movements SET sequence = numbered.n FROM "
        "(SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM movements) AS numbered "
        "WHERE movements.id = numbered.id"
    )
    with op.batch_alter_table("movements") as batch:
        batch.alter_column("sequence", existing_type=ID, nullable=False)
        batch.alter_column("unit_cost", existing_type=ExactDecimal(), server_default=None)
        batch.alter_column("value", existing_type=ExactDecimal(), server_default=None)
        batch.create_unique_constraint("uq_movements_sequence", ["sequence"])

    op.create_table(
        "ledger_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_sequence", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_counter"),
    )
    op.execute(
        "INSERT INTO ledger_counter (id, last_sequence) "
        "SELECT 1, COALESCE(MAX(sequence), 0) FROM movements"
    )

    op.create_table(
        "item_valuations",
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("last_unit_cost", ExactDecimal(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("item_code", name="pk_item_valuations"),
    )
    op.execute(
        "INSERT INTO item_valuations (item_code, quantity, value, last_unit_cost, updated_at) "
        "SELECT item_code, SUM(quantity), 0, 0, MAX(updated_at) FROM balances "
        "GROUP BY item_code"
    )


def downgrade() -> None:
    op.drop_table("item_valuations")
    op.drop_table("ledger_counter")
    with op.batch_alter_table("movements") as batch:
        batch.drop_constraint("uq_movements_sequence", type_="unique")
        batch.drop_column("value")
        batch.drop_column("unit_cost")
        batch.drop_column("sequence")
    op.drop_column("receipts", "unit_price")
