"""Opening balances (期初库存, SAP movement type 561): the stock a firm holds when it starts.

The stock comes from an .xlsx (or .xls, .ods, .csv) sheet, one row per item, location,
lot (or serials) and quality state, with the quantity and optionally the cost per unit.
Headers are matched in Chinese or English (物料编码 / Item Code, 库位 / Location, 批号 /
Lot, 序列号 / Serial Number, 质量状态 / Quality State, 数量 / Quantity, 单价 / Unit Cost,
供应商 / Supplier, 供应商批号 / Supplier Lot, 日期码 / Date Code, 入库日期 / Receipt Date,
有效期 / Expiry Date); `GET /v1/opening-balances/template.xlsx` is a sheet to fill in.

Rules, checked for every row, every error reported with its row, column and reason:

* the item exists in the catalog; a lot-tracked item names a lot, an untracked one
  none; a serial-tracked item names one serial per unit (a cell may hold several,
  separated by commas or spaces; the quantity may then be left blank), each unit never
  seen before (a serial in stock, or one that left some way, is refused), each on one
  row only;
* the location exists and holds stock (active, physical, not a warehouse node);
* quantities are positive, costs zero or more (at most 6 decimals), dates are dates;
* a lot that does not exist yet is created from the row's lot details (supplier,
  supplier lot, date code, receipt date - default the posting day -, expiry date -
  default from the item's shelf life); rows naming the same new lot must not
  contradict each other, and details given for an existing lot must be the lot's;
  lot details on a row without a lot are refused;
* one row per bucket: two rows with the same item, location, lot and state are refused;
* the same file (by SHA-256) is not posted twice, unless the first was reversed.

A dry run (the default) changes nothing. A commit posts the whole file in one
transaction as one document (`OB-` and 8 digits): each row one line, one movement
`VIRTUAL/OPENING -> location` per line (per unit for serials) valued at the row's unit
cost (or the item's moving average) - or refuses the whole file (422
`import_rejected` with every error). Commits take the opening location's lock first, so
two uploads queue and the second sees the first's lots, serials and file. A posted
opening balance is reversed as a whole while its stock is still where it put it.
Events: `LotCreated` for each new lot, `MovementPosted` per movement, then
`OpeningBalancePosted` / `OpeningBalanceReversed` (the document and its lines).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogItem
from services.stock.db.models import (
    Location,
    Lot,
    MovementRow,
    OpeningBalance,
    OpeningBalanceLine,
)
from services.stock.db.queries import (
    document_ledgers,
    location_by_code,
    locations_by_codes,
    locations_by_ids,
    lots_by_ids,
    lots_by_numbers,
    serial_rows,
)
from services.stock.domain.model import (
    VIRTUAL_LOCATIONS,
    LocationType,
    Movement,
    QualityState,
    SerialStatus,
    expiry_date,
)
from services.stock.domain.posting import InsufficientStock
from services.stock.opening_schemas import (
    MAX_OPENING_ROWS,
    MAX_OPENING_SERIALS,
    OpeningBalanceLineOut,
    OpeningBalanceOut,
    OpeningBalanceSummary,
    OpeningImportResult,
    OpeningRowIn,
)
from services.stock.schemas import DocumentStatus
from services.stock.usecases.document_lines import (
    emit_movements,
    tracking_errors,
    unit_quantities,
)
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.posting import (
    DocumentReversed,
    InsufficientStockProblem,
    PostingContext,
    post_movements,
    reverse_document,
)
from services.stock.usecases.receipts import LotConflict, lot_out, movement_out
from services.stock.usecases.stock_count_sheets import (
    cell_quality_state,
    sheet_rejected,
    sheet_report,
)
from shared.db.dialects import dialect_insert
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, NotFound
from shared.http.pagination import PageParams
from shared.schemas import plain
from shared.spreadsheet import (
    HEADER_SCAN_ROWS,
    CellError,
    CellProblem,
    HeaderRow,
    HeaderTable,
    SheetColumn,
    cell_date,
    cell_decimal,
    cell_text,
    data_rows,
    find_header_row,
    folded_text,
    is_blank,
)
from shared.spreadsheet_files import SheetFile, SheetSpec, write_workbook

DOCUMENT_TYPE = "opening_balance"
OPENING = VIRTUAL_LOCATIONS[LocationType.OPENING]
#: How tracking messages name opening balances.
WHO_TAKES = "opening balances take"
#: Lots are looked up and created this many at a time (bound parameter limits).
LOT_CHUNK = 400
#: At most this many serials are listed in one cell's error.
SHOWN_SERIALS = 10

COLUMNS = (
    SheetColumn("item_code", ("物料编码", "物料代码", "物料号", "料号", "品号", "存货编码",
                "编码", "item", "item code", "item no", "part number", "part no", "pn",
                "p/n", "material", "sku"), ("物料编码", "Item Code")),
    SheetColumn("location_code", ("库位", "货位", "仓位", "储位", "库位编码", "库位代码",
                "location", "location code", "bin", "storage bin"), ("库位", "Location")),
    SheetColumn("lot_number", ("批号", "批次", "批次号", "lot", "lot number", "lot no",
                "batch", "batch number"), ("批号", "Lot")),
    SheetColumn("serial_numbers", ("序列号", "序列号码", "产品序列号", "sn", "s/n", "serial",
                "serials", "serial number", "serial numbers", "serial no"),
                ("序列号", "Serial Number")),
    SheetColumn("quality_state", ("质量状态", "库存状态", "状态", "quality", "quality state",
                "state", "status"), ("质量状态", "Quality State")),
    SheetColumn("quantity", ("数量", "库存数量", "期初数量", "结存数量", "在库数量", "现存量",
                "qty", "quantity", "on hand", "opening quantity", "opening qty"),
                ("数量", "Quantity")),
    SheetColumn("unit_cost", ("单价", "单位成本", "成本单价", "成本", "unit cost", "cost",
                "unit price", "price"), ("单价", "Unit Cost")),
    SheetColumn("supplier", ("供应商", "供应商名称", "supplier", "vendor"),
                ("供应商", "Supplier")),
    SheetColumn("supplier_lot", ("供应商批号", "厂商批号", "原厂批号", "supplier lot",
                "vendor lot", "manufacturer lot"), ("供应商批号", "Supplier Lot")),
    SheetColumn("date_code", ("日期码", "生产日期码", "d/c", "dc", "date code"),
                ("日期码", "Date Code")),
    SheetColumn("receipt_date", ("入库日期", "收货日期", "receipt date", "received",
                "received date", "receiving date"), ("入库日期", "Receipt Date")),
    SheetColumn("expiry_date", ("有效期", "有效期至", "失效日期", "过期日期", "expiry",
                "expiry date", "expiration date", "exp date", "best before"),
                ("有效期", "Expiry Date")),
)  # fmt: skip
TABLE = HeaderTable(COLUMNS)
#: A sheet names the item and location, and the quantity or the serials (or both).
REQUIRED = [
    frozenset({"item_code", "location_code", "quantity"}),
    frozenset({"item_code", "location_code", "serial_numbers"}),
]
LOT_DETAILS = ("supplier", "supplier_lot", "date_code", "receipt_date", "expiry_date")
_SERIAL_SEPARATORS = re.compile(r"[\s,;，；、]+")


def _label(name: str) -> str:
    return name.replace("_", " ")


# --- reading the sheet (pure) ----------------------------------------------------------------


@dataclass(slots=True)
class OpeningSheet:
    """An uploaded sheet read: its header, the rows it holds, every problem so far."""

    file: SheetFile
    header: HeaderRow
    sha256: str
    file_name: str
    rows: int = 0
    #: The rows that read as rows, and the sheet row each came from.
    lines: list[OpeningRowIn] = field(default_factory=list)
    line_rows: list[int] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)

    def at(self, row: int | None, name: str | None, reason: str) -> CellProblem:
        column = self.header.column_of(name) if name else None
        return CellProblem(row, column, name, reason)


def _cell(name: str, raw: object) -> object:
    """A cell as its column's field wants it; CellError if it cannot be."""
    if name in ("quantity", "unit_cost"):
        return cell_decimal(raw)
    if name == "quality_state":
        return cell_quality_state(raw)
    if name in ("receipt_date", "expiry_date"):
        return cell_date(raw)
    if name == "serial_numbers":
        return [s for s in _SERIAL_SEPARATORS.split(folded_text(raw)) if s]
    if name == "supplier":
        return cell_text(raw)
    return folded_text(raw)


