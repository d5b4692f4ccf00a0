""".xlsx exports of items and BOMs, and the import templates; all re-import as they are.

Headers are our templates' bilingual ones ("物料编码 Code"), which the importer's
matcher reads back, and values are written the way the importer reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import BomVersion, Category, Item, ManufacturerPart
from services.catalog.domain.bom import BomStatus, is_effective
from services.catalog.domain.sheet_boms import BOM_TABLE
from services.catalog.domain.sheet_items import ITEM_TABLE
from services.catalog.domain.spreadsheet import CHOICES, Column
from services.catalog.schemas import BomOut
from services.catalog.usecases.boms import get_bom
from shared.spreadsheet_files import SheetSpec, write_workbook

TemplateKind = Literal["items", "boms-indented", "boms-parent-child"]
#: Multi-level exports stop here (released BOMs have no cycles; this is a guard).
MAX_LEVELS = 30

ITEM_FIELDS = (
    "code", "name", "specification", "uom", "item_type", "category", "procurement", "tracking",
    "shelf_life_days", "safety_stock", "lead_time_days", "lot_policy", "lot_fixed_quantity",
    "lot_minimum_quantity", "lot_multiple", "lifecycle", "standard_cost", "manufacturer", "mpn",
)  # fmt: skip
INDENTED_FIELDS = (
    "level", "component_code", "name", "quantity", "uom", "designators", "scrap_percent",
    "position", "phantom", "notes", "revision", "base_quantity",
)  # fmt: skip
PARENT_CHILD_FIELDS = (
    "parent_code", "component_code", "name", "quantity", "uom", "designators", "scrap_percent",
    "position", "phantom", "notes", "revision", "base_quantity",
)  # fmt: skip
_PARENT_CHILD_HEADERS = {"component_code": ("子件编码", "Child")}


def header_text(column: Column, override: tuple[str, str] | None = None) -> str:
    """The bilingual header of our files: "物料编码 Code"."""
    return " ".join(override or column.template)


def safe_filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or "export"


# --- templates -------------------------------------------------------------------------

_ITEM_EXAMPLE: dict[str, object] = {
    "code": "R-0402-10K", "name": "贴片电阻 10kΩ 1% 0402", "specification": "0402 10k 1% 1/16W",
    "uom": "pcs", "item_type": "原材料", "procurement": "采购", "tracking": "批次",
    "safety_stock": Decimal(20000), "lead_time_days": 14, "lot_minimum_quantity": Decimal(10000),
    "lot_multiple": Decimal(10000), "lifecycle": "正常", "manufacturer": "Yageo",
    "mpn": "RC0402FR-0710KL",
}  # fmt: skip
_INDENTED_EXAMPLE: list[dict[str, object]] = [
    {"level": 0, "component_code": "PCBA-MAIN", "name": "主板组件 Main board", "revision": "A",
     "base_quantity": Decimal(1)},
    {"level": 1, "component_code": "PCB-MAIN", "name": "PCB 裸板", "quantity": Decimal(1),
     "uom": "pcs"},
    {"level": 1, "component_code": "R-0402-10K", "name": "电阻 10k", "quantity": Decimal(4),
     "uom": "pcs", "designators": "R1-R4", "scrap_percent": Decimal("0.5")},
    {"level": 1, "component_code": "PWR-MODULE", "name": "电源模块 (半成品)",
     "quantity": Decimal(1), "uom": "pcs", "revision": "A"},
    {"level": 2, "component_code": "C-0603-1U", "name": "电容 1uF", "quantity": Decimal(2),
     "uom": "pcs", "designators": "C1, C2"},
]  # fmt: skip
_PARENT_CHILD_EXAMPLE: list[dict[str, object]] = [
    {"parent_code": "PCBA-MAIN", "component_code": "PCB-MAIN", "quantity": Decimal(1),
     "uom": "pcs", "revision": "A"},
    {"parent_code": "PCBA-MAIN", "component_code": "R-0402-10K", "quantity": Decimal(4),
     "uom": "pcs", "designators": "R1-R4"},
    {"parent_code": "PWR-MODULE", "component_code": "C-0603-1U", "quantity": Decimal(2),
     "uom": "pcs", "designators": "C1, C2"},
]  # fmt: skip


def _allowed(column: Column) -> str:
    table = CHOICES.get(column.kind)
    if table is None:
        return {"bool": "Y / N, 是 / 否", "unit": "pcs, kg, m, reel ... (个 = pcs)"}.get(
            column.kind, ""
        )
    return "; ".join(f"{value} ({', '.join(aliases[:4])})" for value, aliases in table.items())


def _notes_sheet(
    columns: Sequence[Column], headers: Sequence[str], extra: Sequence[str]
) -> SheetSpec:
    rows: list[list[object]] = [
        [header, column.field, "是 Yes" if column.required else "", column.note, _allowed(column)]
        for column, header in zip(columns, headers, strict=True)
    ]
    rows += [["", "", "", line, ""] for line in extra]
    return SheetSpec(
        "说明 Notes",
        ["列 Column", "字段 Field", "必填 Required", "说明 Description", "可选值 Allowed values"],
        rows,
        widths=(28, 22, 14, 70, 70),
    )


def _row(fields: Sequence[str], values: dict[str, object]) -> list[object]:
    return [values.get(name) for name in fields]


def template(kind: TemplateKind, *, with_cost: bool) -> bytes:
    """An import template: the header row and example rows, then a sheet explaining them."""
    if kind == "items":
        fields = [f for f in ITEM_FIELDS if with_cost or f != "standard_cost"]
        columns = [ITEM_TABLE.by_field[f] for f in fields]
        headers = [header_text(c) for c in columns]
        notes = [
            "表头可用中文或英文及常见写法 (料号 / Part Number / 物料编码 ...) Headers may be "
            "Chinese or English; the import reports how each was matched.",
            "attr:<名称> 列写入自定义属性 Columns named attr:<name> set custom attributes.",
        ]
        main = SheetSpec("物料 Items", headers, [_row(fields, _ITEM_EXAMPLE)])
        return write_workbook([main, _notes_sheet(columns, headers, notes)])
    parent_child = kind == "boms-parent-child"
    fields = list(PARENT_CHILD_FIELDS if parent_child else INDENTED_FIELDS)
    columns = [BOM_TABLE.by_field[f] for f in fields]
    overrides = _PARENT_CHILD_HEADERS if parent_child else {}
    headers = [header_text(c, overrides.get(c.field)) for c in columns]
    examples = _PARENT_CHILD_EXAMPLE if parent_child else _INDENTED_EXAMPLE
    notes = [
        "每个父项生成一个草稿 BOM 版本 Each parent becomes one draft BOM version.",
        "层级 0 为父项本身, 或用参数 item_code 指定 Level 0 is the assembly, or pass item_code."
        if not parent_child else "父项与子项均须已存在 Parents and children must exist.",
    ]  # fmt: skip
    main = SheetSpec("BOM", headers, [_row(fields, example) for example in examples])
    return write_workbook([main, _notes_sheet(columns, headers, notes)])


# --- items -----------------------------------------------------------------------------


def _items_query(
    item_type: str | None, category: str | None, code_prefix: str | None
) -> Select[Item, str]:
    query = select(Item, Category.code).outerjoin(Category, Category.id == Item.category_id)
    if item_type:
        query = query.where(Item.item_type == item_type)
    if category:
        query = query.where(Category.code == category)
    if code_prefix:
        query = query.where(Item.code.startswith(code_prefix, autoescape=True))
    return query.order_by(Item.id)


async def _preferred_parts(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Each item's preferred manufacturer part (approved first, then by priority)."""
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 5000):
        rows = await session.execute(
            select(ManufacturerPart.item_id, ManufacturerPart.manufacturer, ManufacturerPart.mpn)
            .where(ManufacturerPart.item_id.in_(ids[start : start + 5000]))
            .order_by(ManufacturerPart.approved.desc(), ManufacturerPart.priority,
                      ManufacturerPart.id)
        )  # fmt: skip
        for item_id, manufacturer, mpn in rows:
            found.setdefault(item_id, (manufacturer, mpn))
    return found


