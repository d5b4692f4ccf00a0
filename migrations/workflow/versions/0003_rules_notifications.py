"""Notifications (channels, the outbox, delivery attempts), rules with their episodes and
the items waiting to be evaluated, and to-dos.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wf_channels",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("per_minute", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_channels")),
        sa.UniqueConstraint("code", name=op.f("uq_wf_channels_code")),
    )
    op.create_table(
        "wf_messages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("channel_code", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=1000), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=False),
        sa.Column("merged_into", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_wf_messages_dedupe_key")),
    )
    op.create_index(
        "ix_wf_messages_channel_sent", "wf_messages", ["channel_code", "sent_at"], unique=False
    )
    op.create_index(
        "ix_wf_messages_status_due", "wf_messages", ["status", "next_attempt_at"], unique=False
    )
    op.create_table(
        "wf_rule_subjects",
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("source_seq", ID, nullable=False),
        sa.PrimaryKeyConstraint("item_code", name=op.f("pk_wf_rule_subjects")),
    )
    op.create_table(
        "wf_rules",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_rules")),
        sa.UniqueConstraint("code", name=op.f("uq_wf_rules_code")),
    )
    op.create_table(
        "wf_todos",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("todo_type", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", ExactDecimal(18, 6), nullable=True),
        sa.Column("link", sa.String(length=1000), nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=False),
        sa.Column("assignee_role", sa.String(length=64), nullable=False),
        sa.Column("due_date", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_todos")),
    )
    op.create_index("ix_wf_todos_assignee_status", "wf_todos", ["assignee", "status"], unique=False)
    op.create_index(
        "ix_wf_todos_status_type_item",
        "wf_todos",
        ["status", "todo_type", "item_code"],
        unique=False,
    )
    op.create_table(
        "wf_deliveries",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["wf_messages.id"], name=op.f("fk_wf_deliveries_message_id_wf_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_deliveries")),
    )
    op.create_index(
        op.f("ix_wf_deliveries_message_id"), "wf_deliveries", ["message_id"], unique=False
    )
    op.create_table(
        "wf_episodes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["wf_rules.id"], name=op.f("fk_wf_episodes_rule_id_wf_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_episodes")),
        sa.UniqueConstraint("rule_id", "key", name=op.f("uq_wf_episodes_rule_id")),
    )
    op.create_index("ix_wf_episodes_open", "wf_episodes", ["rule_id", "open"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_wf_episodes_open", table_name="wf_episodes")
    op.drop_table("wf_episodes")
    op.drop_index(op.f("ix_wf_deliveries_message_id"), table_name="wf_deliveries")
    op.drop_table("wf_deliveries")
    op.drop_index("ix_wf_todos_status_type_item", table_name="wf_todos")
    op.drop_index("ix_wf_todos_assignee_status", table_name="wf_todos")
    op.drop_table("wf_todos")
    op.drop_table("wf_rules")
    op.drop_table("wf_rule_subjects")
    op.drop_index("ix_wf_messages_status_due", table_name="wf_messages")
    op.drop_index("ix_wf_messages_channel_sent", table_name="wf_messages")
    op.drop_table("wf_messages")
    op.drop_table("wf_channels")
