"""The genealogy graph: lots and units as nodes, work orders between them, their history,
QC records and MES operations. Replaces the first lot tables; trace is rebuilt from the
feeds, so the cursors are reset and every feed is replayed from its start.

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


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=False)


def upgrade() -> None:
    op.drop_index("ix_lot_history_lot_id", table_name="lot_history")
    op.drop_table("lot_history")
    op.drop_table("trace_lots")
    op.execute("DELETE FROM processed_events")
    op.execute("DELETE FROM consumer_cursors")
    op.create_table(
        "trace_nodes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("item_code", 64),
        _text("kind", 10),
        _text("code", 100),
        _text("lot_number", 100),
        _text("supplier", 200),
        _text("supplier_lot", 100),
        _text("date_code", 20),
        _text("purchase_order", 100),
        _text("receipt_number", 50),
        sa.Column("receipt_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        _text("work_order", 100),
        _text("status", 20),
        _text("location_code", 100),
        _text("quality_state", 30),
        _text("sales_order", 100),
        _text("customer", 200),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trace_nodes"),
        sa.UniqueConstraint("item_code", "kind", "code", name="uq_trace_nodes_item_kind_code"),
    )
    op.create_index("ix_trace_nodes_kind_code", "trace_nodes", ["kind", "code"])
    op.create_index("ix_trace_nodes_lot_item", "trace_nodes", ["lot_number", "item_code"])
    op.create_index("ix_trace_nodes_work_order", "trace_nodes", ["work_order"])
    op.create_table(
        "trace_work_orders",
        _text("number", 100),
        _text("item_code", 64),
        _text("bom_revision", 20),
        _text("status", 20),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_trace_work_orders"),
    )
    op.create_table(
        "trace_links",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("work_order", 100),
        _text("role", 10),
        _text("how", 10),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trace_links"),
        sa.UniqueConstraint("work_order", "role", "how", "node_id", name="uq_trace_links_key"),
    )
    op.create_index("ix_trace_links_node_role", "trace_links", ["node_id", "role"])
    op.create_table(
        "trace_assignments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("work_order", 100),
        sa.Column("parent_id", ID, nullable=False),
        sa.Column("child_id", ID, nullable=False),
        _text("child_item_code", 64),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        _text("record_id", 100),
        sa.PrimaryKeyConstraint("id", name="pk_trace_assignments"),
        sa.UniqueConstraint("parent_id", "child_id", name="uq_trace_assignments_parent_child"),
    )
    op.create_index("ix_trace_assignments_child", "trace_assignments", ["child_id"])
    op.create_table(
        "trace_node_stock",
        sa.Column("node_id", ID, nullable=False),
        _text("location_code", 100),
        _text("quality_state", 30),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint(
            "node_id", "location_code", "quality_state", name="pk_trace_node_stock"
        ),
    )
    op.create_table(
        "trace_history",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("source_seq", sa.BigInteger(), nullable=False),
        sa.Column("movement_id", sa.BigInteger(), nullable=False),
        _text("action", 20),
        _text("document_type", 50),
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        _text("from_location", 100),
        _text("to_location", 100),
        _text("from_state", 30),
        _text("to_state", 30),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("reversal", sa.Boolean(), nullable=False),
        _text("work_order", 100),
        _text("sales_order", 100),
        _text("customer", 200),
        _text("supplier", 200),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trace_history"),
        sa.UniqueConstraint("source_seq", "node_id", name="uq_trace_history_seq_node"),
    )
    op.create_index("ix_trace_history_node", "trace_history", ["node_id", "source_seq"])
    op.create_table(
        "trace_documents",
        _text("document_type", 50),
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        _text("number", 50),
        sa.PrimaryKeyConstraint("document_type", "document_id", name="pk_trace_documents"),
    )
    op.create_table(
        "trace_qc_records",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("node_id", ID, nullable=False),
        _text("record_key", 120),
        _text("source", 20),
        _text("kind", 20),
        _text("document_number", 100),
        _text("result", 20),
        _text("inspector", 200),
        sa.Column("accepted_quantity", ExactDecimal(), nullable=True),
        sa.Column("rejected_quantity", ExactDecimal(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trace_qc_records"),
        sa.UniqueConstraint("record_key", "node_id", name="uq_trace_qc_records_key_node"),
    )
    op.create_index("ix_trace_qc_records_node", "trace_qc_records", ["node_id"])
    op.create_table(
        "trace_operations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("record_id", 120),
        _text("source", 20),
        _text("kind", 20),
        _text("work_order", 100),
        sa.Column("node_id", ID, nullable=True),
        _text("operation", 100),
        _text("station", 100),
        _text("operator", 200),
        _text("result", 20),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        _text("fingerprint", 64),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trace_operations"),
        sa.UniqueConstraint("record_id", name="uq_trace_operations_record_id"),
    )
    op.create_index("ix_trace_operations_work_order", "trace_operations", ["work_order"])
    op.create_index("ix_trace_operations_node", "trace_operations", ["node_id"])


_TABLES = (
    "trace_operations",
    "trace_qc_records",
    "trace_documents",
    "trace_history",
    "trace_node_stock",
    "trace_assignments",
    "trace_links",
    "trace_work_orders",
    "trace_nodes",
)


def downgrade() -> None:
    for table in _TABLES:
        op.drop_table(table)
    op.execute("DELETE FROM processed_events")
    op.execute("DELETE FROM consumer_cursors")
    op.create_table(
        "trace_lots",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _text("item_code", 64),
        _text("lot_number", 100),
        _text("supplier", 200),
        _text("supplier_lot", 100),
        _text("date_code", 20),
        _text("purchase_order", 100),
        sa.Column("receipt_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trace_lots"),
        sa.UniqueConstraint("item_code", "lot_number", name="uq_trace_lots_item_lot"),
    )
    op.create_table(
        "lot_history",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        _text("source", 50),
        sa.Column("source_seq", sa.BigInteger(), nullable=False),
        _text("event_type", 100),
        _text("document_number", 50),
        _text("location_code", 100),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["trace_lots.id"], name="fk_lot_history_lot_id_trace_lots"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lot_history"),
        sa.UniqueConstraint("source", "source_seq", "lot_id", name="uq_lot_history_source_seq_lot"),
    )
    op.create_index("ix_lot_history_lot_id", "lot_history", ["lot_id"])
