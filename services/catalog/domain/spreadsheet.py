"""Spreadsheet imports: header matching (Chinese and English), cell values, BOM shapes.

Pure functions over rows of cell values (`str`, `int`, `float`, `bool`, `Decimal`,
dates, `None`) as a reader returns them. Row numbers are the sheet's (1-based);
column indexes are 0-based (`column_letter(0) == "A"`). Every problem is a
`CellProblem` naming its row and column, so a dry run can list them all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Context, Decimal, InvalidOperation
from typing import Any, Literal

Kind = Literal[
    "text", "code", "unit", "decimal", "percent", "int", "bool", "level",
    "item_type", "procurement", "tracking", "lifecycle", "lot_policy",
]  # fmt: skip
#: Header rows are looked for in the first rows only.
HEADER_SCAN_ROWS = 10
#: Excel keeps 15 significant digits; a float cell is read back to that precision.
EXCEL_DIGITS = 15


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


@dataclass(frozen=True, slots=True)
class CellProblem:
    """One error: `row` is the sheet's row (None: the whole file), `column` 0-based or None."""

    row: int | None
    column: int | None
    field: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    column: int
    header: str
    field: str


@dataclass(frozen=True, slots=True)
class UnmatchedHeader:
    column: int
    header: str
    reason: str


@dataclass(frozen=True, slots=True)
class HeaderRow:
    """The header row found in a sheet and what each of its cells was matched to."""

    row: int
    matches: tuple[HeaderMatch, ...]
    unmatched: tuple[UnmatchedHeader, ...]
    missing: tuple[str, ...] = ()

    def column_of(self, field_name: str) -> int | None:
        for match in self.matches:
            if match.field == field_name:
                return match.column
        return None

    def header_of(self, column: int) -> str | None:
        for match in self.matches:
            if match.column == column:
                return match.header
        for other in self.unmatched:
            if other.column == column:
                return other.header
        return None


class CellError(ValueError):
    """A cell's value cannot be read as its column needs."""


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- header matching -------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")


def normalize_header(text: str) -> str:
    """Case-, width- and punctuation-blind key: "Lead Time (Days)" -> "leadtimedays"."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", folded)


def _header_keys(text: str) -> list[str]:
    """The keys a header is looked up by: whole, without brackets, then its CJK/Latin parts."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("*", "")
    bare = _BRACKETS.sub(" ", folded)
    keys = [normalize_header(folded), normalize_header(bare)]
    cjk = "".join(_CJK.findall(bare))
    latin = _CJK.sub(" ", bare)
    if cjk and normalize_header(latin):
        keys += [normalize_header(cjk), normalize_header(latin)]
    return [key for key in dict.fromkeys(keys) if key]


class HeaderTable:
    """The columns one kind of sheet may carry, indexed by every normalised alias."""

    def __init__(self, columns: Sequence[Column], attribute_prefixes: Sequence[str] = ()) -> None:
        self.columns = tuple(columns)
        self.by_field = {column.field: column for column in columns}
        self.attribute_prefixes = tuple(attribute_prefixes)
        self._index: dict[str, str] = {}
        for column in columns:
            names = (*column.aliases, column.field, *column.template, " ".join(column.template))
            for alias in names:
                key = normalize_header(alias)
                owner = self._index.setdefault(key, column.field)
                if owner != column.field:
                    raise ValueError(f"alias {alias!r} names {owner} and {column.field}")

    def match(self, header: str) -> tuple[str | None, str]:
        """(field, "") for a known header, else (None, why not)."""
        attribute = self._attribute(header)
        if attribute is not None:
            return (f"attributes.{attribute}", "") if attribute else (None, "no attribute name")
        keys = _header_keys(header)
        fields = list(dict.fromkeys(self._index[key] for key in keys if key in self._index))
        if len(fields) == 1 or (fields and keys[0] in self._index):
            return fields[0], ""
        if fields:
            return None, f"ambiguous: could be {' or '.join(fields)}"
        return None, "not a known column"

    def _attribute(self, header: str) -> str | None:
        text = unicodedata.normalize("NFKC", header).strip()
        for prefix in self.attribute_prefixes:
            if text.casefold().startswith(prefix):
                return text[len(prefix) :].strip()
        return None


def match_header_row(row: int, cells: Sequence[object], table: HeaderTable) -> HeaderRow:
    """Match every non-blank cell of one row; a field's second column is left unmatched."""
    matches: list[HeaderMatch] = []
    unmatched: list[UnmatchedHeader] = []
    taken: dict[str, int] = {}
    for column, cell in enumerate(cells):
        header = cell_text(cell)
        if not header:
            continue
        field_name, reason = table.match(header)
        if field_name is not None and field_name in taken:
            reason = f"{field_name} is already read from column {column_letter(taken[field_name])}"
            field_name = None
        if field_name is None:
            unmatched.append(UnmatchedHeader(column, header, reason))
        else:
            taken[field_name] = column
            matches.append(HeaderMatch(column, header, field_name))
    return HeaderRow(row, tuple(matches), tuple(unmatched))


