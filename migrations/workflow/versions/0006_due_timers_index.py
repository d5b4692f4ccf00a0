"""Faster look-ups of due timers (a partial index over the timers still to fire) and of a
person's overdue tasks (the inbox index carries `due_at` on PostgreSQL).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_wf_timers_open_due", table_name="wf_timers")
    op.create_index(
        "ix_wf_timers_due",
        "wf_timers",
        ["due_at", "id"],
        postgresql_where=sa.text("fired_at IS NULL AND cancelled IS false"),
        sqlite_where=sa.text("fired_at IS NULL AND cancelled IS 0"),
    )
    op.drop_index("ix_wf_tasks_assignee_status_id", table_name="wf_tasks")
    op.create_index(
        "ix_wf_tasks_assignee_status_id",
        "wf_tasks",
        ["assignee", "status", "id"],
        postgresql_include=["due_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_wf_tasks_assignee_status_id", table_name="wf_tasks")
    op.create_index("ix_wf_tasks_assignee_status_id", "wf_tasks", ["assignee", "status", "id"])
    op.drop_index("ix_wf_timers_due", table_name="wf_timers")
    op.create_index("ix_wf_timers_open_due", "wf_timers", ["fired_at", "due_at"])
