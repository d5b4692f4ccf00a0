"""Stock flows: the ledger summed per day, month and item-month (services/stock/domain/
flows.py), kept current by posting from now on and summed here from the ledger so far;
and the month-end closings built from them (services/stock/usecases/closings.py), the
first time a posting finds a month over (none here: `flows_closed_through` starts empty).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "stock_flows"
CLOSINGS = "stock_closings"
KEY = (
    "grain",
    "period",
    "item_code",
    "location_id",
    "quality_state",
    "stage",
    "kind",
    "external",
    "supplier",
    "customer",
)
SUMS = (
    "qty_in",
    "qty_out",
    "value_in",
    "value_out",
    "moves",
    "qty_days",
    "value_days",
    "used_qty",
    "used_value",
)
#: The kinds whose issues are consumption (services/stock/domain/flows.py CONSUMPTION).
CONSUMPTION = "('requisition', 'production_receipt', 'shipment', 'scrap')"

# day, month and days left in the month (both ends included) of m.posted_at, in UTC
_DATES = {
    "postgresql": (
        "CAST(m.posted_at AT TIME ZONE 'UTC' AS date)",
        "CAST(date_trunc('month', m.posted_at AT TIME ZONE 'UTC') AS date)",
        "(CAST(date_trunc('month', m.posted_at AT TIME ZONE 'UTC') + interval '1 month' AS date)"
        " - CAST(m.posted_at AT TIME ZONE 'UTC' AS date))",
    ),
    "sqlite": (
        "date(m.posted_at)",
        "date(m.posted_at, 'start of month')",
        "CAST(julianday(date(m.posted_at, 'start of month', '+1 month'))"
        " - julianday(date(m.posted_at)) AS INTEGER)",
    ),
}


def _sides(day: str, month: str, left: str) -> str:
    """Each physical side of each movement: arriving (1) or leaving (0), external when the
    other end is virtual, sign -1 for a reversal (booked against its original's side), the
    stage of the item's stock at that side's location (its balance rows'; a ledger row's
    `stage` is its arriving end's)."""
    common = (
        f"{day} AS day, {month} AS month, {left} AS days_left, m.item_code, "
        "m.document_type AS kind, m.supplier, m.customer, m.quantity, m.value, "
        "CASE WHEN m.reversal_of_id IS NULL THEN 1 ELSE -1 END AS sign"
    )
    stages = (
        "(SELECT item_code, location_id, MIN(stage) AS stage FROM balances "
        "GROUP BY item_code, location_id)"
    )
    return (
        f"SELECT {common}, m.to_location_id AS location_id, m.to_state AS quality_state, "
        "COALESCE(b.stage, m.stage) AS stage, f.is_virtual AS external, 1 AS arriving "
        "FROM movements m JOIN locations f ON f.id = m.from_location_id "
        "JOIN locations t ON t.id = m.to_location_id "
        f"LEFT JOIN {stages} b ON b.item_code = m.item_code AND b.location_id = t.id "
        "WHERE NOT t.is_virtual "
        f"UNION ALL SELECT {common}, m.from_location_id, m.from_state, "
        "COALESCE(b.stage, m.stage), t.is_virtual, 0 "
        "FROM movements m JOIN locations f ON f.id = m.from_location_id "
        "JOIN locations t ON t.id = m.to_location_id "
        f"LEFT JOIN {stages} b ON b.item_code = m.item_code AND b.location_id = f.id "
        "WHERE NOT f.is_virtual"
    )


def _sums(days: str, moves: bool = True) -> str:
    inbound = "((s.arriving = 1) = (s.sign = 1))"
    net = "CASE WHEN s.arriving = 1 THEN 1 ELSE -1 END"
    used = f"(NOT {inbound} AND s.external AND s.kind IN {CONSUMPTION})"
    return (
        f"SUM(CASE WHEN {inbound} THEN s.quantity * s.sign ELSE 0 END) AS qty_in, "
        f"SUM(CASE WHEN {inbound} THEN 0 ELSE s.quantity * s.sign END) AS qty_out, "
        f"SUM(CASE WHEN {inbound} THEN s.value * s.sign ELSE 0 END) AS value_in, "
        f"SUM(CASE WHEN {inbound} THEN 0 ELSE s.value * s.sign END) AS value_out, "
        f"{'SUM(s.sign)' if moves else '0'} AS moves, "
        f"SUM(s.quantity * {net} * {days}) AS qty_days, "
        f"SUM(s.value * {net} * {days}) AS value_days, "
        f"SUM(CASE WHEN {used} THEN s.quantity * s.sign ELSE 0 END) AS used_qty, "
        f"SUM(CASE WHEN {used} THEN s.value * s.sign ELSE 0 END) AS used_value"
    )


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("quality_state", sa.String(30), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("customer", sa.String(200), nullable=False),
        sa.Column("qty_in", ExactDecimal(), nullable=False),
        sa.Column("qty_out", ExactDecimal(), nullable=False),
        sa.Column("value_in", ExactDecimal(), nullable=False),
        sa.Column("value_out", ExactDecimal(), nullable=False),
        sa.Column("moves", ID, nullable=False),
        sa.Column("qty_days", ExactDecimal(), nullable=False),
        sa.Column("value_days", ExactDecimal(), nullable=False),
        sa.Column("used_qty", ExactDecimal(), nullable=False),
        sa.Column("used_value", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name="pk_stock_flows"),
    )
    op.create_index("ix_stock_flows_item", TABLE, ["item_code", "grain", "period"])
    op.create_table(
        CLOSINGS,
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("quality_state", sa.String(30), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "item_code", "location_id", "quality_state", "stage", name="pk_stock_closings"
        ),
    )
    op.add_column("ledger_counter", sa.Column("flows_closed_through", sa.Date(), nullable=True))
    day, month, left = _DATES[op.get_bind().dialect.name]
    sides = _sides(day, month, left)
    columns = ", ".join(KEY + SUMS)
    location_key = (
        "s.item_code, s.location_id, s.quality_state, s.stage, s.kind, s.external, "
        "s.supplier, s.customer"
    )
    for grain, period, days in (("d", "s.day", "1"), ("m", "s.month", "s.days_left")):
        op.execute(
            f"INSERT INTO {TABLE} ({columns}) SELECT '{grain}', {period}, {location_key}, "
            f"{_sums(days)} FROM ({sides}) s GROUP BY {period}, {location_key}"
        )
    # item-month: the external sides' sums, and every movement counted once
    totals = ", ".join(f"SUM(x.{name})" for name in SUMS)
    op.execute(
        f"INSERT INTO {TABLE} ({columns}) SELECT 't', x.month, x.item_code, 0, '', '', '', "
        f"CAST(0 AS BOOLEAN), '', '', {totals} FROM ("
        "SELECT s.month AS month, s.item_code AS item_code, "
        f"{_sums('s.days_left', moves=False)} FROM ({sides}) s WHERE s.external "
        "GROUP BY s.month, s.item_code "
        f"UNION ALL SELECT {month}, m.item_code, 0, 0, 0, 0, "
        "SUM(CASE WHEN m.reversal_of_id IS NULL THEN 1 ELSE -1 END), 0, 0, 0, 0 "
        f"FROM movements m GROUP BY {month}, m.item_code) x GROUP BY x.month, x.item_code"
    )


def downgrade() -> None:
    with op.batch_alter_table("ledger_counter") as batch:
        batch.drop_column("flows_closed_through")
    op.drop_table(CLOSINGS)
    op.drop_index("ix_stock_flows_item", table_name=TABLE)
    op.drop_table(TABLE)
