"""MRP: sales orders, forecasts, purchase and work orders, MRP runs with planned orders,
pegging, exceptions, shortages and substitutions; stock movements applied to orders.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "applied_movements",
        sa.Column("movement_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("movement_id", name=op.f("pk_applied_movements")),
    )
    op.create_table(
        "forecasts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecasts")),
        sa.UniqueConstraint("number", name=op.f("uq_forecasts_number")),
    )
    op.create_index(op.f("ix_forecasts_due_date"), "forecasts", ["due_date"], unique=False)
    op.create_index(op.f("ix_forecasts_item_code"), "forecasts", ["item_code"], unique=False)
    op.create_index(op.f("ix_forecasts_item_id"), "forecasts", ["item_id"], unique=False)
    op.create_index(op.f("ix_forecasts_status"), "forecasts", ["status"], unique=False)
    op.create_table(
        "mrp_runs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("catalog_stamp", sa.BigInteger(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mrp_runs")),
        sa.UniqueConstraint("number", name=op.f("uq_mrp_runs_number")),
    )
    op.create_index(op.f("ix_mrp_runs_status"), "mrp_runs", ["status"], unique=False)
    op.create_table(
        "planned_order_pegs",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("order_number", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("demand_ref", sa.String(length=200), nullable=True),
        sa.Column("parent_number", sa.Integer(), nullable=True),
        sa.Column("required_on", sa.Date(), nullable=False),
        sa.Column("safety_stock", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "run_id", "order_number", "position", name=op.f("pk_planned_order_pegs")
        ),
    )
    op.create_index(
        "ix_planned_order_pegs_demand",
        "planned_order_pegs",
        ["run_id", "demand_ref"],
        unique=False,
        postgresql_where=sa.text("demand_ref IS NOT NULL"),
        sqlite_where=sa.text("demand_ref IS NOT NULL"),
    )
    op.create_index(
        "ix_planned_order_pegs_parent",
        "planned_order_pegs",
        ["run_id", "parent_number"],
        unique=False,
    )
    op.create_table(
        "planned_orders",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("procurement", sa.String(length=4), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("bom_id", sa.BigInteger(), nullable=True),
        sa.Column("low_level_code", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("firmed_as", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_orders")),
        sa.UniqueConstraint("run_id", "number", name=op.f("uq_planned_orders_run_id")),
    )
    op.create_index(
        "ix_planned_orders_run_item", "planned_orders", ["run_id", "item_code"], unique=False
    )
    op.create_table(
        "purchase_orders",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("planned_order", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_orders_number")),
    )
    op.create_index(op.f("ix_purchase_orders_status"), "purchase_orders", ["status"], unique=False)
    op.create_index(
        op.f("ix_purchase_orders_supplier"), "purchase_orders", ["supplier"], unique=False
    )
    op.create_table(
        "sales_orders",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_sales_orders_number")),
    )
    op.create_index(op.f("ix_sales_orders_customer"), "sales_orders", ["customer"], unique=False)
    op.create_index(op.f("ix_sales_orders_status"), "sales_orders", ["status"], unique=False)
    op.create_table(
        "work_orders",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("bom_id", sa.BigInteger(), nullable=True),
        sa.Column("bom_revision", sa.String(length=20), nullable=False),
        sa.Column("wip_location_code", sa.String(length=100), nullable=False),
        sa.Column("output_location_code", sa.String(length=100), nullable=False),
        sa.Column("produced_quantity", ExactDecimal(), nullable=False),
        sa.Column("scrapped_quantity", ExactDecimal(), nullable=False),
        sa.Column("planned_order", sa.String(length=60), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_work_orders_number")),
    )
    op.create_index(op.f("ix_work_orders_item_code"), "work_orders", ["item_code"], unique=False)
    op.create_index(op.f("ix_work_orders_item_id"), "work_orders", ["item_id"], unique=False)
    op.create_index(op.f("ix_work_orders_status"), "work_orders", ["status"], unique=False)
    op.create_table(
        "completions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("work_order_id", ID, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("production_receipt_id", sa.BigInteger(), nullable=False),
        sa.Column("production_receipt_number", sa.String(length=30), nullable=False),
        sa.Column("produced_quantity", ExactDecimal(), nullable=False),
        sa.Column("scrapped_quantity", ExactDecimal(), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("station", sa.String(length=100), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_completions_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completions")),
        sa.UniqueConstraint("event_id", name=op.f("uq_completions_event_id")),
    )
    op.create_index(
        op.f("ix_completions_work_order_id"), "completions", ["work_order_id"], unique=False
    )
    op.create_table(
        "mrp_exceptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("current_date", sa.Date(), nullable=True),
        sa.Column("suggested_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["mrp_runs.id"], name=op.f("fk_mrp_exceptions_run_id_mrp_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mrp_exceptions")),
    )
    op.create_index(op.f("ix_mrp_exceptions_run_id"), "mrp_exceptions", ["run_id"], unique=False)
    op.create_table(
        "mrp_shortages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("first_short_on", sa.Date(), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("late_quantity", ExactDecimal(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["mrp_runs.id"], name=op.f("fk_mrp_shortages_run_id_mrp_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mrp_shortages")),
    )
    op.create_index(op.f("ix_mrp_shortages_run_id"), "mrp_shortages", ["run_id"], unique=False)
    op.create_table(
        "mrp_substitutions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("primary_code", sa.String(length=64), nullable=False),
        sa.Column("substitute_code", sa.String(length=64), nullable=False),
        sa.Column("primary_quantity", ExactDecimal(), nullable=False),
        sa.Column("substitute_quantity", ExactDecimal(), nullable=False),
        sa.Column("required_on", sa.Date(), nullable=False),
        sa.Column("demand_ref", sa.String(length=200), nullable=True),
        sa.Column("parent_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["mrp_runs.id"], name=op.f("fk_mrp_substitutions_run_id_mrp_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mrp_substitutions")),
    )
    op.create_index(
        op.f("ix_mrp_substitutions_run_id"), "mrp_substitutions", ["run_id"], unique=False
    )
    op.create_table(
        "purchase_order_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("received_quantity", ExactDecimal(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_order_id_purchase_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_purchase_order_lines_order_id")),
    )
    op.create_index(
        op.f("ix_purchase_order_lines_item_code"),
        "purchase_order_lines",
        ["item_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_purchase_order_lines_item_id"), "purchase_order_lines", ["item_id"], unique=False
    )
    op.create_index(
        op.f("ix_purchase_order_lines_order_id"), "purchase_order_lines", ["order_id"], unique=False
    )
    op.create_table(
        "sales_order_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("shipped_quantity", ExactDecimal(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_orders.id"],
            name=op.f("fk_sales_order_lines_order_id_sales_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_sales_order_lines_order_id")),
    )
    op.create_index(
        op.f("ix_sales_order_lines_item_code"), "sales_order_lines", ["item_code"], unique=False
    )
    op.create_index(
        op.f("ix_sales_order_lines_item_id"), "sales_order_lines", ["item_id"], unique=False
    )
    op.create_index(
        op.f("ix_sales_order_lines_order_id"), "sales_order_lines", ["order_id"], unique=False
    )
    op.create_table(
        "work_order_components",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("work_order_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("quantity_per", ExactDecimal(28, 10), nullable=False),
        sa.Column("fixed_quantity", ExactDecimal(), nullable=False),
        sa.Column("required_quantity", ExactDecimal(), nullable=False),
        sa.Column("backflush", sa.Boolean(), nullable=False),
        sa.Column("reserved_quantity", ExactDecimal(), nullable=False),
        sa.Column("issued_quantity", ExactDecimal(), nullable=False),
        sa.Column("consumed_quantity", ExactDecimal(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_components_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_components")),
        sa.UniqueConstraint(
            "work_order_id", "item_code", name=op.f("uq_work_order_components_work_order_id")
        ),
    )
    op.create_index(
        op.f("ix_work_order_components_item_code"),
        "work_order_components",
        ["item_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_order_components_item_id"), "work_order_components", ["item_id"], unique=False
    )
    op.create_index(
        op.f("ix_work_order_components_work_order_id"),
        "work_order_components",
        ["work_order_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("work_order_components")
    op.drop_table("sales_order_lines")
    op.drop_table("purchase_order_lines")
    op.drop_table("mrp_substitutions")
    op.drop_table("mrp_shortages")
    op.drop_table("mrp_exceptions")
    op.drop_table("completions")
    op.drop_table("work_orders")
    op.drop_table("sales_orders")
    op.drop_table("purchase_orders")
    op.drop_table("planned_orders")
    op.drop_table("planned_order_pegs")
    op.drop_table("mrp_runs")
    op.drop_table("forecasts")
    op.drop_table("applied_movements")
