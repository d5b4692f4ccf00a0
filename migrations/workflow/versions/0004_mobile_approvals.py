"""Mobile approval: tasks mirrored into DingTalk's or WeCom's approval app.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wf_mobile_approvals",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("task_id", ID, nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_check_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["wf_instances.id"],
            name=op.f("fk_wf_mobile_approvals_instance_id_wf_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["wf_tasks.id"], name=op.f("fk_wf_mobile_approvals_task_id_wf_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_mobile_approvals")),
        sa.UniqueConstraint(
            "provider", "external_id", name=op.f("uq_wf_mobile_approvals_provider")
        ),
        sa.UniqueConstraint("task_id", name=op.f("uq_wf_mobile_approvals_task_id")),
    )
    op.create_index(
        op.f("ix_wf_mobile_approvals_instance_id"),
        "wf_mobile_approvals",
        ["instance_id"],
        unique=False,
    )
    op.create_index(
        "ix_wf_mobile_approvals_state_due",
        "wf_mobile_approvals",
        ["state", "next_check_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_wf_mobile_approvals_state_due", table_name="wf_mobile_approvals")
    op.drop_index("ix_wf_mobile_approvals_instance_id", table_name="wf_mobile_approvals")
    op.drop_table("wf_mobile_approvals")