def _read_row(sheet: OpeningSheet, row: int, cells: Sequence[object]) -> OpeningRowIn | None:
    """One data row as an `OpeningRowIn`, or None with its problems on the sheet."""
    payload: dict[str, Any] = {}
    unreadable: set[str] = set()
    for match in sheet.header.matches:
        raw = cells[match.column] if match.column < len(cells) else None
        if is_blank(raw):
            continue
        try:
            payload[match.field] = _cell(match.field, raw)
        except CellError as exc:
            sheet.problems.append(sheet.at(row, match.field, str(exc)))
            unreadable.add(match.field)
    serials = payload.get("serial_numbers")
    if "quantity" not in payload and "quantity" not in unreadable and serials:
        payload["quantity"] = Decimal(len(serials))
    try:
        line = OpeningRowIn.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            name = str(loc[0]) if loc else "item_code"
            if name in unreadable:
                continue
            reason = "required" if error["type"] == "missing" else error["msg"]
            if name == "serial_numbers" and len(loc) > 1 and isinstance(loc[1], int):
                reason = f"serial {payload[name][loc[1]]!r}: {reason}"
            sheet.problems.append(sheet.at(row, name, reason))
        return None
    return None if unreadable else line


def read_opening_sheet(data: bytes, file: SheetFile, file_name: str) -> OpeningSheet:
    """The rows of an uploaded opening-balance sheet and every cell that cannot be one."""
    header = find_header_row(file.rows, TABLE, REQUIRED)
    sheet = OpeningSheet(file, header, hashlib.sha256(data).hexdigest(), file_name)
    if header.missing:
        where = "" if header.matches else f" in the first {HEADER_SCAN_ROWS} rows"
        reason = f"no column found{where} for: {', '.join(header.missing)}"
        sheet.problems.append(CellProblem(header.row, None, None, reason))
        return sheet
    for row, cells in data_rows(file.rows, header):
        sheet.rows += 1
        line = _read_row(sheet, row, cells)
        if line is not None:
            sheet.lines.append(line)
            sheet.line_rows.append(row)
    serials = sum(len(line.serial_numbers or ()) for line in sheet.lines)
    too_many = ""
    if not sheet.rows:
        sheet.problems.append(CellProblem(header.row, None, None, "no data rows below the header"))
    elif sheet.rows > MAX_OPENING_ROWS:
        too_many = f"more than {MAX_OPENING_ROWS} rows; split the file"
    elif serials > MAX_OPENING_SERIALS:
        too_many = f"more than {MAX_OPENING_SERIALS} serials; split the file"
    if too_many:  # refused as a whole: its rows are not checked any further
        sheet.problems.append(CellProblem(None, None, None, too_many))
        sheet.lines.clear()
        sheet.line_rows.clear()
    return sheet


