"""A report query's result as chart-ready JSON, CSV, or an .xlsx workbook whose native
Excel chart draws the measures (a line chart over time, else columns), so a manager who
opens the file sees the trend."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from services.stock.usecases.report_query import QueryResult
from shared.schemas import plain

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
SHEET = "Data"


def chart_labels(result: QueryResult) -> list[str]:
    """One label per row: its dimension values joined by ' / ' ('Total' without any)."""
    if not result.dimensions:
        return ["Total" for _ in result.rows]
    return [
        " / ".join("-" if row[d] is None else str(row[d]) for d in result.dimensions)
        for row in result.rows
    ]


def _json_value(value: Any) -> Any:
    return plain(value) if isinstance(value, Decimal) else value


def to_json(result: QueryResult) -> dict[str, Any]:
    """The `ReportResult` shape, as JSON types (decimals as strings)."""
    rows = [{name: _json_value(value) for name, value in row.items()} for row in result.rows]
    return {
        "measures": result.measures,
        "dimensions": result.dimensions,
        "columns": result.columns,
        "date_from": result.date_from.isoformat(),
        "date_to": result.date_to.isoformat(),
        "rows": rows,
        "total_rows": result.total_rows,
        "chart": {
            "labels": chart_labels(result),
            "series": [
                {"name": measure, "data": [row[measure] for row in rows]}
                for measure in result.measures
            ],
        },
    }


def to_csv(result: QueryResult) -> bytes:
    """A header row, then one line per row (decimals plain, nulls empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(
            "" if row[c] is None else _json_value(row[c]) for c in result.columns
        )
    return out.getvalue().encode("utf-8")


def to_xlsx(result: QueryResult) -> bytes:
    """Sheet "Data": a header row and typed cells (numbers as numbers, dimension values and
    dates as text); a native chart beside it with one series per measure, its categories
    the dimension columns (several make a multi-level axis)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(SHEET)
    write_table(
        sheet,
        book.add_format({"bold": True}),
        result.columns,
        [[row[name] for name in result.columns] for row in result.rows],
    )
    if result.rows:
        _chart(book, sheet, result)
    book.close()
    return buffer.getvalue()


def write_table(sheet: Any, bold: Any, header: list[str], rows: list[list[Any]]) -> None:
    """A bold header row (columns at least 12 wide), then the rows below it."""
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, max(12, len(name) + 2))
    for index, row in enumerate(rows, start=1):
        for col, cell in enumerate(row):
            write_cell(sheet, index, col, cell)


def write_cell(sheet: Any, row: int, col: int, cell: Any, number_format: Any = None) -> None:
    """Numbers as numbers, anything else as text; nothing for None."""
    if cell is None:
        return
    if isinstance(cell, Decimal | int) and not isinstance(cell, bool):
        sheet.write_number(row, col, float(cell), number_format)
    else:
        sheet.write_string(row, col, str(cell))


def _chart(book: Any, sheet: Any, result: QueryResult) -> None:
    kind = "line" if result.time is not None else "column"
    chart = book.add_chart({"type": kind})
    last = len(result.rows)
    dims = len(result.dimensions)
    categories = (
        f"='{SHEET}'!${_col(0)}$2:${_col(dims - 1)}${last + 1}" if dims else None
    )
    for col in range(dims, dims + len(result.measures)):
        series: dict[str, Any] = {
            "name": f"='{SHEET}'!{xl_rowcol_to_cell(0, col, row_abs=True, col_abs=True)}",
            "values": f"='{SHEET}'!${_col(col)}$2:${_col(col)}${last + 1}",
        }
        if categories is not None:
            series["categories"] = categories
        if kind == "line":
            series["marker"] = {"type": "circle"}
        chart.add_series(series)
    chart.set_title({"name": ", ".join(result.measures)})
    chart.set_x_axis({"name": " / ".join(result.dimensions) or "total"})
    chart.set_size({"width": 720, "height": 400})
    chart.show_blanks_as("gap")
    sheet.insert_chart(1, len(result.columns) + 1, chart)


def _col(index: int) -> str:
    return str(xl_rowcol_to_cell(0, index)).rstrip("0123456789")