def find_header_row(
    rows: Sequence[Sequence[object]],
    table: HeaderTable,
    required: Sequence[frozenset[str]],
    scan: int = HEADER_SCAN_ROWS,
) -> HeaderRow:
    """The first of the first `scan` rows that has every field of one of the `required` sets.

    If none has, the row that matched most, with `missing` naming what it lacks.
    """
    best: HeaderRow | None = None
    for number, cells in enumerate(rows[:scan], start=1):
        candidate = match_header_row(number, cells, table)
        fields = {m.field for m in candidate.matches}
        if any(needed <= fields for needed in required):
            return candidate
        if best is None or len(candidate.matches) > len(best.matches):
            best = candidate
    if best is None:
        best = HeaderRow(1, (), ())
    fields = {m.field for m in best.matches}
    lacking = min((sorted(needed - fields) for needed in required), key=len)
    return HeaderRow(best.row, best.matches, best.unmatched, tuple(lacking))


# --- cell values -----------------------------------------------------------------------

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_EXCEL = Context(prec=EXCEL_DIGITS)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plain(value: Decimal) -> Decimal:
    """Without exponent or trailing zeros: 5.000E+3 -> 5000."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return Decimal(format(normal, "f")) if isinstance(exponent, int) and exponent > 0 else normal


def float_decimal(value: float) -> Decimal:
    """A float cell as the decimal Excel shows: 0.1 -> 0.1, 0.30000000000000004 -> 0.3."""
    return _plain(_EXCEL.create_decimal(repr(value)))


def cell_text(value: object) -> str:
    """A cell as text; a number cell holding a code (10001.0) gives "10001"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(float_decimal(value), "f")
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(_plain(value), "f")
    return str(value).strip()


def folded_text(value: object) -> str:
    """A cell as text with full-width forms made plain (ＡＢ１ -> AB1): for codes and numbers."""
    return unicodedata.normalize("NFKC", cell_text(value)).strip()


def cell_decimal(value: object, *, percent: bool = False) -> Decimal:
    """A number from 5000, 5000.0, "5,000", "５０００", " 1e3 " (and "5%" when `percent`)."""
    if isinstance(value, bool):
        raise CellError("expected a number, not true/false")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("expected a number")
        return float_decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CellError("expected a number")
        return _plain(value)
    text = re.sub(r"\s+", "", folded_text(value))
    if percent and text.endswith("%"):
        text = text[:-1]
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"{cell_text(value)!r} is not a number") from None
    if not number.is_finite():
        raise CellError(f"{cell_text(value)!r} is not a number")
    return _plain(number)


def cell_int(value: object) -> int:
    number = cell_decimal(value)
    if number != number.to_integral_value():
        raise CellError(f"{cell_text(value)!r} is not a whole number")
    return int(number)


_TRUE = {"y", "yes", "true", "t", "1", "是", "有", "√", "✓", "✔", "对"}
_FALSE = {"n", "no", "false", "f", "0", "否", "无", "×", "✗", "不", "错"}


def cell_bool(value: object) -> bool:
    """Y/N, yes/no, true/false, 1/0, 是/否 (and Excel booleans)."""
    if isinstance(value, bool):
        return value
    key = folded_text(value).casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(f"{cell_text(value)!r} is not yes or no (Y/N, 是/否, true/false)")


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


def data_rows(
    rows: Sequence[Sequence[object]], header: HeaderRow
) -> Iterable[tuple[int, Sequence[object]]]:
    """(row number, cells) of every row below the header that is not blank."""
    for number in range(header.row + 1, len(rows) + 1):
        cells = rows[number - 1]
        if any(not is_blank(cell) for cell in cells):
            yield number, cells


def duplicate_problems(
    keys: Sequence[tuple[int, str]], column: int | None, field_name: str, what: str
) -> list[CellProblem]:
    """An error on every row whose key (e.g. item code) another row of the file repeats."""
    rows_of: dict[str, list[int]] = {}
    for row, key in keys:
        rows_of.setdefault(key, []).append(row)
    problems: list[CellProblem] = []
    for key, rows in rows_of.items():
        if len(rows) < 2:
            continue
        for row in rows:
            others = ", ".join(str(r) for r in rows if r != row)
            reason = f"duplicate {what} {key!r}: also on row(s) {others}"
            problems.append(CellProblem(row, column, field_name, reason))
    return sorted(problems, key=lambda p: (p.row or 0, p.column or 0))
