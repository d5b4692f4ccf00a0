"""Approval flows: the organisation, working calendars, versioned flows, instances with
their steps, tasks, durable time limits and history. Ships the `standard` calendar and
the default material requisition flow (inactive until the organisation is in place).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SHIPPED = datetime(2026, 11, 27, tzinfo=UTC)
WORKDAY = "09:00-12:00,13:00-18:00"

#: The shipped default (kept here as it was shipped; later versions are new rows).
REQUISITION_FLOW = {
    "calendar_code": "standard",
    "stages": [
        {
            "key": "team_leader",
            "name": "Team leader approves",
            "condition": None,
            "steps": [
                {
                    "key": "team_leader",
                    "name": "Team leader",
                    "condition": None,
                    "approvers": [
                        {"kind": "manager", "role": None, "user": None, "levels": 1, "field": None}
                    ],
                    "mode": "any",
                    "time_limit_hours": "8",
                    "on_timeout": "remind",
                    "escalate_to_role": None,
                }
            ],
        },
        {
            "key": "director",
            "name": "Director approves amounts over 10,000",
            "condition": "document.amount > 10000",
            "steps": [
                {
                    "key": "director",
                    "name": "Director",
                    "condition": None,
                    "approvers": [
                        {
                            "kind": "role",
                            "role": "director",
                            "user": None,
                            "levels": 1,
                            "field": None,
                        }
                    ],
                    "mode": "any",
                    "time_limit_hours": "8",
                    "on_timeout": "remind",
                    "escalate_to_role": None,
                }
            ],
        },
        {
            "key": "keeper",
            "name": "Warehouse keeper confirms the issue",
            "condition": None,
            "steps": [
                {
                    "key": "keeper",
                    "name": "Keeper of the issuing warehouse",
                    "condition": None,
                    "approvers": [
                        {
                            "kind": "warehouse_role",
                            "role": "keeper",
                            "user": None,
                            "levels": 1,
                            "field": "document.warehouse_code",
                        }
                    ],
                    "mode": "any",
                    "time_limit_hours": "4",
                    "on_timeout": "remind",
                    "escalate_to_role": None,
                }
            ],
        },
    ],
}


def upgrade() -> None:
    op.create_table(
        "wf_calendars",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("week", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("extra_workdays", sa.JSON(), nullable=False),
        sa.Column("extra_day_hours", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_calendars")),
        sa.UniqueConstraint("code", name=op.f("uq_wf_calendars_code")),
    )
    op.create_table(
        "wf_departments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("manager", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_departments")),
        sa.UniqueConstraint("code", name=op.f("uq_wf_departments_code")),
    )
    op.create_table(
        "wf_flows",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("activated_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_flows")),
        sa.UniqueConstraint("document_type", "version", name=op.f("uq_wf_flows_document_type")),
    )
    op.create_table(
        "wf_people",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=True),
        sa.Column("manager", sa.String(length=100), nullable=True),
        sa.Column("mobile", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("dingtalk_user_id", sa.String(length=100), nullable=False),
        sa.Column("wecom_user_id", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_people")),
        sa.UniqueConstraint("username", name=op.f("uq_wf_people_username")),
    )
    op.create_index(
        op.f("ix_wf_people_department_code"), "wf_people", ["department_code"], unique=False
    )
    op.create_table(
        "wf_role_holders",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_role_holders")),
        sa.UniqueConstraint("role", "scope", "username", name=op.f("uq_wf_role_holders_role")),
    )
    op.create_index(
        op.f("ix_wf_role_holders_username"), "wf_role_holders", ["username"], unique=False
    )
    op.create_table(
        "wf_instances",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("source_seq", ID, nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("document_number", sa.String(length=50), nullable=False),
        sa.Column("flow_id", ID, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requester", sa.String(length=200), nullable=False),
        sa.Column("amount", ExactDecimal(18, 6), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("stage_index", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("start_attempts", sa.Integer(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("sync_state", sa.String(length=10), nullable=False),
        sa.Column("sync_problem", sa.JSON(), nullable=True),
        sa.Column("sync_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["wf_flows.id"], name=op.f("fk_wf_instances_flow_id_wf_flows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_instances")),
        sa.UniqueConstraint("source", "source_seq", name=op.f("uq_wf_instances_source")),
    )
    op.create_index(
        "ix_wf_instances_document", "wf_instances", ["document_type", "document_id"], unique=False
    )
    op.create_index(
        "ix_wf_instances_requester_status", "wf_instances", ["requester", "status"], unique=False
    )
    op.create_index(
        "ix_wf_instances_status_sync", "wf_instances", ["status", "sync_state"], unique=False
    )
    op.create_table(
        "wf_history",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("step_key", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["wf_instances.id"],
            name=op.f("fk_wf_history_instance_id_wf_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_history")),
    )
    op.create_index(op.f("ix_wf_history_instance_id"), "wf_history", ["instance_id"], unique=False)
    op.create_table(
        "wf_steps",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("stage_index", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["wf_instances.id"], name=op.f("fk_wf_steps_instance_id_wf_instances")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_steps")),
        sa.UniqueConstraint(
            "instance_id", "stage_index", "key", name=op.f("uq_wf_steps_instance_id")
        ),
    )
    op.create_index(op.f("ix_wf_steps_instance_id"), "wf_steps", ["instance_id"], unique=False)
    op.create_table(
        "wf_tasks",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("step_id", ID, nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["wf_instances.id"], name=op.f("fk_wf_tasks_instance_id_wf_instances")
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["wf_steps.id"], name=op.f("fk_wf_tasks_step_id_wf_steps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_tasks")),
    )
    op.create_index(
        "ix_wf_tasks_assignee_status_id", "wf_tasks", ["assignee", "status", "id"], unique=False
    )
    op.create_index(op.f("ix_wf_tasks_instance_id"), "wf_tasks", ["instance_id"], unique=False)
    op.create_index("ix_wf_tasks_step", "wf_tasks", ["step_id"], unique=False)
    op.create_table(
        "wf_timers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("step_id", ID, nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("fired_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["wf_instances.id"], name=op.f("fk_wf_timers_instance_id_wf_instances")
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["wf_steps.id"], name=op.f("fk_wf_timers_step_id_wf_steps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_timers")),
        sa.UniqueConstraint("step_id", "kind", name=op.f("uq_wf_timers_step_id")),
    )
    op.create_index(op.f("ix_wf_timers_instance_id"), "wf_timers", ["instance_id"], unique=False)
    op.create_index("ix_wf_timers_open_due", "wf_timers", ["fired_at", "due_at"], unique=False)
    calendars = sa.table(
        "wf_calendars",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("timezone", sa.String),
        sa.column("week", sa.JSON),
        sa.column("holidays", sa.JSON),
        sa.column("extra_workdays", sa.JSON),
        sa.column("extra_day_hours", sa.String),
        sa.column("version", sa.Integer),
        sa.column("created_at", UTCDateTime()),
    )
    op.bulk_insert(
        calendars,
        [
            {
                "code": "standard",
                "name": "Standard (Mon-Fri 09:00-12:00, 13:00-18:00)",
                "timezone": "Asia/Shanghai",
                "week": {str(day): WORKDAY for day in range(1, 6)},
                "holidays": [],
                "extra_workdays": [],
                "extra_day_hours": WORKDAY,
                "version": 1,
                "created_at": SHIPPED,
            }
        ],
    )
    flows = sa.table(
        "wf_flows",
        sa.column("document_type", sa.String),
        sa.column("version", sa.Integer),
        sa.column("name", sa.String),
        sa.column("definition", sa.JSON),
        sa.column("active", sa.Boolean),
        sa.column("created_at", UTCDateTime()),
        sa.column("created_by", sa.String),
    )
    op.bulk_insert(
        flows,
        [
            {
                "document_type": "material_requisition",
                "version": 1,
                "name": "Material requisition (default)",
                "definition": REQUISITION_FLOW,
                "active": False,
                "created_at": SHIPPED,
                "created_by": "system",
            }
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_wf_timers_open_due", table_name="wf_timers")
    op.drop_index(op.f("ix_wf_timers_instance_id"), table_name="wf_timers")
    op.drop_table("wf_timers")
    op.drop_index("ix_wf_tasks_step", table_name="wf_tasks")
    op.drop_index(op.f("ix_wf_tasks_instance_id"), table_name="wf_tasks")
    op.drop_index("ix_wf_tasks_assignee_status_id", table_name="wf_tasks")
    op.drop_table("wf_tasks")
    op.drop_index(op.f("ix_wf_steps_instance_id"), table_name="wf_steps")
    op.drop_table("wf_steps")
    op.drop_index(op.f("ix_wf_history_instance_id"), table_name="wf_history")
    op.drop_table("wf_history")
    op.drop_index("ix_wf_instances_status_sync", table_name="wf_instances")
    op.drop_index("ix_wf_instances_requester_status", table_name="wf_instances")
    op.drop_index("ix_wf_instances_document", table_name="wf_instances")
    op.drop_table("wf_instances")
    op.drop_index(op.f("ix_wf_role_holders_username"), table_name="wf_role_holders")
    op.drop_table("wf_role_holders")
    op.drop_index(op.f("ix_wf_people_department_code"), table_name="wf_people")
    op.drop_table("wf_people")
    op.drop_table("wf_flows")
    op.drop_table("wf_departments")
    op.drop_table("wf_calendars")
