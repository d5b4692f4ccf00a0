"""Count sheets (盘点表): the .xlsx to print and fill in, and reading a filled one back.

The sheet has one row per count line: line, location, item, lot, serial number, quality
state, the book quantity (left out of a blind count that is not posted) and the counted
quantity (blank until counted). An upload is matched by its headers, in Chinese or
English (物料编码 / Item Code, 库位 / Location, 批号 / Lot, 序列号 / Serial Number, 质量状态 /
Quality State, 实盘数量 / Counted Quantity), so the sheet we hand out reads back as it is
and so does a sheet of one's own. A serial-tracked unit is a row of its own, counted 1
or 0. A row without a counted quantity is not counted (skipped); every other row is a
count line, checked exactly like `PUT /lines`. A dry run reports every bad cell with its
row and column and changes nothing; entering is all rows or none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogItem
from services.stock.count_schemas import (
    MAX_COUNT_LINES,
    CountLineIn,
    CountSheetResult,
    SheetErrorOut,
    SheetHeaderOut,
    SheetReport,
    StockCountOut,
)
from services.stock.db.models import StockCount
from services.stock.domain.model import QualityState
from services.stock.usecases.stock_count_entries import Entry, apply_entries, plan_entries
from services.stock.usecases.stock_count_views import find_count, load_count
from services.stock.usecases.stock_counts import expect_countable, locked_count
from shared.db.uow import UnitOfWork
from shared.errors import FieldError
from shared.spreadsheet import (
    HEADER_SCAN_ROWS,
    CellError,
    CellProblem,
    HeaderRow,
    HeaderTable,
    SheetColumn,
    cell_decimal,
    cell_text,
    column_letter,
    data_rows,
    find_header_row,
    folded_text,
    is_blank,
    normalize_header,
)
from shared.spreadsheet_files import ImportRejected, SheetFile, SheetSpec

COLUMNS = (
    SheetColumn("line_no", ("行号", "行", "序号", "line", "line no", "line number"),
                ("行号", "Line")),
    SheetColumn("location_code", ("库位", "货位", "仓位", "储位", "库位编码", "库位代码",
                "location", "location code", "bin", "storage bin"), ("库位", "Location")),
    SheetColumn("item_code", ("物料编码", "物料代码", "物料号", "料号", "品号", "存货编码",
                "编码", "item", "item code", "item no", "part number", "part no", "pn",
                "p/n", "material", "sku"), ("物料编码", "Item Code")),
    SheetColumn("lot_number", ("批号", "批次", "批次号", "lot", "lot number", "lot no",
                "batch", "batch number"), ("批号", "Lot")),
    SheetColumn("serial_number", ("序列号", "序列号码", "产品序列号", "sn", "s/n", "serial",
                "serial number", "serial no"), ("序列号", "Serial Number")),
    SheetColumn("quality_state", ("质量状态", "库存状态", "状态", "quality", "quality state",
                "state", "status"), ("质量状态", "Quality State")),
    SheetColumn("book_quantity", ("账面数量", "账面数", "账存数量", "系统数量", "库存数量",
                "book", "book quantity", "book qty", "system quantity", "on hand"),
                ("账面数量", "Book Quantity")),
    SheetColumn("counted_quantity", ("实盘数量", "实盘数", "盘点数量", "盘点数", "实际数量",
                "实存数量", "counted", "counted quantity", "counted qty", "count",
                "actual quantity", "physical quantity"), ("实盘数量", "Counted Quantity")),
)  # fmt: skip
TABLE = HeaderTable(COLUMNS)
REQUIRED = [frozenset({"location_code", "item_code", "counted_quantity"})]
#: Recognised (the sheet we hand out has them) but never read: the line and the book.
NOT_READ = frozenset({"line_no", "book_quantity"})
_STATES = {
    QualityState.QUALIFIED: ("合格", "良品", "正常", "ok", "good", "pass"),
    QualityState.DEFECTIVE: ("不良", "不合格", "不良品", "次品", "ng", "bad", "reject", "rejected"),
    QualityState.PENDING_INSPECTION: ("待检", "待检验", "未检", "pending", "pending inspection",
                                      "uninspected"),
}  # fmt: skip
#: Quality states as sheets write them, in Chinese or English.
_STATE_INDEX = {
    normalize_header(alias): state
    for state, aliases in _STATES.items()
    for alias in (state.value, *aliases)
}


# --- the sheet handed out --------------------------------------------------------------------


def count_sheet(count: StockCountOut) -> SheetSpec:
    """The count's sheet: every line, the book only where the count shows it."""
    fields = [c for c in COLUMNS if count.book_visible or c.field != "book_quantity"]
    return SheetSpec(
        title=count.number,
        header=[" ".join(column.template) for column in fields],
        rows=[
            [
                {
                    "line_no": line.line_no,
                    "location_code": line.location_code,
                    "item_code": line.item_code,
                    "lot_number": line.lot_number,
                    "serial_number": line.serial_number,
                    "quality_state": line.quality_state.value,
                    "book_quantity": line.book_quantity,
                    "counted_quantity": line.counted_quantity,
                }[column.field]
                for column in fields
            ]
            for line in count.lines
        ],
    )