# --- checking the rows against the catalog and the stock -------------------------------------


LotKey = tuple[str, str]  # item code, lot number


@dataclass(slots=True)
class Checked:
    """A sheet checked against the catalog and the database: what a commit would post."""

    sheet: OpeningSheet
    items: Mapping[str, CatalogItem | None]
    locations: dict[str, Location]
    #: Lots the rows name that exist.
    lots: dict[LotKey, Lot]
    #: Lots to create: their details as the rows give them (first row that gives each).
    new_lots: dict[LotKey, dict[str, Any]]
    #: Indexes (into `sheet.lines`) of rows that passed the tracking rules.
    tracked: set[int]

    def problem(self, index: int, name: str | None, reason: str) -> None:
        self.sheet.problems.append(self.sheet.at(self.sheet.line_rows[index], name, reason))


def _tracking(checked: Checked) -> None:
    """The catalog's item exists; lots and serials as its tracking wants them."""
    for index, line in enumerate(checked.sheet.lines):
        errors = tracking_errors(
            index, line, checked.items.get(line.item_code), who_takes=WHO_TAKES
        )
        for error in errors:
            checked.problem(index, error.field.rsplit(".", 1)[-1], error.message)
        if not errors:
            checked.tracked.add(index)


def _places(checked: Checked) -> None:
    for index, line in enumerate(checked.sheet.lines):
        error = stock_location_error(
            "location_code", line.location_code, checked.locations.get(line.location_code)
        )
        if error is not None:
            checked.problem(index, "location_code", error.message)


def _given(line: OpeningRowIn, name: str) -> Any:
    value = getattr(line, name)
    return None if value in ("", None) else value


def _show(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else repr(value)


def _lot_details(checked: Checked, today: date) -> None:
    """Dates in order; lot details only with a lot; an existing lot's details are its own;
    rows naming one new lot agree (the first row giving a detail sets it)."""
    for index, line in enumerate(checked.sheet.lines):
        if line.receipt_date is not None and line.receipt_date > today:
            checked.problem(index, "receipt_date", "lies in the future")
        if line.receipt_date and line.expiry_date and line.expiry_date < line.receipt_date:
            checked.problem(index, "expiry_date", "lies before the receipt date")
        given = [name for name in LOT_DETAILS if _given(line, name) is not None]
        if line.lot_number is None:
            if given:
                checked.problem(
                    index,
                    given[0],
                    f"{', '.join(map(_label, given))}: lot details describe a lot, and this "
                    "row names none",
                )
            continue
        if index not in checked.tracked:
            continue
        key = (line.item_code, line.lot_number)
        lot = checked.lots.get(key)
        if lot is not None:
            for name in given:
                have = getattr(lot, name)
                if _given(line, name) != have:
                    what = (
                        f"with {_label(name)} {_show(have)}" if have else f"without {_label(name)}"
                    )
                    checked.problem(
                        index, name, f"lot {lot.lot_number} of {lot.item_code} exists {what}"
                    )
            continue
        spec = checked.new_lots.setdefault(key, {})
        row = checked.sheet.line_rows[index]
        for name in given:
            value = _given(line, name)
            first = spec.setdefault(name, (value, row))
            if first[0] != value:
                checked.problem(
                    index,
                    name,
                    f"new lot {line.lot_number} of {line.item_code} has {_label(name)} "
                    f"{_show(first[0])} on row {first[1]}",
                )


def _duplicates(checked: Checked) -> None:
    """One row per bucket; a serial on one row only."""
    buckets: dict[tuple[str, str, str, str], int] = {}
    serials: dict[tuple[str, str], int] = {}
    for index, line in enumerate(checked.sheet.lines):
        row = checked.sheet.line_rows[index]
        if line.serial_numbers:
            twice = []
            for serial in dict.fromkeys(line.serial_numbers):
                first = serials.setdefault((line.item_code, serial), row)
                if first != row:
                    twice.append(f"{serial} (row {first})")
            if twice:
                checked.problem(index, "serial_numbers", f"also on another row: {_few(twice)}")
            continue
        key = (line.item_code, line.location_code, line.lot_number or "", line.quality_state)
        first = buckets.setdefault(key, row)
        if first != row:
            checked.problem(
                index,
                "item_code",
                f"the same item, location, lot and quality state as row {first}: put them "
                "on one row",
            )


def _few(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN_SERIALS])
    more = len(names) - SHOWN_SERIALS
    return f"{shown} and {more} more" if more > 0 else shown


