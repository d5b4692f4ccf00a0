"""Spreadsheet rows, read the same way by every service: header matching and cell values.

Pure functions over rows of cell values (`str`, `int`, `float`, `bool`, `Decimal`,
dates, `None`) as `shared.spreadsheet_files.read_sheet` returns them. Row numbers are the
sheet's (1-based); column indexes are 0-based (`column_letter(0) == "A"`). Every problem
is a `CellProblem` naming its row and column, so a dry run can list them all.

Headers are matched case-, width- and punctuation-blind against each column's aliases,
Chinese and English alike ("物料编码", "Item Code", "ＩＴＥＭ　ＣＯＤＥ", "*物料编码",
"物料编码 Item Code" all name the same column). What a column's cells mean is the
caller's business: a service declares its columns and reads their cells with the
`cell_*` helpers here or its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Context, Decimal, InvalidOperation
from typing import Generic, Protocol, TypeVar

#: Header rows are looked for in the first rows only.
HEADER_SCAN_ROWS = 10
#: Excel keeps 15 significant digits; a float cell is read back to that precision.
EXCEL_DIGITS = 15


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


class HeaderColumn(Protocol):
    """What header matching needs of a column: its field and the names its header may have."""

    @property
    def field(self) -> str: ...

    @property
    def aliases(self) -> tuple[str, ...]: ...

    @property
    def template(self) -> tuple[str, str]: ...


@dataclass(frozen=True, slots=True)
class SheetColumn:
    """A column whose cells the caller reads itself; `template` is (Chinese, English)."""

    field: str
    aliases: tuple[str, ...]
    template: tuple[str, str]


ColumnT = TypeVar("ColumnT", bound=HeaderColumn)


class HeaderTable(Generic[ColumnT]):
    """The columns one kind of sheet may carry, indexed by every normalised alias.

    `attribute_prefixes` ("attr:", "属性:") turn a header into `attributes.<name>`.
    """

    def __init__(self, columns: Sequence[ColumnT], attribute_prefixes: Sequence[str] = ()) -> None:
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


def match_header_row(row: int, cells: Sequence[object], table: HeaderTable[ColumnT]) -> HeaderRow:
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
    table: HeaderTable[ColumnT],
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


def plain_decimal(value: Decimal) -> Decimal:
    """Without exponent or trailing zeros: 5.000E+3 -> 5000."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return Decimal(format(normal, "f")) if isinstance(exponent, int) and exponent > 0 else normal


def float_decimal(value: float) -> Decimal:
    """A float cell as the decimal Excel shows: 0.1 -> 0.1, 0.30000000000000004 -> 0.3."""
    return plain_decimal(_EXCEL.create_decimal(repr(value)))


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
        return format(plain_decimal(value), "f")
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
        return plain_decimal(value)
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
    return plain_decimal(number)


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


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def cell_date(value: object) -> date:
    """A day from a date cell, or text: 2026-11-26, 2026/11/26, 2026.11.26, 20261126,
    2026年11月26日 (a date-time cell at midnight too; other times are refused)."""
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise CellError(f"{cell_text(value)!r} is a date and time; expected a date")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise CellError(f"{cell_text(value)!r} is not a date (write it as 2026-11-26)")
    text = re.sub(r"\s+", "", folded_text(value))
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CellError(f"{cell_text(value)!r} is not a date (write it as 2026-11-26)")


# --- sheet rows ------------------------------------------------------------------------


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