def _item_values(item: Item, category: str | None, part: tuple[str, str] | None) -> dict[str, Any]:
    return {
        "code": item.code, "name": item.name, "specification": item.specification or None,
        "uom": item.uom, "item_type": item.item_type, "category": category,
        "procurement": item.procurement, "tracking": item.tracking,
        "shelf_life_days": item.shelf_life_days, "safety_stock": item.safety_stock,
        "lead_time_days": item.lead_time_days, "lot_policy": item.lot_sizing,
        "lot_fixed_quantity": item.lot_fixed_quantity,
        "lot_minimum_quantity": item.lot_minimum_quantity, "lot_multiple": item.lot_multiple,
        "lifecycle": item.lifecycle, "standard_cost": item.standard_cost,
        "manufacturer": part[0] if part else None, "mpn": part[1] if part else None,
    }  # fmt: skip


async def export_items(
    session: AsyncSession,
    *,
    item_type: str | None = None,
    category: str | None = None,
    code_prefix: str | None = None,
    with_cost: bool,
) -> bytes:
    """The items as an item-import sheet (custom attributes as attr:<name> columns)."""
    rows = (await session.execute(_items_query(item_type, category, code_prefix))).all()
    parts = await _preferred_parts(session, [item.id for item, _ in rows])
    fields = [f for f in ITEM_FIELDS if with_cost or f != "standard_cost"]
    keys = sorted({key for item, _ in rows for key in (item.attributes or {})})
    headers = [header_text(ITEM_TABLE.by_field[f]) for f in fields] + [f"attr:{k}" for k in keys]

    def lines() -> Iterator[list[object]]:
        for item, category_code in rows:
            values = _item_values(item, category_code, parts.get(item.id))
            attributes = item.attributes or {}
            yield [values[f] for f in fields] + [_attribute_cell(attributes.get(k)) for k in keys]

    return write_workbook([SheetSpec("物料 Items", headers, lines())])