async def _serials_seen(session: AsyncSession, checked: Checked) -> None:
    """Every serial is new to the ledger (never in stock, never gone some way), or was
    withdrawn by the reversal of an earlier opening balance."""
    wanted = [
        (line.item_code, serial)
        for index, line in enumerate(checked.sheet.lines)
        if index in checked.tracked
        for serial in line.serial_numbers or ()
    ]
    known = await serial_rows(session, wanted)
    if not known:
        return
    places = await locations_by_ids(
        session, [row.location_id for row in known.values() if row.location_id is not None]
    )
    for index, line in enumerate(checked.sheet.lines):
        in_stock, gone = [], []
        for serial in dict.fromkeys(line.serial_numbers or ()):
            row = known.get((line.item_code, serial))
            if row is None or row.status == SerialStatus.WITHDRAWN.value:
                continue  # new, or loaded by an opening balance that was reversed
            if row.status == SerialStatus.IN_STOCK.value and row.location_id is not None:
                in_stock.append(f"{serial} (at {places[row.location_id].code})")
            else:
                gone.append(f"{serial} ({row.status})")
        if in_stock:
            checked.problem(index, "serial_numbers", f"already in stock: {_few(in_stock)}")
        if gone:
            checked.problem(
                index,
                "serial_numbers",
                f"known to the ledger, an opening balance brings in only units never seen: "
                f"{_few(gone)}",
            )


async def _lots_named(session: AsyncSession, keys: Iterable[LotKey]) -> dict[LotKey, Lot]:
    wanted = sorted(set(keys))
    found: dict[LotKey, Lot] = {}
    for start in range(0, len(wanted), LOT_CHUNK):
        found.update(await lots_by_numbers(session, wanted[start : start + LOT_CHUNK]))
    return found


async def posted_with_file(session: AsyncSession, sha256: str) -> OpeningBalance | None:
    """The posted (not reversed) opening balance of the file with this SHA-256, if any."""
    return await session.scalar(
        select(OpeningBalance)
        .where(
            OpeningBalance.file_sha256 == sha256,
            OpeningBalance.status == DocumentStatus.POSTED.value,
        )
        .order_by(OpeningBalance.id)
        .limit(1)
    )


async def check_sheet(
    session: AsyncSession, sheet: OpeningSheet, items: Mapping[str, CatalogItem | None]
) -> Checked:
    """Every rule against the catalog's `items` and the database; problems go on `sheet`."""
    lines = sheet.lines
    checked = Checked(
        sheet=sheet,
        items=items,
        locations=await locations_by_codes(session, {line.location_code for line in lines}),
        lots={},
        new_lots={},
        tracked=set(),
    )
    _tracking(checked)
    _places(checked)
    checked.lots = await _lots_named(
        session,
        (
            (line.item_code, line.lot_number)
            for index, line in enumerate(lines)
            if line.lot_number is not None and index in checked.tracked
        ),
    )
    _lot_details(checked, utcnow().date())
    _duplicates(checked)
    await _serials_seen(session, checked)
    earlier = await posted_with_file(session, sheet.sha256)
    if earlier is not None:
        sheet.problems.append(
            CellProblem(
                None,
                None,
                None,
                f"this file was already posted as {earlier.number}; reverse that one to post "
                "it again",
            )
        )
    return checked


# --- the result of an upload -----------------------------------------------------------------


