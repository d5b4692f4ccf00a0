"""Units, categories, item planning fields, AVL, routings, BOM versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from shared.db.tables import JsonDoc
from shared.db.types import BigId, ExactDecimal, UTCDateTime, utcnow

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (code, name, decimals, rounding, base unit, factor to base)
SEED_UNITS = [
    ("pcs", "Pieces", 0, "up", None, None),
    ("set", "Sets", 0, "up", None, None),
    ("reel", "Reels", 0, "up", None, None),
    ("tray", "Trays", 0, "up", None, None),
    ("tube", "Tubes", 0, "up", None, None),
    ("box", "Boxes", 0, "up", None, None),
    ("pack", "Packs", 0, "up", None, None),
    ("roll", "Rolls", 0, "up", None, None),
    ("sheet", "Sheets", 0, "up", None, None),
    ("kg", "Kilograms", 3, "half_up", None, None),
    ("g", "Grams", 3, "half_up", "kg", Decimal("0.001")),
    ("m", "Metres", 3, "half_up", None, None),
    ("cm", "Centimetres", 2, "half_up", "m", Decimal("0.01")),
    ("mm", "Millimetres", 1, "half_up", "m", Decimal("0.001")),
    ("l", "Litres", 3, "half_up", None, None),
    ("ml", "Millilitres", 1, "half_up", "l", Decimal("0.001")),
    ("m2", "Square metres", 4, "half_up", None, None),
]


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", BigId, autoincrement=True, nullable=False)


def _qty(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, ExactDecimal(22, 6), nullable=nullable)


def upgrade() -> None:
    units = op.create_table(
        "units",
        _id(),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column("rounding", sa.String(10), nullable=False),
        sa.Column("base_unit", sa.String(20), nullable=True),
        sa.Column("factor_to_base", ExactDecimal(28, 10), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_units"),
        sa.UniqueConstraint("code", name="uq_units_code"),
    )
    now = utcnow()
    op.bulk_insert(
        units,
        [
            {
                "code": code,
                "name": name,
                "decimals": decimals,
                "rounding": rounding,
                "base_unit": base,
                "factor_to_base": factor,
                "version": 1,
                "created_at": now,
            }
            for code, name, decimals, rounding, base, factor in SEED_UNITS
        ],
    )
    op.create_table(
        "categories",
        _id(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("attribute_schema", JsonDoc, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_categories"),
        sa.UniqueConstraint("code", name="uq_categories_code"),
    )
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("category_id", BigId, nullable=True))
        batch.add_column(_qty("safety_stock", nullable=True))
        batch.add_column(sa.Column("lead_time_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("lot_sizing", sa.String(20), nullable=True))
        batch.add_column(_qty("lot_fixed_quantity", nullable=True))
        batch.add_column(_qty("lot_minimum_quantity", nullable=True))
        batch.add_column(_qty("lot_multiple", nullable=True))
        batch.add_column(sa.Column("lifecycle", sa.String(20), nullable=True))
        batch.add_column(_qty("standard_cost", nullable=True))
        batch.add_column(sa.Column("attributes", JsonDoc, nullable=True))
    op.execute(
        "UPDATE items SET safety_stock = 0, lead_time_days = 0, lot_sizing = 'lot_for_lot',"
        " lifecycle = 'active', attributes = '{}'"
    )
    with op.batch_alter_table("items") as batch:
        batch.alter_column("safety_stock", existing_type=ExactDecimal(22, 6), nullable=False)
        batch.alter_column("lead_time_days", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("lot_sizing", existing_type=sa.String(20), nullable=False)
        batch.alter_column("lifecycle", existing_type=sa.String(20), nullable=False)
        batch.alter_column("attributes", existing_type=JsonDoc, nullable=False)
        batch.create_foreign_key(
            "fk_items_category_id_categories", "categories", ["category_id"], ["id"]
        )
        batch.create_index("ix_items_category_id", ["category_id"])
    op.create_table(
        "item_unit_conversions",
        _id(),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("uom", sa.String(20), nullable=False),
        sa.Column("factor", ExactDecimal(28, 10), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_item_unit_conversions"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_item_unit_conversions_item_id_items"
        ),
        sa.UniqueConstraint("item_id", "uom", name="uq_item_unit_conversions_item_id"),
    )
    op.create_table(
        "manufacturer_parts",
        _id(),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("manufacturer", sa.String(100), nullable=False),
        sa.Column("mpn", sa.String(100), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("notes", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_manufacturer_parts"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_manufacturer_parts_item_id_items"
        ),
        sa.UniqueConstraint(
            "item_id", "manufacturer", "mpn", name="uq_manufacturer_parts_item_id"
        ),
    )
    op.create_index("ix_manufacturer_parts_mpn", "manufacturer_parts", ["mpn"])
    op.create_table(
        "routings",
        _id(),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_routings"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name="fk_routings_item_id_items"),
        sa.UniqueConstraint("item_id", name="uq_routings_item_id"),
    )
    op.create_table(
        "routing_operations",
        _id(),
        sa.Column("routing_id", BigId, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("work_center", sa.String(64), nullable=False),
        sa.Column("standard_minutes", ExactDecimal(16, 4), nullable=False),
        sa.Column("setup_minutes", ExactDecimal(16, 4), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_routing_operations"),
        sa.ForeignKeyConstraint(
            ["routing_id"],
            ["routings.id"],
            name="fk_routing_operations_routing_id_routings",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("routing_id", "sequence", name="uq_routing_operations_routing_id"),
        sa.UniqueConstraint("routing_id", "code", name="uq_routing_operations_routing_id_code"),
    )
    op.create_table(
        "bom_versions",
        _id(),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("revision", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        _qty("base_quantity"),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("revised_from_id", BigId, nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("released_by", sa.String(200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bom_versions"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name="fk_bom_versions_item_id_items"),
        sa.UniqueConstraint("item_id", "revision", name="uq_bom_versions_item_id"),
    )
    op.create_index("ix_bom_versions_item_status", "bom_versions", ["item_id", "status"])
    op.create_table(
        "bom_lines",
        _id(),
        sa.Column("bom_id", BigId, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("component_id", BigId, nullable=False),
        _qty("quantity"),
        sa.Column("uom", sa.String(20), nullable=False),
        sa.Column("scrap_percent", ExactDecimal(9, 4), nullable=False),
        _qty("fixed_quantity"),
        _qty("rounding_multiple", nullable=True),
        sa.Column("phantom", sa.Boolean(), nullable=False),
        sa.Column("consumable", sa.Boolean(), nullable=False),
        sa.Column("backflush", sa.Boolean(), nullable=False),
        sa.Column("designators", sa.Text(), nullable=False),
        sa.Column("operation_code", sa.String(32), nullable=True),
        sa.Column("notes", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bom_lines"),
        sa.ForeignKeyConstraint(
            ["bom_id"], ["bom_versions.id"], name="fk_bom_lines_bom_id_bom_versions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["component_id"], ["items.id"], name="fk_bom_lines_component_id_items"
        ),
        sa.UniqueConstraint("bom_id", "position", name="uq_bom_lines_bom_id"),
    )
    op.create_index("ix_bom_lines_component_id", "bom_lines", ["component_id"])
    op.create_table(
        "bom_substitutes",
        _id(),
        sa.Column("line_id", BigId, nullable=False),
        sa.Column("component_id", BigId, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("ratio", ExactDecimal(16, 6), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bom_substitutes"),
        sa.ForeignKeyConstraint(
            ["line_id"], ["bom_lines.id"], name="fk_bom_substitutes_line_id_bom_lines",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["component_id"], ["items.id"], name="fk_bom_substitutes_component_id_items"
        ),
        sa.UniqueConstraint("line_id", "component_id", name="uq_bom_substitutes_line_id"),
    )
    op.create_index("ix_bom_substitutes_component_id", "bom_substitutes", ["component_id"])
    op.create_index("ix_bom_substitutes_line_id", "bom_substitutes", ["line_id"])
    stamp = op.create_table(
        "bom_graph_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter", BigId, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bom_graph_stamp"),
    )
    op.bulk_insert(stamp, [{"id": 1, "counter": 0}])


def downgrade() -> None:
    op.drop_table("bom_graph_stamp")
    op.drop_table("bom_substitutes")
    op.drop_table("bom_lines")
    op.drop_table("bom_versions")
    op.drop_table("routing_operations")
    op.drop_table("routings")
    op.drop_table("manufacturer_parts")
    op.drop_table("item_unit_conversions")
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_category_id")
        batch.drop_constraint("fk_items_category_id_categories", type_="foreignkey")
        for column in (
            "attributes", "standard_cost", "lifecycle", "lot_multiple", "lot_minimum_quantity",
            "lot_fixed_quantity", "lot_sizing", "lead_time_days", "safety_stock", "category_id",
        ):
            batch.drop_column(column)
    op.drop_table("categories")
    op.drop_table("units")
