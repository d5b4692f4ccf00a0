"""Movements carry their document's references: purchase, work and sales order, supplier,
customer; existing rows get them from their documents.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "purchase_order": 100,
    "work_order": 100,
    "sales_order": 100,
    "supplier": 200,
    "customer": 200,
}
INDEXED = ("work_order", "purchase_order", "sales_order")
#: (document type, document table, {movement column: document column})
BACKFILL = (
    ("purchase_receipt", "receipts", {"purchase_order": "purchase_order", "supplier": "supplier"}),
    ("requisition", "requisitions", {"work_order": "work_order"}),
    ("production_receipt", "production_receipts", {"work_order": "work_order"}),
    ("shipment", "shipments", {"sales_order": "sales_order", "customer": "customer"}),
    ("supplier_return", "scrap_returns", {"supplier": "counterparty"}),
    ("customer_return", "scrap_returns", {"customer": "counterparty"}),
)


def upgrade() -> None:
    for name, length in COLUMNS.items():
        op.add_column(
            "movements",
            sa.Column(name, sa.String(length), nullable=False, server_default=""),
        )
    for document_type, table, columns in BACKFILL:
        for column, source in columns.items():
            op.execute(
                f"UPDATE movements SET {column} = COALESCE((SELECT d.{source} FROM {table} d "
                f"WHERE d.id = movements.document_id), '') "
                f"WHERE document_type = '{document_type}'"
            )
    # an inspection refers to the purchase of the lot it inspected
    for column in ("purchase_order", "supplier"):
        op.execute(
            f"UPDATE movements SET {column} = COALESCE((SELECT l.{column} FROM lots l "
            f"WHERE l.id = movements.lot_id), '') "
            f"WHERE document_type = 'inspection' AND lot_id IS NOT NULL"
        )
    for name in INDEXED:
        op.create_index(
            f"ix_movements_{name}",
            "movements",
            [name],
            postgresql_where=sa.text(f"{name} <> ''"),
            sqlite_where=sa.text(f"{name} <> ''"),
        )


def downgrade() -> None:
    for name in INDEXED:
        op.drop_index(f"ix_movements_{name}", "movements")
    with op.batch_alter_table("movements") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
