"""The item sheet: its columns in Chinese and English, and rows as `ItemCreate` payloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.catalog.domain.spreadsheet import Column, HeaderTable, ParsedRow
from shared.spreadsheet import CellProblem, HeaderRow

CODE_ALIASES = (
    "物料编码", "物料代码", "物料号", "物料编号", "料号", "编码", "品号", "存货编码", "零件号",
    "零件编码", "元件编码", "料品编码", "商品编码", "代码",
    "code", "item code", "item no", "item number", "item", "part number", "part no",
    "part", "part code", "pn", "p/n", "material", "material code", "material number", "sku",
)  # fmt: skip
_NAME_ALIASES = ("名称", "物料名称", "品名", "存货名称", "零件名称", "元件名称", "name",
                 "item name", "part name", "material name")
_SPEC_ALIASES = ("规格", "型号", "规格型号", "型号规格", "规格说明", "描述", "物料描述",
                 "description", "spec", "specification", "specifications", "model", "value")
UNIT_HEADERS = ("单位", "计量单位", "库存单位", "基本单位", "主单位", "uom", "unit",
                 "units", "unit of measure", "um", "u/m")
_MFR_ALIASES = ("制造商", "厂家", "厂商", "生产厂家", "品牌", "manufacturer", "mfr", "mfg",
                "manufacturer name", "brand", "maker")
_MPN_ALIASES = ("制造商料号", "原厂料号", "厂家料号", "厂家型号", "制造商型号", "原厂型号",
                "mpn", "manufacturer part number", "manufacturer pn", "mfr part number",
                "mfr pn", "mfr part", "mfg part number", "mfg pn")
_TYPE_NOTE = "raw_material | semi_finished | finished_good (原材料 / 半成品 / 成品, RM, FG)"


def item_columns() -> list[Column]:
    return [
        Column("code", "code", CODE_ALIASES, ("物料编码", "Code"),
               "Unique item code: letters, digits and . _ - /", required=True),
        Column("name", "text", _NAME_ALIASES, ("名称", "Name"), "Up to 200 characters",
               required=True),
        Column("specification", "text", _SPEC_ALIASES, ("规格型号", "Specification"),
               "Up to 500 characters"),
        Column("uom", "unit", UNIT_HEADERS, ("单位", "UoM"),
               "Stock unit code (pcs, kg, m, reel ...; 个 = pcs, 套 = set)", required=True),
        Column("item_type", "item_type", ("物料类型", "类型", "物料属性", "存货属性", "type",
               "item type", "material type", "part type"), ("物料类型", "Item Type"),
               _TYPE_NOTE, required=True),
        Column("category", "code", ("分类", "物料分类", "类别", "物料类别", "存货分类",
               "category", "item category", "category code"), ("分类", "Category"),
               "Category code (must exist)"),
        Column("procurement", "procurement", ("采购类型", "获取方式", "来源", "供应方式",
               "自制采购", "采购自制", "procurement", "source", "make buy", "make or buy",
               "sourcing"), ("采购类型", "Procurement"),
               "buy | make (采购 / 自制); default: buy for raw materials, else make"),
        Column("tracking", "tracking", ("追踪方式", "跟踪方式", "追溯方式", "批次管理",
               "管理方式", "tracking", "traceability", "trace"), ("追踪方式", "Tracking"),
               "none | lot | serial (无 / 批次 / 序列号)"),
        Column("shelf_life_days", "int", ("保质期", "保质期天", "有效期", "有效期天",
               "shelf life", "shelf life days", "shelflife"), ("保质期(天)", "Shelf Life Days"),
               "Whole days, 1 to 36500"),
        Column("safety_stock", "decimal", ("安全库存", "安全库存量", "安全存量", "safety stock",
               "ss", "safety qty", "safety quantity"), ("安全库存", "Safety Stock"),
               "Quantity in the stock unit, 0 or more"),
        Column("lead_time_days", "int", ("提前期", "采购提前期", "生产提前期", "交期", "前置期",
               "lead time", "leadtime", "lt", "lead time days"), ("提前期(天)", "Lead Time Days"),
               "Whole days, 0 to 3650"),
        Column("lot_policy", "lot_policy", ("批量策略", "批量规则", "批量政策", "订货策略",
               "lot sizing", "lot size policy", "lot policy", "lot sizing policy"),
               ("批量策略", "Lot Sizing"),
               "lot_for_lot | fixed | minimum; blank: minimum when MOQ or multiple is given"),
        Column("lot_fixed_quantity", "decimal", ("固定批量数", "固定批量数量", "固定订货量",
               "fixed lot", "fixed lot size", "fixed lot quantity", "foq qty"),
               ("固定批量", "Fixed Lot Quantity"), "Order exactly this (policy fixed)"),
        Column("lot_minimum_quantity", "decimal", ("最小订购量", "最小起订量", "最小订货量",
               "最小批量", "起订量", "moq", "minimum order quantity", "min order qty", "min qty",
               "minimum quantity", "minimum lot"), ("最小订购量", "MOQ"),
               "Order at least this (policy minimum)"),
        Column("lot_multiple", "decimal", ("最小包装", "最小包装量", "包装倍数", "订购倍数",
               "包装量", "包装数量", "spq", "order multiple", "multiple", "pack size",
               "package quantity", "standard pack", "lot multiple"),
               ("包装倍数", "Order Multiple"), "Order in multiples of this (reel of 5000)"),
        Column("lifecycle", "lifecycle", ("生命周期", "状态", "物料状态", "lifecycle",
               "life cycle", "status", "lifecycle status"), ("生命周期", "Lifecycle"),
               "active | not_recommended | end_of_life | obsolete (正常 / 不推荐 / 停产 / 作废)"),
        Column("standard_cost", "decimal", ("标准成本", "成本", "标准单价", "standard cost",
               "std cost", "cost", "unit cost"), ("标准成本", "Standard Cost"),
               "Finance and admin only; others must leave it blank"),
        Column("manufacturer", "text", _MFR_ALIASES, ("制造商", "Manufacturer"),
               "Adds an approved manufacturer part (with MPN)"),
        Column("mpn", "text", _MPN_ALIASES, ("制造商料号", "MPN"),
               "Manufacturer part number (with manufacturer)"),
    ]  # fmt: skip


ITEM_TABLE = HeaderTable(item_columns(), attribute_prefixes=("attr:", "attr.", "属性:", "属性."))
ITEM_REQUIRED = (frozenset({"code", "name", "uom", "item_type"}),)
#: `ItemCreate` paths that are not the sheet's own field names.
_ITEM_PATHS = {
    "lot_sizing.policy": "lot_policy",
    "lot_sizing.fixed_quantity": "lot_fixed_quantity",
    "lot_sizing.minimum_quantity": "lot_minimum_quantity",
    "lot_sizing.multiple": "lot_multiple",
    "lot_sizing": "lot_policy",
}
_LOT_KEYS = {
    "lot_policy": "policy",
    "lot_fixed_quantity": "fixed_quantity",
    "lot_minimum_quantity": "minimum_quantity",
    "lot_multiple": "multiple",
}


def item_sheet_field(path: str) -> str:
    """The sheet field of an `ItemCreate` error path: lot_sizing.multiple -> lot_multiple."""
    for prefix, sheet_field in _ITEM_PATHS.items():
        if path == prefix or path.startswith(prefix + "."):
            return sheet_field
    return path


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item row as an `ItemCreate` payload plus its optional manufacturer part."""

    row: int
    code: str
    payload: dict[str, Any]
    manufacturer: str | None
    mpn: str | None
    problems: tuple[CellProblem, ...]


