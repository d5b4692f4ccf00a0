"""Serials: one row per serial-tracked unit, the serial on movements and in the balance key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("balances") as batch:
        batch.add_column(
            sa.Column("serial_key", sa.String(100), nullable=False, server_default="")
        )
        batch.drop_constraint("uq_balances_bucket", type_="unique")
        batch.create_unique_constraint(
            "uq_balances_bucket",
            ["item_code", "location_id", "lot_key", "serial_key", "quality_state"],
        )
    with op.batch_alter_table("balances") as batch:
        batch.alter_column("serial_key", existing_type=sa.String(100), server_default=None)
    op.add_column("movements", sa.Column("serial_number", sa.String(100), nullable=True))
    op.create_index("ix_movements_serial", "movements", ["item_code", "serial_number"])
    op.create_table(
        "serials",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("serial_number", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("location_id", ID, nullable=True),
        sa.Column("quality_state", sa.String(30), nullable=True),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_serials"),
        sa.UniqueConstraint("item_code", "serial_number", name="uq_serials_item"),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_serials_lot_id_lots"),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name="fk_serials_location_id_locations"
        ),
    )
    op.create_index("ix_serials_status", "serials", ["status"])


def downgrade() -> None:
    op.drop_index("ix_serials_status", "serials")
    op.drop_table("serials")
    op.drop_index("ix_movements_serial", "movements")
    op.drop_column("movements", "serial_number")
    with op.batch_alter_table("balances") as batch:
        batch.drop_constraint("uq_balances_bucket", type_="unique")
        batch.create_unique_constraint(
            "uq_balances_bucket", ["item_code", "location_id", "lot_key", "quality_state"]
        )
        batch.drop_column("serial_key")