def import_result(
    checked: Checked, *, dry_run: bool, document: OpeningBalanceOut | None
) -> OpeningImportResult:
    sheet = checked.sheet
    fields, problems = sheet_report(
        sheet.file, sheet.header, sheet.problems, rows=sheet.rows, dry_run=dry_run
    )
    bad = {p.row for p in problems}
    good = [line for line, row in zip(sheet.lines, sheet.line_rows, strict=True) if row not in bad]
    return OpeningImportResult(
        **fields,
        valid=len(good),
        items=len({line.item_code for line in good}),
        serials=sum(len(line.serial_numbers or ()) for line in good),
        new_lots=[f"{item}/{lot}" for item, lot in sorted(checked.new_lots)],
        opening_balance=document,
    )


async def preview(
    session: AsyncSession, sheet: OpeningSheet, items: Mapping[str, CatalogItem | None]
) -> OpeningImportResult:
    """Dry run: the header match and every error of the sheet; nothing is written."""
    return import_result(await check_sheet(session, sheet, items), dry_run=True, document=None)


# --- posting ---------------------------------------------------------------------------------


async def _opening_location(session: AsyncSession) -> Location:
    """VIRTUAL/OPENING, locked: opening-balance commits queue behind each other.

    `FOR NO KEY UPDATE` on PostgreSQL, so postings that only reference the location
    (foreign keys take KEY SHARE) are not held up; SQLite's write lock covers it there.
    """
    location = await session.scalar(
        select(Location).where(Location.code == OPENING).with_for_update(key_share=True)
    )
    if location is None:  # pragma: no cover - migration 0014 creates it
        raise RuntimeError(f"{OPENING} is missing (run the stock migrations)")
    return location


def _new_lot_values(checked: Checked, key: LotKey, now: datetime) -> dict[str, Any]:
    """The row's details of a new lot, and the defaults for those the rows leave out."""
    spec = {name: value for name, (value, _) in checked.new_lots[key].items()}
    item = checked.items[key[0]]
    assert item is not None
    received = spec.get("receipt_date") or now.date()
    return {
        "item_code": key[0],
        "lot_number": key[1],
        "supplier": spec.get("supplier", ""),
        "supplier_lot": spec.get("supplier_lot", ""),
        "date_code": spec.get("date_code", ""),
        "purchase_order": "",
        "receipt_date": received,
        "expiry_date": spec.get("expiry_date") or expiry_date(received, item.shelf_life_days),
        "created_at": now,
        "work_order": "",
    }


async def _create_lots(
    session: AsyncSession, checked: Checked, now: datetime
) -> tuple[dict[LotKey, Lot], list[Lot]]:
    """Create the new lots race-free (INSERT .. ON CONFLICT DO NOTHING, a chunk at a time):
    every lot the rows name, and those this call created. A lot someone else created
    meanwhile with other details is a 409 `lot_conflict`."""
    upsert = dialect_insert(session)
    keys = sorted(checked.new_lots)
    values = {key: _new_lot_values(checked, key, now) for key in keys}
    created: set[LotKey] = set()
    for start in range(0, len(keys), LOT_CHUNK):
        chunk = keys[start : start + LOT_CHUNK]
        rows = await session.execute(
            upsert(Lot)
            .values([values[key] for key in chunk])
            .on_conflict_do_nothing(index_elements=["item_code", "lot_number"])
            .returning(Lot.item_code, Lot.lot_number)
        )
        created.update((item, lot) for item, lot in rows)
    lots = {**checked.lots, **await _lots_named(session, keys)}
    for key in keys:
        if key in created:
            continue
        lot, wanted = lots[key], values[key]
        differ = [
            n for n in LOT_DETAILS if n in checked.new_lots[key] and getattr(lot, n) != wanted[n]
        ]
        if differ:
            row = checked.new_lots[key][differ[0]][1]
            raise LotConflict(
                f"lot {key[1]} of {key[0]} was created meanwhile with another "
                f"{_label(differ[0])} ({_show(getattr(lot, differ[0]))}); the sheet's row "
                f"{row} says {_show(wanted[differ[0]])}",
                errors=[
                    FieldError(f"file.rows.{row}.{differ[0]}", "differs from the lot", "conflict")
                ],
            )
    return lots, sorted((lots[key] for key in created), key=lambda lot: lot.id)


