"""Shared tables; locations (with the virtual ones), lots, receipts, movements, balances.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db.migration_ops import create_shared_tables_v1, drop_shared_tables_v1
from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
VIRTUAL = [
    ("VIRTUAL/SUPPLIER", "Suppliers", "supplier"),
    ("VIRTUAL/CUSTOMER", "Customers", "customer"),
    ("VIRTUAL/PRODUCTION", "Production consumption", "production"),
    ("VIRTUAL/COUNT-ADJUSTMENT", "Count gain and loss", "count_adjustment"),
]


def upgrade() -> None:
    create_shared_tables_v1()
    locations = op.create_table(
        "locations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("location_type", sa.String(30), nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("is_virtual", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["locations.id"], name="fk_locations_parent_id_locations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_locations"),
        sa.UniqueConstraint("code", name="uq_locations_code"),
    )
    now = datetime.now(UTC)
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
                "created_at": now,
            }
            for code, name, kind in VIRTUAL
        ],
    )
    op.create_table(
        "lots",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_number", sa.String(100), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("supplier_lot", sa.String(100), nullable=False),
        sa.Column("date_code", sa.String(20), nullable=False),
        sa.Column("purchase_order", sa.String(100), nullable=False),
        sa.Column("receipt_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lots"),
        sa.UniqueConstraint("item_code", "lot_number", name="uq_lots_item_lot"),
    )
    op.create_table(
        "receipts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("uom", sa.String(20), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("purchase_order", sa.String(100), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name="fk_receipts_location_id_locations"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_receipts_lot_id_lots"),
        sa.PrimaryKeyConstraint("id", name="pk_receipts"),
        sa.UniqueConstraint("number", name="uq_receipts_number"),
    )
    op.create_index("ix_receipts_item_code", "receipts", ["item_code"])
    op.create_table(
        "movements",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("document_type", sa.String(30), nullable=False),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("from_location_id", ID, nullable=False),
        sa.Column("to_location_id", ID, nullable=False),
        sa.Column("from_state", sa.String(30), nullable=False),
        sa.Column("to_state", sa.String(30), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"], name="fk_movements_from_location_id_locations"
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name="fk_movements_to_location_id_locations"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_movements_lot_id_lots"),
        sa.PrimaryKeyConstraint("id", name="pk_movements"),
    )
    op.create_index("ix_movements_item_posted", "movements", ["item_code", "id"])
    op.create_table(
        "balances",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("lot_key", sa.String(100), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quality_state", sa.String(30), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name="fk_balances_location_id_locations"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_balances_lot_id_lots"),
        sa.PrimaryKeyConstraint("id", name="pk_balances"),
        sa.UniqueConstraint(
            "item_code", "location_id", "lot_key", "quality_state", name="uq_balances_bucket"
        ),
    )


def downgrade() -> None:
    op.drop_table("balances")
    op.drop_index("ix_movements_item_posted", table_name="movements")
    op.drop_table("movements")
    op.drop_index("ix_receipts_item_code", table_name="receipts")
    op.drop_table("receipts")
    op.drop_table("lots")
    op.drop_table("locations")
    drop_shared_tables_v1()
