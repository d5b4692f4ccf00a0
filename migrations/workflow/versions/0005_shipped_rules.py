"""The shipped safety-stock rule (inactive until switched on: `WORKFLOW_RULES_ON` or
`PUT /v1/rules/safety_stock`): available qualified below the item's safety stock tells
the `buyers` channel and opens a purchase to-do for the buyer role with the shortage and
a quantity from the item's lot sizing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHIPPED = datetime(2026, 11, 27, tzinfo=UTC)

#: As shipped (kept here as it was; edits are new versions of the row).
SAFETY_STOCK = {
    "trigger": {"kind": "balance_changed"},
    "facts": ["item", "availability", "open_purchase"],
    "condition": "facts.item.safety_stock > 0 && "
    "facts.availability.available < facts.item.safety_stock",
    "key": "subject.item_code",
    "actions": [
        {
            "kind": "notify",
            "channel": "buyers",
            "template": "safety_stock",
            "values": {
                "item_code": "subject.item_code",
                "item_name": "facts.item.name",
                "available": "facts.availability.available",
                "safety_stock": "facts.item.safety_stock",
                "shortage": "facts.shortage",
                "suggested_quantity": "facts.suggested_quantity",
            },
            "to_role": "buyer",
            "todo_type": None,
            "assignee_role": None,
            "assignee": None,
            "title": None,
            "quantity": None,
            "event_type": "rule.fired",
        },
        {
            "kind": "todo",
            "channel": None,
            "template": None,
            "values": {},
            "to_role": None,
            "todo_type": "purchase",
            "assignee_role": "buyer",
            "assignee": None,
            "title": '"补货 Replenish " + subject.item_code + ": " + '
            'string(facts.suggested_quantity)',
            "quantity": "facts.suggested_quantity",
            "event_type": "rule.fired",
        },
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
                "code": "safety_stock",
                "name": "Below safety stock (低于安全库存)",
                "definition": SAFETY_STOCK,
                "active": False,
                "version": 1,
                "created_at": SHIPPED,
                "updated_at": SHIPPED,
            }
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM wf_rules WHERE code = 'safety_stock'")