def item_row(parsed: ParsedRow, header: HeaderRow, *, may_write_cost: bool) -> ItemRow:
    """Shape one read row as an `ItemCreate` payload; a blank lot policy is inferred.

    A standard cost from a caller who may not write it is an error on that cell, not a
    403 for the whole file: the dry run lists it with every other error, and a cost
    column left blank is fine for anyone.
    """
    values = dict(parsed.values)
    problems = list(parsed.problems)
    cost_column = header.column_of("standard_cost")
    if "standard_cost" in values and not may_write_cost:
        values.pop("standard_cost")
        problems.append(CellProblem(parsed.row, cost_column, "standard_cost",
                                    "your role may not write standard_cost (finance or admin)"))
    manufacturer, mpn = values.pop("manufacturer", None), values.pop("mpn", None)
    if (manufacturer is None) != (mpn is None):
        missing = "mpn" if mpn is None else "manufacturer"
        problems.append(CellProblem(parsed.row, header.column_of(missing), missing,
                                    "manufacturer and MPN go together"))
    payload: dict[str, Any] = {}
    lot: dict[str, Any] = {}
    for key, value in values.items():
        if key in _LOT_KEYS:
            lot[_LOT_KEYS[key]] = value
        elif key.startswith("attributes."):
            payload.setdefault("attributes", {})[key.removeprefix("attributes.")] = value
        else:
            payload[key] = value
    if lot:
        if "policy" not in lot:
            lot["policy"] = "fixed" if "fixed_quantity" in lot else "minimum"
        payload["lot_sizing"] = lot
    code = str(values.get("code", ""))
    return ItemRow(parsed.row, code, payload, manufacturer, mpn, tuple(problems))


