"""Spreadsheet files, for every service: reading uploads (.xlsx/.xls/.ods by calamine, .csv in
UTF-8 or GBK) into rows of cells, and writing .xlsx workbooks that read back the same.

The rows go to `shared.spreadsheet` for header matching and cell values. The problems a
file can cause are here too: `unreadable_file` and `payload_too_large`, and
`import_rejected` for a commit that found errors in the file (nothing was written).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from python_calamine import CalamineWorkbook

from shared.errors import InvalidInput, ProblemError
from shared.spreadsheet import EXCEL_DIGITS, column_letter

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FileType = Literal["xlsx", "xls", "ods", "csv"]
#: Uploads larger than this are refused before they are parsed.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: Data rows beyond this are refused (the benchmark imports 20,000).
MAX_ROWS = 100_000


class UnreadableFile(InvalidInput):
    code = "unreadable_file"
    title = "The file is not a spreadsheet this service can read"


class ImportRejected(InvalidInput):
    """A commit found errors in the file: nothing was written; the problem lists them all."""

    code = "import_rejected"
    title = "The file has errors; nothing was imported"


class FileTooLarge(ProblemError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


@dataclass(frozen=True, slots=True)
class SheetFile:
    file_type: FileType
    sheet: str | None
    rows: list[list[object]]


def _sniff(data: bytes, filename: str | None) -> FileType:
    name = (filename or "").lower()
    if data.startswith(b"PK\x03\x04"):
        return "ods" if b"opendocument.spreadsheet" in data[:200] else "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise UnreadableFile(f"{filename} is not a valid {name.rsplit('.', 1)[-1]} file")
    return "csv"


def read_sheet(data: bytes, filename: str | None) -> SheetFile:
    """The first sheet's rows (row 1 first, column A first) of an upload; 422 if unreadable."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileTooLarge(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    if not data:
        raise UnreadableFile("the file is empty")
    file_type = _sniff(data, filename)
    if file_type == "csv":
        rows = _read_csv(data)
        sheet = None
    else:
        sheet, rows = _read_workbook(data)
    while rows and all(cell is None or cell == "" for cell in rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS + 10:
        raise UnreadableFile(f"the sheet has more than {MAX_ROWS} rows; split the file")
    return SheetFile(file_type, sheet, rows)


def _read_workbook(data: bytes) -> tuple[str, list[list[object]]]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise UnreadableFile("the workbook has no sheet")
        sheet = workbook.get_sheet_by_index(0)
        rows: list[list[object]] = [list(row) for row in sheet.to_python(skip_empty_area=False)]
    except ProblemError:
        raise
    except Exception as exc:  # calamine raises several types for damaged files
        raise UnreadableFile(f"the workbook cannot be read: {exc}") from None
    return str(sheet.name), rows


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GBK/GB18030 as Chinese Excel saves CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("the CSV file is neither UTF-8 nor GBK text")


def _read_csv(data: bytes) -> list[list[object]]:
    text = _decode(data)
    if "\x00" in text:
        raise UnreadableFile("the file is binary, not CSV text")
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as exc:
        raise UnreadableFile(f"the CSV file cannot be read: {exc}") from None


# --- writing ---------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def excel_value(value: object) -> object:
    """A value for a cell: decimals as numbers when Excel keeps them exactly, else text."""
    if isinstance(value, Decimal):
        _, digits, exponent = value.normalize().as_tuple()
        if len(digits) <= EXCEL_DIGITS and isinstance(exponent, int):
            return value
        return format(value.normalize(), "f")
    return value


def _cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    """A value as written; text that looks like a formula stays text (no injection)."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return excel_value(value)


@dataclass(frozen=True, slots=True)
class SheetSpec:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    widths: Sequence[int] = ()


def _header_cells(sheet: WriteOnlyWorksheet, header: Sequence[str]) -> list[WriteOnlyCell]:
    cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cells.append(cell)
    return cells


def write_workbook(sheets: Sequence[SheetSpec]) -> bytes:
    """An .xlsx written in openpyxl's write-only (streaming) mode; row 1 is the header."""
    workbook = Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title)
        sheet.freeze_panes = "A2"
        for index, header in enumerate(spec.header):
            width = spec.widths[index] if index < len(spec.widths) else _width(header)
            sheet.column_dimensions[column_letter(index)].width = width
        sheet.append(_header_cells(sheet, spec.header))
        for row in spec.rows:
            sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _width(header: str) -> int:
    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in header)
    return max(10, min(40, wide + 4))