async def post_opening_balance(
    uow: UnitOfWork,
    sheet: OpeningSheet,
    items: Mapping[str, CatalogItem | None],
    *,
    note: str,
) -> OpeningImportResult:
    """Post every row of the sheet as one opening balance, or nothing (422 with every error)."""
    async with uow:
        session = uow.session
        opening = await _opening_location(session)
        checked = await check_sheet(session, sheet, items)
        if sheet.problems:
            raise sheet_rejected(
                import_result(checked, dry_run=False, document=None), "nothing was posted"
            )
        now = utcnow()
        document = OpeningBalance(
            number=f"tmp-{uuid.uuid4().hex[:24]}",
            status=DocumentStatus.POSTED.value,
            file_name=sheet.file_name[:255],
            file_sha256=sheet.sha256,
            note=note,
            posted_at=now,
            posted_by=uow.actor,
        )
        session.add(document)
        await session.flush()
        document.number = f"OB-{document.id:08d}"
        lots, created = await _create_lots(session, checked, now)
        lines = [
            OpeningBalanceLine(
                document_id=document.id,
                line_no=index + 1,
                sheet_row=row,
                item_code=line.item_code,
                location_id=checked.locations[line.location_code].id,
                lot_id=lots[(line.item_code, line.lot_number)].id if line.lot_number else None,
                quality_state=line.quality_state.value,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                serial_numbers=list(line.serial_numbers or ()),
            )
            for index, (line, row) in enumerate(zip(sheet.lines, sheet.line_rows, strict=True))
        ]
        await _insert_lines(session, lines)
        movements = [
            Movement(
                item_code=line.item_code,
                lot_number=line.lot_number or "",
                quantity=quantity,
                source_location=OPENING,
                target_location=line.location_code,
                source_state=line.quality_state,
                target_state=line.quality_state,
                unit_cost=line.unit_cost,
                serial_number=serial,
            )
            for line in sheet.lines
            for serial, quantity in unit_quantities(line.quantity, line.serial_numbers)
        ]
        ledger = await post_movements(
            uow,
            PostingContext(
                document_type=DOCUMENT_TYPE,
                document_id=document.id,
                item_types={
                    code: item.item_type for code, item in items.items() if item is not None
                },
                locations={OPENING: opening, **checked.locations},
                lot_ids={key: lot.id for key, lot in lots.items()},
                posted_at=now,
            ),
            movements,
        )
        places = {loc.id: loc for loc in (opening, *checked.locations.values())}
        out = _out(document, lines, ledger, places, {lot.id: lot for lot in lots.values()})
        payload = _event_payload(out)
        await uow.audit("post", DOCUMENT_TYPE, str(out.id), after=payload)
        for lot in created:
            uow.emit("LotCreated", "lot", str(lot.id), lot_out(lot).model_dump(mode="json"))
        emit_movements(uow, out.movements)
        uow.emit("OpeningBalancePosted", DOCUMENT_TYPE, str(out.id), payload)
        await uow.commit()
        return import_result(checked, dry_run=False, document=out)


_LINE_COLUMNS = (
    "document_id", "line_no", "sheet_row", "item_code", "location_id", "lot_id",
    "quality_state", "quantity", "unit_cost", "serial_numbers",
)  # fmt: skip


async def _insert_lines(session: AsyncSession, lines: Sequence[OpeningBalanceLine]) -> None:
    """The lines in one bulk INSERT: a file's thousands of rows without the ORM's per-object
    bookkeeping (nothing in this transaction reads them back)."""
    await session.execute(
        insert(OpeningBalanceLine),
        [{name: getattr(line, name) for name in _LINE_COLUMNS} for line in lines],
    )


def _event_payload(out: OpeningBalanceOut) -> dict[str, Any]:
    """The document and its lines (its movements go out as `MovementPosted` events)."""
    return out.model_dump(mode="json", exclude={"movements"})


# --- reversal --------------------------------------------------------------------------------


def _missing(document_id: int) -> NotFound:
    return NotFound(f"opening balance {document_id} does not exist")


async def document_item_codes(session: AsyncSession, document_id: int) -> list[str]:
    """The distinct items an opening balance moved (for the catalog look-up before reversing)."""
    if await session.get(OpeningBalance, document_id) is None:
        raise _missing(document_id)
    codes = await session.scalars(
        select(OpeningBalanceLine.item_code)
        .where(OpeningBalanceLine.document_id == document_id)
        .distinct()
        .order_by(OpeningBalanceLine.item_code)
    )
    return list(codes)


def _short_lines(
    exc: InsufficientStockProblem, document: OpeningBalanceOut
) -> InsufficientStockProblem:
    """The 409 shortage, also naming the lines (and sheet rows) whose stock moved on."""
    prefix = f"opening balance {document.number} cannot be reversed, the stock moved on: "
    cause = exc.__cause__
    if not isinstance(cause, InsufficientStock):
        return InsufficientStockProblem(prefix + exc.detail, extra=dict(exc.extra))
    key = cause.key
    short = [
        FieldError(
            f"lines.{line.line_no - 1}.quantity",
            f"line {line.line_no} (row {line.row}) put {plain(line.quantity)} there; "
            f"{plain(cause.available)} is there now",
            "insufficient_stock",
        )
        for line in document.lines
        if (line.item_code, line.location_code, line.lot_number or "", line.quality_state)
        == (key.item_code, key.location_code, key.lot_number, key.quality_state)
        and (not key.serial_number or key.serial_number in line.serial_numbers)
    ]
    return InsufficientStockProblem(prefix + exc.detail, errors=short, extra=dict(exc.extra))


