"""The shipped daily inventory health digest (`inventory_digest`), inactive until switched
on (`WORKFLOW_RULES_ON` or `PUT /v1/rules/inventory_digest`): every day at 08:00 in the
standard calendar's time zone, stock value, items below safety stock, the dead-stock top
10 (no issue for 90 days) and the value aged over 180 days go to the `managers` channel
(on SMS and e-mail channels to each holder of the `manager` role), linking to the day's
workbook.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHIPPED = datetime(2026, 11, 27, tzinfo=UTC)
CODE = "inventory_digest"
FIELDS = (
    "date", "stock_value", "below_safety_stock", "below_safety_items", "idle_days",
    "dead_stock_items", "dead_stock_value", "dead_stock_top", "aged_days", "aged_value",
    "aged_share",
)

#: As shipped (kept here as it was; edits are new versions of the row).
DEFINITION = {
    "trigger": {
        "kind": "schedule",
        "at": "08:00",
        "calendar": "standard",
        "working_days_only": False,
        "source": "inventory_health",
        "days": 90,
    },
    "scope": {"categories": [], "item_types": []},
    "facts": [],
    "condition": "true",
    "key": "subject.date",
    "actions": [
        {
            "kind": "notify",
            "channel": "managers",
            "template": "inventory_health",
            "values": {name: f"subject.{name}" for name in FIELDS},
            "to_role": "manager",
            "todo_type": None,
            "assignee_role": None,
            "assignee": None,
            "title": None,
            "quantity": None,
            "event_type": "rule.fired",
            "amount": None,
            "link": "subject.file_url",
        }
    ],
}


def upgrade() -> None:
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
                "code": CODE,
                "name": "Daily inventory health digest (库存健康日报)",
                "definition": DEFINITION,
                "active": False,
                "version": 1,
                "created_at": SHIPPED,
                "updated_at": SHIPPED,
            }
        ],
    )


def downgrade() -> None:
    op.execute(
        f"DELETE FROM wf_episodes WHERE rule_id IN (SELECT id FROM wf_rules WHERE code = '{CODE}')"
    )
    op.execute(
        "DELETE FROM wf_rule_schedules WHERE rule_id IN "
        f"(SELECT id FROM wf_rules WHERE code = '{CODE}')"
    )
    op.execute(f"DELETE FROM wf_rules WHERE code = '{CODE}'")
