"""Serial counts and opening balances (the virtual opening location).

Stock count lines get the serial of the unit they count (one line per serial) in their
bucket key; opening balances (SAP 561) get their document and line tables and the
virtual location `VIRTUAL/OPENING` their stock comes from.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc
from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPENING = ("VIRTUAL/OPENING", "Opening balances", "opening")

locations = sa.table(
    "locations",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("location_type", sa.String),
    sa.column("parent_id", ID),
    sa.column("is_virtual", sa.Boolean),
    sa.column("active", sa.Boolean),
    sa.column("version", sa.Integer),
    sa.column("created_at", UTCDateTime()),
)

_BUCKET = ["count_id", "item_code", "location_id", "lot_key", "quality_state"]


def upgrade() -> None:
    code, name, kind = OPENING
    op.bulk_insert(
        locations,
        [
            {
                "code": code,
                "name": name,
                "location_type": kind,
                "parent_id": None,
                "is_virtual": True,
                "active": True,
                "version": 1,
                "created_at": datetime.now(UTC),
            }
        ],
    )
    with op.batch_alter_table("stock_count_lines") as batch:
        batch.add_column(sa.Column("serial_key", sa.String(100), nullable=False, server_default=""))
        batch.drop_constraint("uq_stock_count_lines_bucket", type_="unique")
        batch.create_unique_constraint(
            "uq_stock_count_lines_bucket",
            ["count_id", "item_code", "location_id", "lot_key", "serial_key", "quality_state"],
        )
    with op.batch_alter_table("stock_count_lines") as batch:
        batch.alter_column("serial_key", existing_type=sa.String(100), server_default=None)
    op.create_table(
        "opening_balances",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.Column("reversed_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_opening_balances"),
        sa.UniqueConstraint("number", name="uq_opening_balances_number"),
    )
    op.create_index("ix_opening_balances_status", "opening_balances", ["status"])
    op.create_index("ix_opening_balances_file_sha256", "opening_balances", ["file_sha256"])
    op.create_table(
        "opening_balance_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sheet_row", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quality_state", sa.String(30), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("unit_cost", ExactDecimal(), nullable=True),
        sa.Column("serial_numbers", JsonDoc, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opening_balance_lines"),
        sa.UniqueConstraint("document_id", "line_no", name="uq_opening_balance_lines_document_id"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["opening_balances.id"],
            name="fk_opening_balance_lines_document_id_opening_balances",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name="fk_opening_balance_lines_location_id_locations",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name="fk_opening_balance_lines_lot_id_lots"
        ),
    )
    op.create_index("ix_opening_balance_lines_item_code", "opening_balance_lines", ["item_code"])


def downgrade() -> None:
    op.drop_index("ix_opening_balance_lines_item_code", "opening_balance_lines")
    op.drop_table("opening_balance_lines")
    op.drop_index("ix_opening_balances_file_sha256", "opening_balances")
    op.drop_index("ix_opening_balances_status", "opening_balances")
    op.drop_table("opening_balances")
    with op.batch_alter_table("stock_count_lines") as batch:
        batch.drop_constraint("uq_stock_count_lines_bucket", type_="unique")
        batch.create_unique_constraint("uq_stock_count_lines_bucket", _BUCKET)
        batch.drop_column("serial_key")
    op.execute(sa.delete(locations).where(locations.c.code == OPENING[0]))