async def reverse_opening_balance(
    uow: UnitOfWork, document_id: int, items: Mapping[str, CatalogItem | None]
) -> OpeningBalanceOut:
    """Take a posted opening balance back as a whole while its stock is where it put it."""
    async with uow:
        session = uow.session
        document = await session.get(
            OpeningBalance, document_id, with_for_update=True, populate_existing=True
        )
        if document is None:
            raise _missing(document_id)
        if document.status == DocumentStatus.REVERSED.value:
            raise DocumentReversed(
                f"opening balance {document.number} was reversed at "
                f"{document.reversed_at.isoformat() if document.reversed_at else '?'} "
                f"by {document.reversed_by}"
            )
        before = (await _load_many(session, [document]))[0]
        unknown = sorted({ln.item_code for ln in before.lines if items.get(ln.item_code) is None})
        if unknown:
            raise Conflict(f"the catalog no longer knows item(s) {', '.join(unknown)}")
        now = utcnow()
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        try:
            await reverse_document(uow, DOCUMENT_TYPE, document.id, item_types, now)
        except InsufficientStockProblem as exc:
            raise _short_lines(exc, before) from exc.__cause__
        document.status = DocumentStatus.REVERSED.value
        document.reversed_at = now
        document.reversed_by = uow.actor
        await session.flush()
        out = (await _load_many(session, [document]))[0]
        payload = _event_payload(out)
        await uow.audit(
            "reverse", DOCUMENT_TYPE, str(out.id), before=_event_payload(before), after=payload
        )
        emit_movements(uow, (m for m in out.movements if m.reversal_of_id is not None))
        uow.emit("OpeningBalanceReversed", DOCUMENT_TYPE, str(out.id), payload)
        await uow.commit()
        return out


# --- reading ---------------------------------------------------------------------------------


def _summary(document: OpeningBalance, line_count: int, serial_count: int) -> OpeningBalanceSummary:
    return OpeningBalanceSummary(
        id=document.id,
        number=document.number,
        status=DocumentStatus(document.status),
        file_name=document.file_name,
        file_sha256=document.file_sha256,
        note=document.note,
        line_count=line_count,
        serial_count=serial_count,
        posted_at=document.posted_at,
        posted_by=document.posted_by,
        reversed_at=document.reversed_at,
        reversed_by=document.reversed_by,
    )


def _out(
    document: OpeningBalance,
    lines: Sequence[OpeningBalanceLine],
    ledger: Sequence[MovementRow],
    locations: Mapping[int, Location],
    lots: Mapping[int, Lot],
) -> OpeningBalanceOut:
    ordered = sorted(lines, key=lambda line: line.line_no)
    return OpeningBalanceOut(
        **_summary(
            document, len(ordered), sum(len(line.serial_numbers) for line in ordered)
        ).model_dump(),
        lines=[
            OpeningBalanceLineOut(
                line_no=line.line_no,
                row=line.sheet_row,
                item_code=line.item_code,
                location_code=locations[line.location_id].code,
                lot_number=lots[line.lot_id].lot_number if line.lot_id is not None else None,
                serial_numbers=list(line.serial_numbers),
                quality_state=QualityState(line.quality_state),
                quantity=line.quantity,
                unit_cost=line.unit_cost,
            )
            for line in ordered
        ],
        movements=[movement_out(row, dict(locations), dict(lots)) for row in ledger],
    )


async def _load_many(
    session: AsyncSession, documents: Sequence[OpeningBalance]
) -> list[OpeningBalanceOut]:
    """Documents with their lines and movements, in a fixed number of queries."""
    if not documents:
        return []
    ids = [d.id for d in documents]
    lines: dict[int, list[OpeningBalanceLine]] = {i: [] for i in ids}
    for line in await session.scalars(
        select(OpeningBalanceLine)
        .where(OpeningBalanceLine.document_id.in_(ids))
        .order_by(OpeningBalanceLine.document_id, OpeningBalanceLine.line_no)
    ):
        lines[line.document_id].append(line)
    ledger = await document_ledgers(session, [DOCUMENT_TYPE], ids)
    every_line = [line for group in lines.values() for line in group]
    every_row = [row for group in ledger.values() for row in group]
    locations = await locations_by_ids(
        session,
        [line.location_id for line in every_line]
        + [r.from_location_id for r in every_row]
        + [r.to_location_id for r in every_row],
    )
    lots = await lots_by_ids(
        session, [line.lot_id for line in every_line] + [row.lot_id for row in every_row]
    )
    return [_out(d, lines[d.id], ledger[d.id], locations, lots) for d in documents]


async def get_opening_balance(session: AsyncSession, document_id: int) -> OpeningBalanceOut:
    document = await session.get(OpeningBalance, document_id)
    if document is None:
        raise _missing(document_id)
    return (await _load_many(session, [document]))[0]


