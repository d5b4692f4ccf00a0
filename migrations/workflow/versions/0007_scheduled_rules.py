"""Scheduled rules: each one's clock (`wf_rule_schedules`), and four shipped rules,
inactive until switched on (`WORKFLOW_RULES_ON` or `PUT /v1/rules/{code}`), each run daily
at 08:00 in the standard calendar's time zone:

* `lots_expiring`: a lot holding stock expires within 30 days: the `warehouse` channel is
  told and the keeper gets a to-do to use or scrap it;
* `pending_inspection`: stock has waited for inspection more than 24 hours: the `quality`
  channel is told and the inspector gets a to-do;
* `overdue_approvals`: an approval step is more than 8 hours past its time limit: the
  `approvals` channel is told who it waits for;
* `dead_stock`: an item holds stock and had no issue for 90 days: the `warehouse`
  channel is told (the most valuable first).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHIPPED = datetime(2026, 11, 27, tzinfo=UTC)


def _trigger(source: str, days: int = 30) -> dict[str, Any]:
    return {
        "kind": "schedule",
        "at": "08:00",
        "calendar": "standard",
        "working_days_only": False,
        "source": source,
        "days": days,
    }


def _notify(channel: str, template: str, values: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": "notify",
        "channel": channel,
        "template": template,
        "values": values,
        "to_role": None,
        "todo_type": None,
        "assignee_role": None,
        "assignee": None,
        "title": None,
        "quantity": None,
        "event_type": "rule.fired",
    }


def _todo(todo_type: str, role: str, title: str, quantity: str | None) -> dict[str, Any]:
    return {
        "kind": "todo",
        "channel": None,
        "template": None,
        "values": {},
        "to_role": None,
        "todo_type": todo_type,
        "assignee_role": role,
        "assignee": None,
        "title": title,
        "quantity": quantity,
        "event_type": "rule.fired",
    }


NO_SCOPE: dict[str, list[str]] = {"categories": [], "item_types": []}

#: As shipped (kept here as they were; edits are new versions of the rows).
SHIPPED_RULES = [
    (
        "lots_expiring",
        "Lots expiring within 30 days (批次临期)",
        {
            "trigger": _trigger("expiring_lots", 30),
            "scope": NO_SCOPE,
            "facts": [],
            "condition": "subject.quantity > 0.0 && subject.days_left <= 30",
            "key": 'subject.item_code + "/" + subject.lot_number',
            "actions": [
                _notify(
                    "warehouse",
                    "lot_expiring",
                    {
                        "item_code": "subject.item_code",
                        "item_name": "subject.item_name",
                        "lot_number": "subject.lot_number",
                        "quantity": "subject.quantity",
                        "expires_on": "subject.expiry_date",
                        "days_left": "subject.days_left",
                    },
                ),
                _todo(
                    "expiring_lot",
                    "keeper",
                    '"Use or scrap 临期 " + subject.item_code + " lot " + subject.lot_number',
                    "subject.quantity",
                ),
            ],
        },
    ),
    (
        "pending_inspection",
        "Stock waiting for inspection over 24 hours (待检超时)",
        {
            "trigger": _trigger("pending_inspection"),
            "scope": NO_SCOPE,
            "facts": [],
            "condition": "subject.hours_waiting > 24.0",
            "key": 'subject.item_code + "/" + subject.lot_number + "@" + subject.location_code',
            "actions": [
                _notify(
                    "quality",
                    "inspection_waiting",
                    {
                        "document_number": 'subject.item_code + " " + subject.lot_number',
                        "item_code": "subject.item_code",
                        "item_name": "subject.item_name",
                        "quantity": "subject.quantity",
                        "received_at": "subject.since",
                    },
                ),
                _todo(
                    "inspect",
                    "inspector",
                    '"Inspect 检验 " + subject.item_code + " " + subject.lot_number '
                    '+ " at " + subject.location_code',
                    "subject.quantity",
                ),
            ],
        },
    ),
    (
        "overdue_approvals",
        "Approvals more than 8 hours overdue (审批超时)",
        {
            "trigger": _trigger("overdue_approvals"),
            "scope": NO_SCOPE,
            "facts": [],
            "condition": "subject.hours_overdue > 8.0",
            "key": "string(subject.step_id)",
            "actions": [
                _notify(
                    "approvals",
                    "approval_overdue",
                    {
                        "document_type": "subject.document_type",
                        "document_number": "subject.document_number",
                        "step": "subject.step",
                        "due_at": "subject.due_at",
                        "approver": "subject.waiting_for",
                    },
                ),
            ],
        },
    ),
    (
        "dead_stock",
        "Dead stock: no issue for 90 days (呆滞料)",
        {
            "trigger": _trigger("dead_stock", 90),
            "scope": NO_SCOPE,
            "facts": [],
            "condition": "subject.idle_days >= 90",
            "key": "subject.item_code",
            "actions": [
                _notify(
                    "warehouse",
                    "dead_stock",
                    {
                        "item_code": "subject.item_code",
                        "item_name": "subject.item_name",
                        "quantity": "subject.quantity",
                        "idle_days": "subject.idle_days",
                        "last_movement_at": "subject.last_movement_at",
                    },
                ),
            ],
        },
    ),
]


def upgrade() -> None:
    op.create_table(
        "wf_rule_schedules",
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_run", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["wf_rules.id"], name=op.f("fk_wf_rule_schedules_rule_id_wf_rules")
        ),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_wf_rule_schedules")),
    )
    op.create_index(op.f("ix_wf_rule_schedules_next_run_at"), "wf_rule_schedules", ["next_run_at"])
    rules = sa.table(
        "wf_rules",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("definition", sa.JSON),
        sa.column("active", sa.Boolean),
        sa.column("version", sa.Integer),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    op.bulk_insert(
        rules,
        [
            {
                "code": code,
                "name": name,
                "definition": definition,
                "active": False,
                "version": 1,
                "created_at": SHIPPED,
                "updated_at": SHIPPED,
            }
            for code, name, definition in SHIPPED_RULES
        ],
    )


def downgrade() -> None:
    codes = ", ".join(f"'{code}'" for code, _, _ in SHIPPED_RULES)
    op.execute(
        "DELETE FROM wf_episodes WHERE rule_id IN "
        f"(SELECT id FROM wf_rules WHERE code IN ({codes}))"
    )
    op.drop_index(op.f("ix_wf_rule_schedules_next_run_at"), table_name="wf_rule_schedules")
    op.drop_table("wf_rule_schedules")
    op.execute(f"DELETE FROM wf_rules WHERE code IN ({codes})")