# --- reading a sheet -------------------------------------------------------------------------


@dataclass(slots=True)
class CountSheet:
    """An uploaded sheet read: its header, the count lines it holds, every problem so far."""

    file: SheetFile
    header: HeaderRow
    rows: int = 0
    skipped: int = 0
    #: The count lines, and the sheet row each came from.
    lines: list[CountLineIn] = field(default_factory=list)
    line_rows: list[int] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)

    def at(self, row: int, name: str, reason: str) -> CellProblem:
        return CellProblem(row, self.header.column_of(name), name, reason)


def cell_quality_state(value: object) -> str:
    """A quality state from 合格 / qualified / OK, 不良 / defective / NG, 待检 / pending."""
    found = _STATE_INDEX.get(normalize_header(cell_text(value)))
    if found is None:
        raise CellError(
            f"{cell_text(value)!r} is not a quality state: qualified (合格), defective (不良) "
            "or pending_inspection (待检)"
        )
    return found.value


def _payload(sheet: CountSheet, row: int, cells: Sequence[object]) -> dict[str, Any] | None:
    """The row's cells by field (None: unreadable, reported), or None when the row has no
    counted quantity: it is not counted, so nothing in it is checked."""
    payload: dict[str, Any] = {}
    problems: list[CellProblem] = []
    for match in sheet.header.matches:
        raw = cells[match.column] if match.column < len(cells) else None
        if match.field in NOT_READ or is_blank(raw):
            continue
        try:
            if match.field == "counted_quantity":
                payload[match.field] = cell_decimal(raw)
            elif match.field == "quality_state":
                payload[match.field] = cell_quality_state(raw)
            else:
                payload[match.field] = folded_text(raw)
        except CellError as exc:
            problems.append(sheet.at(row, match.field, str(exc)))
            payload[match.field] = None
    if "counted_quantity" not in payload:
        return None
    sheet.problems.extend(problems)
    return payload


def read_count_sheet(file: SheetFile) -> CountSheet:
    """The count lines of an uploaded sheet, and every cell that cannot be one (pure)."""
    header = find_header_row(file.rows, TABLE, REQUIRED)
    sheet = CountSheet(file, header)
    if header.missing:
        where = "" if header.matches else f" in the first {HEADER_SCAN_ROWS} rows"
        reason = f"no column found{where} for: {', '.join(header.missing)}"
        sheet.problems.append(CellProblem(header.row, None, None, reason))
        return sheet
    for row, cells in data_rows(file.rows, header):
        sheet.rows += 1
        payload = _payload(sheet, row, cells)
        if payload is None:
            sheet.skipped += 1
            continue
        if any(value is None for value in payload.values()):
            continue  # an unreadable cell, already reported
        try:
            line = CountLineIn.model_validate(payload)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else "item_code"
                reason = "required" if error["type"] == "missing" else error["msg"]
                sheet.problems.append(sheet.at(row, name, reason))
            continue
        sheet.lines.append(line)
        sheet.line_rows.append(row)
    if not sheet.rows:
        sheet.problems.append(CellProblem(header.row, None, None, "no data rows below the header"))
    elif len(sheet.lines) > MAX_COUNT_LINES:
        sheet.problems.append(
            CellProblem(None, None, None, f"more than {MAX_COUNT_LINES} counted rows; split it")
        )
    return sheet


def _place(sheet: CountSheet, error: FieldError) -> CellProblem:
    """A `body.lines.<i>[.<field>]` error as a problem on its sheet row and column."""
    parts = error.field.split(".")
    row = sheet.line_rows[int(parts[2])]
    name = parts[3] if len(parts) > 3 else "item_code"
    return sheet.at(row, name, error.message)


