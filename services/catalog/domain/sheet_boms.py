"""BOM sheets in the two shapes EDA and ERP tools export: indented levels and parent-child.

Both give `SheetBom`s (one BOM version each, as a `BomCreate` payload) plus the
problems found, each naming its row and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal

from services.catalog.domain.bom import find_cycle
from services.catalog.domain.sheet_items import CODE_ALIASES, UNIT_HEADERS, item_columns
from services.catalog.domain.spreadsheet import Column, HeaderTable, ParsedRow
from shared.spreadsheet import CellProblem, HeaderRow, normalize_header

Shape = Literal["indented", "parent_child"]
#: In EDA BOMs "Item" is the line counter, not the part: it names no column here.
_LINE_COUNTERS = {"item", "itemno", "itemnumber"}

_COMPONENT_ALIASES = (
    "子项", "子件", "子项编码", "子件编码", "子物料", "子物料编码", "子项物料编码", "子件料号",
    "子项料号", "组件编码", "元件", "child", "child code", "child part", "child part number",
    "child item", "component", "component code", "component part number", "component item",
    "component number",
)  # fmt: skip
_PARENT_ALIASES = (
    "父项", "父件", "父项编码", "父件编码", "父物料", "父物料编码", "父项物料编码", "父件料号",
    "父项料号", "母件", "母件编码", "母项", "母项编码", "上级物料", "上级编码", "parent",
    "parent code", "parent part", "parent part number", "parent item", "parent item code",
    "assembly", "assembly code", "assembly part number",
)  # fmt: skip


def _bom_columns() -> list[Column]:
    codes = [a for a in CODE_ALIASES if normalize_header(a) not in _LINE_COUNTERS]
    ignored = [
        Column(f"{c.field}", c.kind, c.aliases, c.template, "Read as information, not imported",
               used=False)
        for c in item_columns()
        if c.field in ("name", "specification", "item_type", "category", "manufacturer", "mpn")
    ]
    return [
        Column("level", "level", ("层级", "阶层", "级别", "层次", "阶次", "bom层级", "bom level",
               "level", "lvl", "lev", "indent"), ("层级", "Level"),
               "0 = the assembly itself, 1 = its components, 2 = theirs; or .1 / ..2"),
        Column("parent_code", "code", _PARENT_ALIASES, ("父项编码", "Parent"),
               "The assembly whose BOM this line belongs to"),
        Column("component_code", "code", (*codes, *_COMPONENT_ALIASES),
               ("物料编码", "Part Number"), "Component code (must exist)", required=True),
        Column("quantity", "decimal", ("用量", "数量", "单位用量", "单机用量", "需求数量", "需求量",
               "标准用量", "qty", "quantity", "qty per", "quantity per", "usage", "count",
               "qty per assembly"), ("用量", "Qty"),
               "Per base quantity of the parent; more than 0", required=True),
        Column("designators", "text", ("位号", "位置号", "元件位号", "点位", "designator",
               "designators", "reference", "references", "ref des", "refdes",
               "reference designator", "reference designators", "ref", "refs", "location"),
               ("位号", "Designator"),
               "R1, R3-R5; for whole units the count must equal the quantity"),
        Column("uom", "unit", UNIT_HEADERS, ("单位", "UoM"), "Defaults to the component's unit"),
        Column("scrap_percent", "percent", ("损耗率", "损耗", "损耗率%", "损耗百分比", "报废率",
               "scrap", "scrap rate", "scrap percent", "scrap %", "loss rate", "attrition",
               "attrition rate"), ("损耗率(%)", "Scrap %"), "Percent: 2 or 2% means 2 %"),
        Column("position", "int", ("行号", "项次", "项号", "position", "line", "line no",
               "line number", "find number", "find no", "pos"), ("行号", "Position"),
               "Line number in its BOM (default 10, 20, ...)"),
        Column("notes", "text", ("备注", "说明", "注释", "notes", "note", "remark", "remarks",
               "comment", "comments"), ("备注", "Notes"), "Up to 500 characters"),
        Column("phantom", "bool", ("虚拟件", "虚拟", "虚设件", "phantom"), ("虚拟件", "Phantom"),
               "Y/N: a pass-through kit"),
        Column("revision", "code", ("版本", "版本号", "版次", "bom版本", "revision", "rev",
               "bom revision", "version"), ("版本", "Revision"),
               "The BOM's revision, on a parent's row; default: the revision parameter"),
        Column("base_quantity", "decimal", ("基本数量", "基数", "母件基数", "父项基数",
               "base quantity", "base qty", "bom base quantity"), ("基本数量", "Base Quantity"),
               "On a parent's row: its lines are per this quantity (default 1)"),
        *ignored,
    ]  # fmt: skip


BOM_TABLE = HeaderTable(_bom_columns())
BOM_REQUIRED: dict[Shape, frozenset[str]] = {
    "indented": frozenset({"level", "component_code", "quantity"}),
    "parent_child": frozenset({"parent_code", "component_code", "quantity"}),
}
#: Fields of a BOM line payload (`BomLineIn`).
LINE_FIELDS = ("component_code", "quantity", "uom", "scrap_percent", "designators", "position",
               "notes", "phantom")


def bom_shape(header: HeaderRow, wanted: Shape | None) -> Shape | None:
    """`wanted`, or the shape the header's columns show (parent column: parent-child)."""
    fields = {m.field for m in header.matches}
    if wanted is not None:
        return wanted
    shapes: tuple[Shape, ...] = ("parent_child", "indented")
    for shape in shapes:
        if BOM_REQUIRED[shape] <= fields:
            return shape
    return None


