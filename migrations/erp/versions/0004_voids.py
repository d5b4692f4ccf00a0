"""Voiding a pushed voucher: when and why it was voided, and which voucher a corrected
one replaces.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("erp_vouchers") as batch:
        batch.add_column(sa.Column("void_reason", sa.String(500), nullable=True))
        batch.add_column(sa.Column("voided_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("replaces_number", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("erp_vouchers") as batch:
        batch.drop_column("replaces_number")
        batch.drop_column("voided_at")
        batch.drop_column("void_reason")