async def _check(
    session: AsyncSession,
    count_id: int,
    sheet: CountSheet,
    items: Mapping[str, CatalogItem | None],
    *,
    locked: UnitOfWork | None = None,
) -> tuple[StockCount, list[Entry]]:
    """Check the sheet's lines against the count like `PUT /lines`; problems go on `sheet`."""
    count = await locked_count(locked, count_id) if locked else await find_count(session, count_id)
    expect_countable(count)
    if not sheet.lines:
        return count, []
    entries, errors = await plan_entries(
        session,
        count,
        sheet.lines,
        items,
        name_line=lambda index: f"row {sheet.line_rows[index]}",
    )
    sheet.problems.extend(_place(sheet, error) for error in errors)
    return count, entries


def sheet_report(
    file: SheetFile,
    header: HeaderRow,
    problems: Iterable[CellProblem],
    *,
    rows: int,
    dry_run: bool,
) -> tuple[dict[str, Any], list[CellProblem]]:
    """The fields every `SheetReport` has, and the problems in sheet order (each once)."""
    ordered = sorted(
        dict.fromkeys(problems),
        key=lambda p: (p.row or 0, -1 if p.column is None else p.column),
    )
    fields = {
        "dry_run": dry_run,
        "file_type": file.file_type,
        "sheet": file.sheet,
        "header_row": header.row if header.matches else None,
        "matched": [
            SheetHeaderOut(column=column_letter(m.column), header=m.header, field=m.field)
            for m in header.matches
        ],
        "unmatched": [
            SheetHeaderOut(
                column=column_letter(u.column), header=u.header, field=None, reason=u.reason
            )
            for u in header.unmatched
        ],
        "missing": list(header.missing),
        "errors": [
            SheetErrorOut(
                row=p.row,
                column=column_letter(p.column) if p.column is not None else None,
                header=header.header_of(p.column) if p.column is not None else None,
                field=p.field,
                reason=p.reason,
            )
            for p in ordered
        ],
        "rows": rows,
    }
    return fields, ordered


def _result(sheet: CountSheet, *, dry_run: bool, count: StockCountOut | None) -> CountSheetResult:
    fields, problems = sheet_report(
        sheet.file, sheet.header, sheet.problems, rows=sheet.rows, dry_run=dry_run
    )
    bad = {p.row for p in problems}
    return CountSheetResult(
        **fields,
        counted=sum(1 for row in sheet.line_rows if row not in bad),
        skipped=sheet.skipped,
        count=count,
    )


def sheet_rejected(report: SheetReport, nothing: str) -> ImportRejected:
    """422 `import_rejected` naming every error of the sheet; `nothing` says what did not
    happen ("nothing was counted")."""
    errors = [
        FieldError(
            f"file.rows.{e.row}.{e.field}" if e.row is not None else f"file.{e.field or 'sheet'}",
            f"{e.column} ({e.header}): {e.reason}" if e.column else e.reason,
            "import",
        )
        for e in report.errors
    ]
    return ImportRejected(
        f"{len(errors)} error(s) in the sheet; {nothing}",
        errors=errors,
        extra={
            "import_errors": [e.model_dump(mode="json") for e in report.errors],
            "header_row": report.header_row,
            "missing": report.missing,
        },
    )


async def preview_sheet(
    session: AsyncSession,
    count_id: int,
    sheet: CountSheet,
    items: Mapping[str, CatalogItem | None],
) -> CountSheetResult:
    """Dry run: the header match and every error of a count sheet; nothing is written."""
    await _check(session, count_id, sheet, items)
    return _result(sheet, dry_run=True, count=None)


async def enter_sheet(
    uow: UnitOfWork,
    count_id: int,
    sheet: CountSheet,
    items: Mapping[str, CatalogItem | None],
) -> CountSheetResult:
    """Enter every counted row of the sheet, or none when any cell is bad (422)."""
    async with uow:
        count, entries = await _check(uow.session, count_id, sheet, items, locked=uow)
        if sheet.problems:
            raise sheet_rejected(_result(sheet, dry_run=False, count=None), "nothing was counted")
        if entries:
            await apply_entries(uow, count, entries)
        out = await load_count(uow.session, count)
        await uow.commit()
        return _result(sheet, dry_run=False, count=out)