@dataclass(frozen=True, slots=True)
class SheetLine:
    row: int
    values: dict[str, Any]  # a `BomLineIn` payload


@dataclass(slots=True)
class SheetBom:
    """One BOM version the sheet describes, with where its parent and revision came from."""

    parent_code: str
    revision: str
    parent_row: int | None
    revision_row: int | None = None
    base_quantity: Decimal | None = None
    lines: list[SheetLine] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"item_code": self.parent_code, "revision": self.revision,
                                "lines": [line.values for line in self.lines]}
        if self.base_quantity is not None:
            body["base_quantity"] = self.base_quantity
        return body


def _line(parsed: ParsedRow, header: HeaderRow) -> tuple[SheetLine, list[CellProblem]]:
    problems: list[CellProblem] = []
    for needed in ("component_code", "quantity"):
        if needed not in parsed.values and not any(p.field == needed for p in parsed.problems):
            problems.append(CellProblem(parsed.row, header.column_of(needed), needed,
                                        f"{needed} is required"))
    values = {k: v for k, v in parsed.values.items() if k in LINE_FIELDS}
    return SheetLine(parsed.row, values), problems


@dataclass(slots=True)
class _Node:
    level: int
    code: str
    row: int | None
    revision: str | None
    base_quantity: Decimal | None
    children: list[SheetLine] = field(default_factory=list)


def parse_indented(
    rows: Sequence[ParsedRow], header: HeaderRow, *, top_code: str | None, revision: str
) -> tuple[list[SheetBom], list[CellProblem]]:
    """BOMs from an indented sheet: each row's parent is the nearest row one level up.

    Level 0 starts an assembly; without one, level-1 rows belong to `top_code`. A part
    listed with components twice must list the same components both times.
    """
    problems: list[CellProblem] = []
    level_col, code_col = header.column_of("level"), header.column_of("component_code")
    nodes: list[_Node] = []
    stack: list[_Node] = []
    if top_code:
        stack = [_Node(0, top_code, None, None, None)]
        nodes.append(stack[0])
    for parsed in rows:
        problems.extend(parsed.problems)
        level = parsed.values.get("level")
        if not isinstance(level, int):
            if not any(p.field == "level" for p in parsed.problems):
                problems.append(CellProblem(parsed.row, level_col, "level", "level is required"))
            continue
        code = str(parsed.values.get("component_code", ""))
        if level == 0:
            if not code:
                problems.append(CellProblem(parsed.row, code_col, "component_code",
                                            "the level-0 row must name the assembly"))
                stack = []
                continue
            if top_code and code != top_code:
                problems.append(CellProblem(parsed.row, code_col, "component_code",
                                            f"the level-0 part {code!r} is not item_code "
                                            f"{top_code!r}"))
            node = _Node(0, code, parsed.row, parsed.values.get("revision"),
                         parsed.values.get("base_quantity"))
            nodes.append(node)
            stack = [node]
            continue
        while stack and stack[-1].level >= level:
            stack.pop()
        if not stack or stack[-1].level != level - 1:
            reason = (f"level {level} has no parent one level up"
                      if stack else "no assembly: add a level-0 row or give item_code")
            problems.append(CellProblem(parsed.row, level_col, "level", reason))
            continue
        line, line_problems = _line(parsed, header)
        problems.extend(line_problems)
        stack[-1].children.append(line)
        node = _Node(level, code, parsed.row, parsed.values.get("revision"),
                     parsed.values.get("base_quantity"))
        nodes.append(node)
        stack.append(node)
    boms, repeat_problems = _boms_of(nodes, revision, code_col)
    return boms, problems + repeat_problems


def _signature(lines: Sequence[SheetLine]) -> list[tuple[object, ...]]:
    return [tuple(sorted((k, str(v)) for k, v in line.values.items())) for line in lines]


