"""Catalog sheets: the kinds of cell the item and BOM sheets hold, and reading their rows.

Header matching and plain cell values (text, numbers, yes/no) are every service's and
live in `shared.spreadsheet`; this module adds what only the catalog's sheets have:
choices in Chinese and English (成品 -> finished_good), BOM levels ("..2"), unit names
(个 -> pcs), custom attribute columns, and a row reader that parses each matched cell
as its column's kind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from shared.spreadsheet import (
    CellError,
    CellProblem,
    HeaderRow,
    cell_bool,
    cell_decimal,
    cell_int,
    cell_text,
    folded_text,
    is_blank,
    normalize_header,
)
from shared.spreadsheet import HeaderTable as SharedHeaderTable

Kind = Literal[
    "text", "code", "unit", "decimal", "percent", "int", "bool", "level",
    "item_type", "procurement", "tracking", "lifecycle", "lot_policy",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Column:
    """A field a sheet may carry: the names its header may have, and how to read its cells."""

    field: str
    kind: Kind
    aliases: tuple[str, ...]
    template: tuple[str, str]  # (Chinese, English) header of our templates and exports
    note: str = ""
    required: bool = False
    used: bool = True  # False: recognised (so not reported as unknown) but not imported


#: The catalog's header tables index its own `Column`s.
HeaderTable: TypeAlias = SharedHeaderTable[Column]


# --- catalog cell kinds ----------------------------------------------------------------

_LEVEL_DOTS = re.compile(r"^(\.+)(\d*)$")


def cell_level(value: object) -> int:
    """A BOM level: 0, 1, 2 (also 1.0), or the ".1", "..2" style (the dots count)."""
    text = folded_text(value).replace(" ", "")
    dotted = _LEVEL_DOTS.match(text)
    if dotted:
        dots, digits = dotted.groups()
        if digits and int(digits) != len(dots):
            raise CellError(f"{text!r}: the dots and the number disagree")
        return len(dots)
    try:
        level = cell_int(value)
    except CellError:
        raise CellError(f"{text!r} is not a level (0, 1, 2 or .1, ..2)") from None
    if not 0 <= level <= 99:
        raise CellError(f"level {level} is out of range")
    return level


#: Accepted spellings of each choice, matched case-, space- and punctuation-blind.
CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "item_type": {
        "raw_material": ("raw", "rm", "raw material", "material", "原材料", "原料", "材料",
                         "原材料/外购件", "外购件", "采购件"),
        "semi_finished": ("semi", "semi finished", "semifinished", "sfg", "wip",
                          "subassembly", "sub assembly", "半成品", "中间品", "在制品", "组件"),
        "finished_good": ("finished", "finished good", "finished goods", "fg", "product",
                          "成品", "产成品", "产品", "整机"),
    },
    "procurement": {
        "buy": ("purchase", "purchased", "p", "b", "采购", "外购", "购买", "购"),
        "make": ("manufacture", "manufactured", "produce", "m", "自制", "生产", "制造", "自产"),
    },
    "tracking": {
        "none": ("no", "n", "不管理", "无", "否", "不追踪", "不跟踪"),
        "lot": ("batch", "lot tracking", "批次", "批号", "批次管理", "批次号"),
        "serial": ("sn", "serial number", "serial no", "序列号", "序列号管理", "序号管理", "单件"),
    },
    "lifecycle": {
        "active": ("正常", "有效", "在用", "量产", "启用", "活跃", "ok"),
        "not_recommended": ("nrnd", "not recommended", "不推荐", "不建议使用", "限用", "慎用"),
        "end_of_life": ("eol", "end of life", "停产", "即将停产", "停产通知"),
        "obsolete": ("obs", "作废", "淘汰", "禁用", "失效", "报废"),
    },
    "lot_policy": {
        "lot_for_lot": ("lfl", "l4l", "lot for lot", "按需", "逐批", "批对批", "按单"),
        "fixed": ("foq", "fixed lot", "fixed quantity", "固定", "固定批量"),
        "minimum": ("min", "moq", "minimum quantity", "最小", "最小批量", "最小订购量", "起订量"),
    },
}
_CHOICE_INDEX = {
    kind: {normalize_header(alias): value for value, aliases in table.items()
           for alias in (value, *aliases)}
    for kind, table in CHOICES.items()
}  # fmt: skip


def cell_choice(kind: str, value: object) -> str:
    """The canonical value of a choice column: "成品", "FG", "finished good" -> finished_good."""
    found = _CHOICE_INDEX[kind].get(normalize_header(cell_text(value)))
    if found is None:
        allowed = ", ".join(CHOICES[kind])
        raise CellError(f"{cell_text(value)!r} is not one of {allowed} (or a Chinese name)")
    return found


#: Common Chinese and English unit names; used only when the name is not itself a unit.
UNIT_ALIASES: dict[str, tuple[str, ...]] = {
    "pcs": ("pc", "piece", "pieces", "ea", "each", "个", "只", "件", "颗", "片", "粒", "支", "根",
            "块", "pce"),
    "set": ("sets", "套", "台", "组"),
    "reel": ("reels", "盘", "卷盘"),
    "roll": ("rolls", "卷"),
    "tray": ("trays", "托盘", "盘装"),
    "tube": ("tubes", "管"),
    "box": ("boxes", "盒", "箱"),
    "pack": ("packs", "pk", "包", "袋"),
    "sheet": ("sheets", "张"),
    "kg": ("kgs", "kilogram", "千克", "公斤"),
    "g": ("gram", "grams", "克"),
    "m": ("meter", "metre", "meters", "米"),
    "cm": ("厘米",),
    "mm": ("毫米",),
    "l": ("litre", "liter", "升"),
    "ml": ("毫升",),
    "m2": ("m²", "sqm", "平方米", "平米"),
}
_UNIT_INDEX = {
    alias.casefold(): code for code, aliases in UNIT_ALIASES.items() for alias in aliases
}


def resolve_unit(text: str, known: Collection[str]) -> str:
    """The unit code `text` names: itself, its lower case, or a common name ("个" -> pcs).

    An unknown unit comes back as written, for the database check to report.
    """
    if text in known:
        return text
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    if folded in known:
        return folded
    alias = _UNIT_INDEX.get(folded)
    return alias if alias is not None and alias in known else text


def parse_cell(kind: Kind, value: object) -> object:
    """A cell read as its column's kind; None when blank. Raises `CellError`."""
    if is_blank(value):
        return None
    if kind == "text":
        return cell_text(value)
    if kind in ("code", "unit"):
        return folded_text(value)
    if kind == "decimal":
        return cell_decimal(value)
    if kind == "percent":
        return cell_decimal(value, percent=True)
    if kind == "int":
        return cell_int(value)
    if kind == "bool":
        return cell_bool(value)
    if kind == "level":
        return cell_level(value)
    return cell_choice(kind, value)


