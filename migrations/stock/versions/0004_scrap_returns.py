"""Scrap, returns to suppliers and customer returns; the virtual scrapped location.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SCRAPPED = ("VIRTUAL/SCRAPPED", "Scrapped stock", "scrapped")

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


def upgrade() -> None:
    code, name, kind = SCRAPPED
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
    op.create_table(
        "scrap_returns",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("counterparty", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.Column("reversed_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_scrap_returns"),
        sa.UniqueConstraint("number", name="uq_scrap_returns_number"),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name="fk_scrap_returns_location_id_locations"
        ),
    )
    op.create_index("ix_scrap_returns_kind", "scrap_returns", ["kind"])
    op.create_table(
        "scrap_return_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("quality_state", sa.String(30), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scrap_return_lines"),
        sa.UniqueConstraint("document_id", "line_no", name="uq_scrap_return_lines_document_id"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["scrap_returns.id"],
            name="fk_scrap_return_lines_document_id_scrap_returns",
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_scrap_return_lines_lot_id_lots"),
    )


def downgrade() -> None:
    op.drop_table("scrap_return_lines")
    op.drop_index("ix_scrap_returns_kind", "scrap_returns")
    op.drop_table("scrap_returns")
    op.execute(sa.delete(locations).where(locations.c.code == SCRAPPED[0]))