def _boms_of(
    nodes: Sequence[_Node], revision: str, code_col: int | None
) -> tuple[list[SheetBom], list[CellProblem]]:
    boms: dict[str, tuple[_Node, SheetBom]] = {}
    problems: list[CellProblem] = []
    for node in nodes:
        if not node.children or not node.code:
            continue
        if node.code in boms:
            first, _ = boms[node.code]
            if _signature(first.children) != _signature(node.children):
                where = f"row {first.row}" if first.row else "item_code"
                problems.append(CellProblem(node.row, code_col, "component_code",
                                            f"{node.code!r} lists other components than at "
                                            f"{where}"))
            continue
        bom = SheetBom(node.code, node.revision or revision, node.row,
                       node.row if node.revision else None, node.base_quantity,
                       list(node.children))
        boms[node.code] = (node, bom)
    return [bom for _, bom in boms.values()], problems


def parse_parent_child(
    rows: Sequence[ParsedRow], header: HeaderRow, *, revision: str
) -> tuple[list[SheetBom], list[CellProblem]]:
    """BOMs from parent-child rows: one BOM per parent, lines in sheet order.

    A parent's revision and base quantity may be given on any of its rows (once).
    """
    problems: list[CellProblem] = []
    boms: dict[str, SheetBom] = {}
    parent_col = header.column_of("parent_code")
    for parsed in rows:
        problems.extend(parsed.problems)
        parent = parsed.values.get("parent_code")
        if not parent:
            if not any(p.field == "parent_code" for p in parsed.problems):
                problems.append(CellProblem(parsed.row, parent_col, "parent_code",
                                            "parent is required"))
            continue
        bom = boms.setdefault(str(parent), SheetBom(str(parent), revision, parsed.row))
        problems.extend(_parent_fields(bom, parsed, header))
        line, line_problems = _line(parsed, header)
        problems.extend(line_problems)
        bom.lines.append(line)
    return list(boms.values()), problems


def _parent_fields(bom: SheetBom, parsed: ParsedRow, header: HeaderRow) -> list[CellProblem]:
    """Take a parent-child row's revision and base quantity for its BOM, once."""
    problems: list[CellProblem] = []
    rev, base = parsed.values.get("revision"), parsed.values.get("base_quantity")
    if rev is not None:
        if bom.revision_row is not None and bom.revision != rev:
            problems.append(CellProblem(parsed.row, header.column_of("revision"), "revision",
                                        f"{bom.parent_code} has revision {bom.revision!r} on "
                                        f"row {bom.revision_row}"))
        elif bom.revision_row is None:
            bom.revision, bom.revision_row = str(rev), parsed.row
    if base is not None:
        if bom.base_quantity is not None and bom.base_quantity != base:
            problems.append(CellProblem(parsed.row, header.column_of("base_quantity"),
                                        "base_quantity",
                                        f"differs from {bom.base_quantity} given before"))
        bom.base_quantity = base
    return problems


def cycle_problems(boms: Sequence[SheetBom], column: int | None) -> list[CellProblem]:
    """An error on every line that closes a cycle among the sheet's BOMs, naming the rows."""
    codes: dict[str, int] = {}
    edges: dict[tuple[int, int], int] = {}
    for bom in boms:
        parent = codes.setdefault(bom.parent_code, len(codes))
        for line in bom.lines:
            component = str(line.values.get("component_code", ""))
            child = codes.setdefault(component, len(codes))
            edges.setdefault((parent, child), line.row)
    names = {index: code for code, index in codes.items()}
    problems: list[CellProblem] = []
    remaining = dict(edges)
    for _ in range(20):  # report up to 20 distinct cycles
        cycle = find_cycle(remaining)
        if cycle is None:
            break
        steps = list(pairwise(cycle))
        rows = [remaining[step] for step in steps]
        path = " -> ".join(names[node] for node in cycle)
        row_list = ", ".join(str(r) for r in rows)
        for row in sorted(set(rows)):
            problems.append(CellProblem(row, column, "component_code",
                                        f"cycle {path} (rows {row_list})"))
        del remaining[steps[-1]]
    return problems


def bottom_up(boms: Sequence[SheetBom]) -> list[int]:
    """Indexes of `boms` with every sub-assembly's BOM before the BOMs that use it."""
    index_of = {bom.parent_code: i for i, bom in enumerate(boms)}
    order: list[int] = []
    seen: set[int] = set()

    def visit(index: int, path: frozenset[int]) -> None:
        if index in seen or index in path:
            return
        for line in boms[index].lines:
            child = index_of.get(str(line.values.get("component_code", "")))
            if child is not None:
                visit(child, path | {index})
        seen.add(index)
        order.append(index)

    for index in range(len(boms)):
        visit(index, frozenset())
    return order


def line_fields(payload_path: str) -> tuple[int | None, str]:
    """("lines.3.quantity") -> (3, "quantity"); ("revision") -> (None, "revision")."""
    parts = payload_path.split(".")
    if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit():
        rest = parts[2] if len(parts) > 2 else "component_code"
        if rest == "substitutes":
            rest = "component_code"
        return int(parts[1]), rest
    return None, parts[0] if parts else payload_path