def attribute_value(value: object) -> object:
    """A custom attribute cell as JSON: numbers stay numbers (3.0 -> 3), text stays text."""
    if isinstance(value, str):
        return cell_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = cell_decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    return cell_text(value)


# --- sheet rows ------------------------------------------------------------------------


@dataclass(slots=True)
class ParsedRow:
    """One data row's cells read by the header: field -> value (blank cells left out)."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)


class RowReader:
    """Reads data rows by a header: each matched cell parsed as its column's kind."""

    def __init__(self, header: HeaderRow, table: HeaderTable, units: Collection[str]) -> None:
        self.units = units
        self.cells: list[tuple[int, str, Kind | None]] = []  # None: a custom attribute
        for match in header.matches:
            if match.field.startswith("attributes."):
                self.cells.append((match.column, match.field, None))
            elif table.by_field[match.field].used:
                self.cells.append((match.column, match.field, table.by_field[match.field].kind))

    def __call__(self, row: int, cells: Sequence[object]) -> ParsedRow:
        """Every matched cell of one row; unreadable cells become problems."""
        parsed = ParsedRow(row)
        width = len(cells)
        for index, field_name, kind in self.cells:
            raw = cells[index] if index < width else None
            if is_blank(raw):
                continue
            if kind is None:
                parsed.values[field_name] = attribute_value(raw)
                continue
            try:
                value = parse_cell(kind, raw)
            except CellError as exc:
                parsed.problems.append(CellProblem(row, index, field_name, str(exc)))
                continue
            if kind == "unit" and isinstance(value, str):
                value = resolve_unit(value, self.units)
            parsed.values[field_name] = value
        return parsed


def read_row(
    row: int, cells: Sequence[object], header: HeaderRow, table: HeaderTable,
    units: Collection[str],
) -> ParsedRow:  # fmt: skip
    """Read every matched cell of one row (see `RowReader` for many rows)."""
    return RowReader(header, table, units)(row, cells)