def _attribute_cell(value: object) -> object:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# --- BOMs ------------------------------------------------------------------------------


async def _released_today(session: AsyncSession, item_ids: set[int]) -> dict[int, int]:
    """item id -> id of its released BOM version effective today."""
    if not item_ids:
        return {}
    today = date.today()
    rows = await session.execute(
        select(BomVersion.item_id, BomVersion.id, BomVersion.effective_from,
               BomVersion.effective_to)
        .where(BomVersion.item_id.in_(sorted(item_ids)),
               BomVersion.status == BomStatus.RELEASED.value)
        .order_by(BomVersion.id)
    )  # fmt: skip
    return {
        item_id: bom_id
        for item_id, bom_id, valid_from, valid_to in rows
        if is_effective(valid_from, valid_to, today)
    }


def _bom_row(bom: BomOut) -> dict[str, object]:
    return {"revision": bom.revision, "base_quantity": bom.base_quantity}


async def _indented_rows(
    session: AsyncSession, bom: BomOut, level: int, levels: int, path: frozenset[int]
) -> list[dict[str, object]]:
    subs = await _released_today(session, {line.component_id for line in bom.lines})
    rows: list[dict[str, object]] = []
    for line in bom.lines:
        row = {
            "level": level, "component_code": line.component_code, "name": line.component_name,
            "quantity": line.quantity, "uom": line.uom, "designators": line.designators or None,
            "scrap_percent": line.scrap_percent or None, "position": line.position,
            "phantom": "Y" if line.phantom else None, "notes": line.notes or None,
        }  # fmt: skip
        rows.append(row)
        sub_id = subs.get(line.component_id)
        if sub_id is None or level >= levels or line.component_id in path:
            continue
        sub = await get_bom(session, sub_id)
        row.update(_bom_row(sub))
        rows += await _indented_rows(session, sub, level + 1, levels, path | {sub.item_id})
    return rows


async def export_bom(
    session: AsyncSession, bom_id: int, *, levels: int | None
) -> tuple[str, bytes]:
    """(file name, .xlsx) of one BOM version as an indented sheet.

    Sub-assemblies expand to their released version effective today, down to `levels`
    (None: all).
    """
    bom = await get_bom(session, bom_id)
    depth = min(levels or MAX_LEVELS, MAX_LEVELS)
    name = await session.scalar(select(Item.name).where(Item.id == bom.item_id))
    top = {"level": 0, "component_code": bom.item_code, "name": name, **_bom_row(bom)}
    rows = [top, *await _indented_rows(session, bom, 1, depth, frozenset({bom.item_id}))]
    headers = [header_text(BOM_TABLE.by_field[f]) for f in INDENTED_FIELDS]
    data = write_workbook([SheetSpec("BOM", headers, [_row(INDENTED_FIELDS, r) for r in rows])])
    return f"bom-{safe_filename(bom.item_code)}-{safe_filename(bom.revision)}.xlsx", data
