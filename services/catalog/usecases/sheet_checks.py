"""What item and BOM imports share: the sheet's rows and problems, validation, the report.

Every problem is a `CellProblem` on a sheet row and column; the report shows the
header match and every error; a refused commit is an `ImportRejected` problem with
the same list.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.catalog.domain.spreadsheet import HeaderTable, ParsedRow, RowReader
from services.catalog.import_schemas import (
    HeaderMatchOut,
    ImportErrorOut,
    SheetSummary,
    UnmatchedHeaderOut,
)
from shared.errors import FieldError
from shared.spreadsheet import (
    HEADER_SCAN_ROWS,
    CellProblem,
    HeaderRow,
    column_letter,
    data_rows,
    find_header_row,
)
from shared.spreadsheet_files import ImportRejected, SheetFile

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(slots=True)
class SheetRows:
    """A sheet's header, its data rows as read, and every problem found so far."""

    file: SheetFile
    header: HeaderRow
    rows: list[ParsedRow]
    problems: list[CellProblem] = field(default_factory=list)
    _taken: set[tuple[int | None, str | None]] = field(default_factory=set)

    def add(self, problems: Sequence[CellProblem]) -> None:
        """Add problems, leaving out a second one on a cell that already has one."""
        for problem in problems:
            key = (problem.row, problem.field)
            if key not in self._taken or problem.field is None:
                self.problems.append(problem)
                self._taken.add(key)


def open_sheet(
    file: SheetFile,
    table: HeaderTable,
    required: Sequence[frozenset[str]],
    units: Collection[str],
) -> SheetRows:
    header = find_header_row(file.rows, table, required)
    if header.missing:
        found = "" if header.matches else f" in the first {HEADER_SCAN_ROWS} rows"
        reason = f"no column found{found} for: {', '.join(header.missing)}"
        return SheetRows(file, header, [], [CellProblem(header.row, None, None, reason)])
    reader = RowReader(header, table, units)
    rows = [reader(number, cells) for number, cells in data_rows(file.rows, header)]
    sheet = SheetRows(file, header, rows)
    if not rows:
        sheet.add([CellProblem(header.row, None, None, "no data rows below the header row")])
    for parsed in rows:
        sheet.add(parsed.problems)
    return sheet


def validate_model(
    model: type[ModelT],
    payload: dict[str, Any],
    locate: Callable[[str], CellProblem],
) -> tuple[ModelT | None, list[CellProblem]]:
    """`payload` as `model`, or every validation error placed by `locate(path)`."""
    try:
        return model.model_validate(payload), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            at = locate(path)
            reason = "required" if error["type"] == "missing" else error["msg"]
            problems.append(CellProblem(at.row, at.column, at.field, reason))
        return None, problems


def summary_fields(sheet: SheetRows, *, dry_run: bool) -> dict[str, Any]:
    header = sheet.header
    problems = sorted(
        dict.fromkeys(sheet.problems),
        key=lambda p: (p.row or 0, -1 if p.column is None else p.column),
    )
    return {
        "dry_run": dry_run,
        "file_type": sheet.file.file_type,
        "sheet": sheet.file.sheet,
        "header_row": header.row if header.matches else None,
        "matched": [
            HeaderMatchOut(column=m.column + 1, letter=column_letter(m.column), header=m.header,
                           field=m.field)
            for m in header.matches
        ],
        "unmatched": [
            UnmatchedHeaderOut(column=u.column + 1, letter=column_letter(u.column),
                               header=u.header, reason=u.reason)
            for u in header.unmatched
        ],
        "missing": list(header.missing),
        "errors": [
            ImportErrorOut(
                row=p.row,
                column=column_letter(p.column) if p.column is not None else None,
                header=header.header_of(p.column) if p.column is not None else None,
                field=p.field,
                reason=p.reason,
            )
            for p in problems
        ],
        "rows": len(sheet.rows),
    }  # fmt: skip


def rejected(result: SheetSummary) -> ImportRejected:
    errors = [
        FieldError(
            f"file.rows.{e.row}.{e.field}" if e.row is not None else f"file.{e.field or 'sheet'}",
            f"{e.column} ({e.header}): {e.reason}" if e.column else e.reason,
            "import",
        )
        for e in result.errors
    ]
    return ImportRejected(
        f"{len(errors)} error(s) in the file; nothing was imported",
        errors=errors,
        extra={
            "import_errors": [e.model_dump(mode="json") for e in result.errors],
            "header_row": result.header_row,
            "matched": [m.model_dump(mode="json") for m in result.matched],
            "missing": result.missing,
        },
    )


def valid_row_count(sheet: SheetRows) -> int:
    bad = {p.row for p in sheet.problems}
    return sum(1 for parsed in sheet.rows if parsed.row not in bad)