async def list_opening_balances(
    session: AsyncSession,
    page: PageParams,
    *,
    status: DocumentStatus | None,
    item_code: str | None,
    location_code: str | None,
) -> tuple[list[OpeningBalanceSummary], str | None]:
    """Opening balances in posting order (no lines), by status, an item or a location on
    any line; line and serial counts come from two grouped queries per page."""
    query = where_equal(
        select(OpeningBalance), {OpeningBalance.status: status.value if status else None}
    )
    line_filter = select(OpeningBalanceLine.document_id)
    if item_code is not None:
        line_filter = line_filter.where(OpeningBalanceLine.item_code == item_code)
    if location_code is not None:
        location = await location_by_code(session, location_code)
        line_filter = line_filter.where(
            OpeningBalanceLine.location_id == (location.id if location else -1)
        )
    if item_code is not None or location_code is not None:
        query = query.where(OpeningBalance.id.in_(line_filter))
    rows, cursor = await page_by_id(session, query, OpeningBalance.id, page)
    ids = [row.id for row in rows]
    line_counts: dict[int, int] = {}
    serial_counts: dict[int, int] = {}
    if ids:
        line_counts = {
            document_id: int(n)
            for document_id, n in await session.execute(
                select(OpeningBalanceLine.document_id, func.count())
                .where(OpeningBalanceLine.document_id.in_(ids))
                .group_by(OpeningBalanceLine.document_id)
            )
        }
        serial_counts = {
            document_id: int(n)
            for document_id, n in await session.execute(
                select(MovementRow.document_id, func.count())
                .where(
                    MovementRow.document_type == DOCUMENT_TYPE,
                    MovementRow.document_id.in_(ids),
                    MovementRow.serial_number.is_not(None),
                    MovementRow.reversal_of_id.is_(None),
                )
                .group_by(MovementRow.document_id)
            )
        }
    summaries = [
        _summary(row, line_counts.get(row.id, 0), serial_counts.get(row.id, 0)) for row in rows
    ]
    return summaries, cursor


# --- the template ----------------------------------------------------------------------------

_EXAMPLES: list[dict[str, object]] = [
    {"item_code": "R-0402-10K", "location_code": "WH1/RAW/A-01", "lot_number": "L240601",
     "quality_state": "合格", "quantity": Decimal(20000), "unit_cost": Decimal("0.0023"),
     "supplier": "Yageo", "supplier_lot": "YG-2406-01", "date_code": "2422",
     "receipt_date": date(2024, 6, 1), "expiry_date": date(2026, 6, 1)},
    {"item_code": "R-0402-10K", "location_code": "WH1/RAW/A-01", "lot_number": "L240601",
     "quality_state": "不良", "quantity": Decimal(150), "unit_cost": Decimal("0.0023")},
    {"item_code": "SCREW-M3", "location_code": "WH1/RAW/B-02", "quality_state": "合格",
     "quantity": Decimal(5000)},
    {"item_code": "SPK-1", "location_code": "WH1/FG/01", "serial_numbers": "SPK2406001, SPK2406002",
     "quality_state": "合格", "unit_cost": Decimal("85.5")},
]  # fmt: skip
_NOTES: dict[str, str] = {
    "item_code": "Required. A catalog item.",
    "location_code": "Required. A physical location that holds stock (not a warehouse node).",
    "lot_number": "Lot-tracked items: required; untracked: leave blank; serial-tracked: "
    "optional. A lot that does not exist yet is created.",
    "serial_numbers": "Serial-tracked items: one per unit, several in one cell separated by "
    "commas or spaces (or one row each). Units never seen before only.",
    "quality_state": "合格 qualified (blank), 不良 defective, 待检 pending inspection.",
    "quantity": "Required (serial-tracked items: may be blank, the number of serials). "
    "Greater than 0, at most 6 decimals.",
    "unit_cost": "Optional cost per stock unit (0 or more, at most 6 decimals); blank: the "
    "item's moving average.",
    "supplier": "New lots only (optional).",
    "supplier_lot": "New lots only (optional).",
    "date_code": "New lots only (optional).",
    "receipt_date": "New lots only: 2024-06-01; blank: the posting day.",
    "expiry_date": "New lots only: 2026-06-01; blank: from the item's shelf life.",
}

_RULES = (
    "One row per item, location, lot and quality state; a serial on one row only.",
    "A dry run (the default) reports every bad cell; a commit posts all rows or none.",
)


def template() -> bytes:
    """The sheet to fill in: bilingual headers and example rows, then a sheet of notes."""
    headers = [" ".join(column.template) for column in COLUMNS]
    rows = [[example.get(column.field) for column in COLUMNS] for example in _EXAMPLES]
    notes = SheetSpec(
        "说明 Notes",
        ["列 Column", "字段 Field", "说明 Description"],
        [
            [header, column.field, _NOTES[column.field]]
            for column, header in zip(COLUMNS, headers, strict=True)
        ]
        + [["", "", line] for line in _RULES],
        widths=(28, 18, 90),
    )
    return write_workbook([SheetSpec("期初库存 Opening", headers, rows), notes])
