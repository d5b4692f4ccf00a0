"""Saved report definitions: a report query (`POST /v1/reports/query`) with a name, shared
with roles.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc
from shared.db.types import UTCDateTime

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "report_definitions"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("query", JsonDoc, nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("shared_roles", sa.String(400), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
        sa.UniqueConstraint("name", name=f"uq_{TABLE}_name"),
    )
    op.create_index(f"ix_{TABLE}_owner", TABLE, ["owner"])


def downgrade() -> None:
    op.drop_index(f"ix_{TABLE}_owner", TABLE)
    op.drop_table(TABLE)
