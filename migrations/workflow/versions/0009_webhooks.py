"""Event webhooks for integrators: subscriptions to feed events (`wf_webhooks`) and their
deliveries, which are also the delivery log and the dead-letter list
(`wf_webhook_deliveries`: one row per event and subscription and replay generation).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wf_webhooks",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_webhooks")),
    )
    op.create_table(
        "wf_webhook_deliveries",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("seq", ID, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["wf_webhooks.id"],
            name=op.f("fk_wf_webhook_deliveries_subscription_id_wf_webhooks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_webhook_deliveries")),
        sa.UniqueConstraint(
            "subscription_id",
            "source",
            "seq",
            "generation",
            name=op.f("uq_wf_webhook_deliveries_subscription_id"),
        ),
    )
    op.create_index(
        "ix_wf_webhook_deliveries_state",
        "wf_webhook_deliveries",
        ["subscription_id", "state", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_wf_webhook_deliveries_state", table_name="wf_webhook_deliveries")
    op.drop_table("wf_webhook_deliveries")
    op.drop_table("wf_webhooks")
