"""Purchase receipts: items arrive from a supplier into one location, pending inspection.

A receipt has lines (`lines`), or one line given by the one-line fields at the top of
the request (`item_code`, `quantity`, `lot_number`, ...), the form receipts had first.
Each line is an item with a quantity (in the item's stock unit, or converted from the
supplier's unit by the catalog's rules), its lot (created on posting, recording supplier
lot, date code, purchase order and expiry) or its units, and its price. The receipt posts
whole or not at all, every bad field named (`body.lines.N.<field>`, or `body.<field>` in
the one-line form).

A receipt can be saved as a draft (`"draft": true`): items, tracking, unit conversions,
the location and lots that exist already are checked then, but lots are created and the
stock received only when the draft is posted (`usecases/drafts.py`). The draft keeps the
request as the client sent it, so posting converts quantities again.

A posted receipt can be reversed as a whole while what it received is still where it put
it, pending inspection: the stock (serial-tracked units too) leaves to the supplier again
at the value it came in at; reversal appends opposite movements, it never edits the ledger.

Under a closed approval gate (`purchase_receipt`) posting a receipt keeps it a draft that
waits for workflow's decision (`usecases/document_approvals.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Location, Lot, MovementRow, Receipt, ReceiptLine
from services.stock.db.queries import (
    document_ledgers,
    location_by_code,
    locations_by_codes,
    locations_by_ids,
    lot_for_update_or_create,
    lots_by_ids,
    lots_by_numbers,
)
from services.stock.domain.model import (
    VIRTUAL_LOCATIONS,
    LocationType,
    Movement,
    QualityState,
    References,
    Tracking,
    expiry_date,
)
from services.stock.schemas import (
    ApprovalDecision,
    ApprovalState,
    DocumentStatus,
    GatedDocument,
    LotOut,
    MovementOut,
    ReceiptCreate,
    ReceiptLineIn,
    ReceiptLineOut,
    ReceiptOut,
)
from services.stock.usecases import document_approvals as approvals
from services.stock.usecases import drafts
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    catalog_items,
    emit_movements,
    naming_short_lines,
    request_order,
    serial_errors,
    serials_twice,
    to_stock_unit,
    unit_quantities,
)
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.posting import (
    InsufficientStockProblem,
    PostingContext,
    post_movements,
    reverse_document,
)
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams

SUPPLIER = VIRTUAL_LOCATIONS[LocationType.SUPPLIER]
DOCUMENT_TYPE = "purchase_receipt"


class LotConflict(Conflict):
    code = "lot_conflict"
    title = "The lot exists with other data"


@dataclass(frozen=True, slots=True)
class PreparedLine:
    """A request line checked against the catalog: quantity in the stock unit."""

    path: str
    line: ReceiptLineIn
    item: CatalogItem
    #: (quantity, unit) as entered when it was another unit.
    entered: tuple[Decimal, str] | None


def _tracking_errors(path: str, item: CatalogItem, line: ReceiptLineIn) -> list[FieldError]:
    tracking = Tracking(item.tracking)
    if tracking is Tracking.SERIAL or line.serial_numbers:
        errors = serial_errors(path, item, line.quantity, line.serial_numbers)
        if tracking is Tracking.SERIAL or errors:
            return errors
    if tracking is Tracking.LOT and line.lot_number is None:
        return [
            FieldError(
                f"{path}.lot_number",
                f"item {item.code} is lot-tracked: a lot number is required",
                "missing",
            )
        ]
    if tracking is Tracking.NONE and line.lot_number is not None:
        return [
            FieldError(
                f"{path}.lot_number", f"item {item.code} is not lot-tracked: send no lot number"
            )
        ]
    return []


def _form_errors(data: ReceiptCreate) -> list[FieldError]:
    """`lines`, or the one-line fields: never both, never neither."""
    given = data.one_line_fields_given()
    if data.lines is not None:
        return [
            FieldError(f"body.{name}", "give the items in `lines` or at the top, not both")
            for name in given
        ]
    return [
        FieldError(f"body.{name}", "required (or give the items in `lines`)", "missing")
        for name in ("item_code", "quantity")
        if getattr(data, name) is None
    ]


async def check_receipt(
    catalog: CatalogClient, data: ReceiptCreate
) -> tuple[list[PreparedLine], list[FieldError]]:
    """Ask the catalog about the items (outside any transaction) and collect every line's
    errors: unknown items, unit conversions, tracking, a serial on two lines."""
    errors = _form_errors(data)
    if errors:
        return [], errors
    lines = data.receipt_lines()
    items = await catalog_items(catalog, (line.item_code for _, line in lines))
    prepared: list[PreparedLine] = []
    for path, line in lines:
        item = items[line.item_code]
        if item is None:
            errors.append(
                FieldError(
                    f"{path}.item_code", f"the catalog has no item {line.item_code!r}", "not_found"
                )
            )
            continue
        quantity, entered, problems = await to_stock_unit(
            catalog, path, item, line.quantity, line.uom
        )
        converted = line.model_copy(update={"quantity": quantity}) if entered else line
        errors += problems
        errors += _tracking_errors(path, item, converted)
        prepared.append(PreparedLine(path, converted, item, entered))
    if data.lines is not None:
        errors += serials_twice([(line.item_code, line.serial_numbers) for line in data.lines])
    errors.sort(key=request_order)
    return prepared, errors


async def save_receipt(
    uow: UnitOfWork,
    catalog: CatalogClient,
    data: ReceiptCreate,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
    *,
    approved_by: str | None = None,
) -> ReceiptOut:
    """Post a receipt, or save it as a draft (`data.draft`), new or in place of draft
    `draft_id`; the catalog is asked first (items, tracking, units), outside the
    transaction. `approved_by`: workflow's approval of the draft that waits for it."""
    lines, errors = await check_receipt(catalog, data)
    return await post_receipt(
        uow, data, lines, errors, draft_id=draft_id, expected=expected, approved_by=approved_by
    )


async def post_receipt(
    uow: UnitOfWork,
    data: ReceiptCreate,
    lines: Sequence[PreparedLine],
    errors: list[FieldError],
    *,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
    approved_by: str | None = None,
) -> ReceiptOut:
    """Post a purchase receipt: lots, document, one ledger line per line (per unit for
    serial-tracked items) supplier -> location, balances, values.

    `lines` are the request's lines in stock units (`check_receipt`); `data` is the request
    as the client sent it, which a draft (`data.draft`) keeps, so posting converts again.
    A draft saves the document only: no lot, no movement, no stock or date check. With
    `draft_id` that draft is replaced or posted (keeping its id and number). Under a
    closed approval gate a posting is saved as a draft that waits for approval instead."""
    async with uow:
        session = uow.session
        existing, held, data = await approvals.open_posting(
            session, GATE, Receipt, draft_id, data, expected=expected, approved_by=approved_by
        )
        location = await location_by_code(session, data.location_code)
        problem = stock_location_error("body.location_code", data.location_code, location)
        if problem is not None:
            errors = sorted([*errors, problem], key=request_order)
        if errors or not lines or location is None:
            raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
        now = None if data.draft else posting_time(data.posted_at)
        created: set[tuple[str, str]] = set()
        if now is None:
            lots = await _known_lots(session, data, lines)
        else:
            lots, created = await _lots_for(uow, data, lines, data.receipt_date or now.date())
        receipt = existing or Receipt(number=f"tmp-{uuid.uuid4().hex[:24]}")
        first = lines[0]
        receipt.item_code = first.item.code
        receipt.location_id = location.id
        receipt.lot_id = _lot_id(lots, first)
        receipt.quantity = first.line.quantity
        receipt.uom = first.item.uom
        receipt.entered_quantity = first.entered[0] if first.entered else None
        receipt.entered_uom = first.entered[1] if first.entered else None
        receipt.supplier = data.supplier
        receipt.purchase_order = data.purchase_order
        receipt.unit_price = first.line.unit_price
        receipt.note = data.note
        drafts.stamp(receipt, uow, data, now)
        if held:
            approvals.hold(receipt)
        if existing is None:
            session.add(receipt)
            await session.flush()
            receipt.number = f"GR-{receipt.id:08d}"
        else:
            await session.execute(delete(ReceiptLine).where(ReceiptLine.receipt_id == receipt.id))
        rows = [
            ReceiptLine(
                receipt_id=receipt.id,
                line_no=number,
                item_code=prepared.item.code,
                lot_id=_lot_id(lots, prepared),
                quantity=prepared.line.quantity,
                uom=prepared.item.uom,
                entered_quantity=prepared.entered[0] if prepared.entered else None,
                entered_uom=prepared.entered[1] if prepared.entered else None,
                unit_price=prepared.line.unit_price,
                serial_numbers=prepared.line.serial_numbers or None,
            )
            for number, prepared in enumerate(lines, start=1)
        ]
        session.add_all(rows)
        await session.flush()
        by_id = {lot.id: lot for lot in lots.values()}
        if now is None:
            out = receipt_out(receipt, rows, {location.id: location}, by_id, [])
            if held:
                await approvals.request_approval(uow, GATE, out, _requested(data, lines))
            else:
                await drafts.saved(
                    uow, "receipt", "ReceiptDrafted", out, new=existing is None, document_id=out.id
                )
            return out
        locations = await locations_by_codes(session, [SUPPLIER, location.code])
        movements = [
            Movement(
                item_code=prepared.item.code,
                lot_number=prepared.line.lot_number or "",
                quantity=quantity,
                source_location=SUPPLIER,
                target_location=location.code,
                source_state=QualityState.PENDING_INSPECTION,
                target_state=QualityState.PENDING_INSPECTION,
                unit_cost=prepared.line.unit_price,
                serial_number=serial,
            )
            for prepared in lines
            for serial, quantity in unit_quantities(
                prepared.line.quantity, prepared.line.serial_numbers
            )
        ]
        try:
            ledger = await post_movements(
                uow,
                PostingContext(
                    document_type=DOCUMENT_TYPE,
                    document_id=receipt.id,
                    item_types={p.item.code: p.item.item_type for p in lines},
                    locations=locations,
                    lot_ids={key: lot.id for key, lot in lots.items()},
                    posted_at=now,
                    references=References(
                        purchase_order=data.purchase_order, supplier=data.supplier
                    ),
                ),
                movements,
            )
        except InsufficientStockProblem as exc:  # a back-dated receipt a later issue needed
            raise naming_short_lines(exc) from exc.__cause__
        out = receipt_out(receipt, rows, {loc.id: loc for loc in locations.values()}, by_id, ledger)
        await _record(uow, out, [lots[key] for key in sorted(created)])
        await uow.commit()
        return out


def _requested(data: ReceiptCreate, lines: Sequence[PreparedLine]) -> approvals.Requested:
    """What workflow is told of a receipt held for approval (quantities in stock units)."""
    return approvals.Requested(
        location_code=data.location_code,
        lines=[
            approvals.RequestedLine(
                line_no=number,
                item_code=prepared.item.code,
                quantity=prepared.line.quantity,
                uom=prepared.item.uom,
                lot_number=prepared.line.lot_number,
                unit_price=prepared.line.unit_price,
            )
            for number, prepared in enumerate(lines, start=1)
        ],
        supplier=data.supplier,
        purchase_order=data.purchase_order,
        note=data.note,
    )


def _lot_id(lots: Mapping[tuple[str, str], Lot], prepared: PreparedLine) -> int | None:
    if prepared.line.lot_number is None:
        return None
    lot = lots.get((prepared.item.code, prepared.line.lot_number))
    return lot.id if lot else None


async def _lots_for(
    uow: UnitOfWork, data: ReceiptCreate, lines: Sequence[PreparedLine], received: date
) -> tuple[dict[tuple[str, str], Lot], set[tuple[str, str]]]:
    """The lots the lines name, created where new (in a fixed order: no deadlocks); a lot
    that exists must have come from the same supplier. Returns them and the new ones."""
    wanted: dict[tuple[str, str], PreparedLine] = {}
    for prepared in lines:
        if prepared.line.lot_number is not None:
            wanted.setdefault((prepared.item.code, prepared.line.lot_number), prepared)
    lots: dict[tuple[str, str], Lot] = {}
    created: set[tuple[str, str]] = set()
    for key in sorted(wanted):
        prepared = wanted[key]
        lot, new = await lot_for_update_or_create(
            uow.session,
            {
                "item_code": prepared.item.code,
                "lot_number": prepared.line.lot_number,
                "supplier": data.supplier,
                "supplier_lot": prepared.line.supplier_lot,
                "date_code": prepared.line.date_code,
                "purchase_order": data.purchase_order,
                "receipt_date": received,
                "expiry_date": expiry_date(received, prepared.item.shelf_life_days),
                "created_at": utcnow(),
            },
        )
        if new:
            created.add(key)
        else:
            _same_supplier(lot, data)
        lots[key] = lot
    return lots, created


async def _known_lots(
    session: AsyncSession, data: ReceiptCreate, lines: Sequence[PreparedLine]
) -> dict[tuple[str, str], Lot]:
    """A draft's lots are created only when it posts; those that exist already must have
    come from the same supplier (409 `lot_conflict` now rather than later)."""
    named = {(p.item.code, p.line.lot_number): p for p in lines if p.line.lot_number is not None}
    known = await lots_by_numbers(session, list(named))
    for lot in known.values():
        _same_supplier(lot, data)
    return known


def _same_supplier(lot: Lot, data: ReceiptCreate) -> None:
    if data.supplier and lot.supplier and data.supplier != lot.supplier:
        raise LotConflict(
            f"lot {lot.lot_number} of {lot.item_code} came from {lot.supplier}, "
            f"not {data.supplier}",
            errors=[FieldError("body.supplier", "differs from the lot's supplier", "conflict")],
        )


async def _record(uow: UnitOfWork, out: ReceiptOut, created: Sequence[Lot]) -> None:
    payload = out.model_dump(mode="json")
    await uow.audit("post", "receipt", str(out.id), after=payload)
    for lot in created:
        uow.emit("LotCreated", "lot", str(lot.id), lot_out(lot).model_dump(mode="json"))
    emit_movements(uow, out.movements)
    uow.emit("ReceiptPosted", "receipt", str(out.id), payload)


async def cancel_receipt(uow: UnitOfWork, receipt_id: int) -> ReceiptOut:
    """Cancel a draft receipt (nothing was received, no lot was created); one that waited
    for approval ends it."""
    return await drafts.cancel_document(
        uow,
        Receipt,
        receipt_id,
        noun="receipt",
        entity="receipt",
        event="ReceiptCancelled",
        load=_load_many,
        announce=approvals.announce_cancel(GATE),
    )


async def return_receipt(
    uow: UnitOfWork, receipt_id: int, decision: ApprovalDecision
) -> ReceiptOut:
    """Workflow's decision other than approval: the receipt stays a draft, not waiting."""
    return await approvals.return_to_draft(uow, GATE, receipt_id, decision)


# --- reversal --------------------------------------------------------------------------------


async def receipt_item_codes(session: AsyncSession, receipt_id: int) -> list[str]:
    """The distinct items a receipt names (for the catalog look-up before reversing)."""
    if await session.get(Receipt, receipt_id) is None:
        raise NotFound(f"receipt {receipt_id} does not exist")
    codes = await session.scalars(
        select(ReceiptLine.item_code)
        .where(ReceiptLine.receipt_id == receipt_id)
        .distinct()
        .order_by(ReceiptLine.item_code)
    )
    return list(codes)


async def reverse_receipt(
    uow: UnitOfWork, receipt_id: int, items: Mapping[str, CatalogItem | None]
) -> ReceiptOut:
    """Take a posted receipt back as a whole: what it received leaves to the supplier again
    (serial-tracked units too: they count as returned), at the value it came in at. The
    stock must still be where the receipt put it, pending inspection; otherwise 409
    `insufficient_stock` naming what is short. The lot stays (it is master data)."""
    async with uow:
        session = uow.session
        receipt = await session.get(
            Receipt, receipt_id, with_for_update=True, populate_existing=True
        )
        if receipt is None:
            raise NotFound(f"receipt {receipt_id} does not exist")
        drafts.require_posted(receipt, "receipt")
        (before,) = await _load_many(session, [receipt])
        unknown = sorted(
            {line.item_code for line in before.lines if items.get(line.item_code) is None}
        )
        if unknown:
            raise Conflict(f"the catalog no longer knows item(s) {', '.join(unknown)}")
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        now = utcnow()
        try:
            await reverse_document(uow, DOCUMENT_TYPE, receipt.id, item_types, now)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc, prefix=f"receipt {receipt.number} cannot be reversed, the stock moved on: "
            ) from exc.__cause__
        return await drafts.finish_reversal(
            uow,
            receipt,
            before,
            now,
            entity="receipt",
            event="ReceiptReversed",
            load=_load_many,
        )


# --- reading ---------------------------------------------------------------------------------


def lot_out(lot: Lot) -> LotOut:
    return LotOut.model_validate(lot, from_attributes=True)


def movement_out(
    row: MovementRow, locations: dict[int, Location], lots: dict[int, Lot]
) -> MovementOut:
    lot = lots.get(row.lot_id) if row.lot_id is not None else None
    return MovementOut(
        id=row.id,
        document_type=row.document_type,
        document_id=row.document_id,
        item_code=row.item_code,
        lot_number=lot.lot_number if lot else None,
        serial_number=row.serial_number,
        quantity=row.quantity,
        from_location=locations[row.from_location_id].code,
        to_location=locations[row.to_location_id].code,
        from_state=QualityState(row.from_state),
        to_state=QualityState(row.to_state),
        stage=row.stage,
        sequence=row.sequence,
        unit_cost=row.unit_cost,
        value=row.value,
        posted_at=row.posted_at,
        posted_by=row.posted_by,
        reversal_of_id=row.reversal_of_id,
        purchase_order=row.purchase_order,
        work_order=row.work_order,
        sales_order=row.sales_order,
        supplier=row.supplier,
        customer=row.customer,
    )


def receipt_out(
    receipt: Receipt,
    lines: Sequence[ReceiptLine],
    locations: Mapping[int, Location],
    lots: Mapping[int, Lot],
    ledger: Sequence[MovementRow],
) -> ReceiptOut:
    """`locations` and `lots` hold at least the receipt's, its lines' and its movements'."""
    received = [row for row in ledger if row.serial_number and not row.reversal_of_id]
    out_lines = [
        ReceiptLineOut(
            line_no=line.line_no,
            item_code=line.item_code,
            lot=lot_out(lots[line.lot_id]) if line.lot_id is not None else None,
            quantity=line.quantity,
            uom=line.uom,
            entered_quantity=line.entered_quantity,
            entered_uom=line.entered_uom,
            unit_price=line.unit_price,
            serial_numbers=(
                list(line.serial_numbers)
                if line.serial_numbers is not None
                # receipts from before lines: their units are on their movements
                else [
                    row.serial_number or "" for row in received if row.item_code == line.item_code
                ]
            ),
        )
        for line in sorted(lines, key=lambda line: line.line_no)
    ]
    one = out_lines[0] if len(out_lines) == 1 else None
    return ReceiptOut(
        id=receipt.id,
        number=receipt.number,
        status=DocumentStatus(receipt.status),
        location_code=locations[receipt.location_id].code,
        supplier=receipt.supplier,
        purchase_order=receipt.purchase_order,
        lines=out_lines,
        item_code=one.item_code if one else None,
        lot=one.lot if one else None,
        quantity=one.quantity if one else None,
        serial_numbers=list(one.serial_numbers) if one else [],
        uom=one.uom if one else None,
        entered_quantity=one.entered_quantity if one else None,
        entered_uom=one.entered_uom if one else None,
        unit_price=one.unit_price if one else None,
        note=receipt.note,
        quality_state=QualityState.PENDING_INSPECTION,
        created_at=receipt.created_at,
        created_by=receipt.created_by,
        posted_at=receipt.posted_at,
        posted_by=receipt.posted_by,
        cancelled_at=receipt.cancelled_at,
        cancelled_by=receipt.cancelled_by,
        reversed_at=receipt.reversed_at,
        reversed_by=receipt.reversed_by,
        movements=[movement_out(row, dict(locations), dict(lots)) for row in ledger],
        approval=ApprovalState(receipt.approval),
        approval_ref=receipt.approval_ref,
        draft_request=receipt.draft,
    )


async def _load_many(session: AsyncSession, receipts: Sequence[Receipt]) -> list[ReceiptOut]:
    """Receipts with their lines, lots and movements, in a fixed number of queries."""
    if not receipts:
        return []
    ids = [r.id for r in receipts]
    lines: dict[int, list[ReceiptLine]] = {i: [] for i in ids}
    for line in await session.scalars(
        select(ReceiptLine)
        .where(ReceiptLine.receipt_id.in_(ids))
        .order_by(ReceiptLine.receipt_id, ReceiptLine.line_no)
    ):
        lines[line.receipt_id].append(line)
    ledger = await document_ledgers(session, [DOCUMENT_TYPE], ids)
    every_row = [row for group in ledger.values() for row in group]
    every_line = [line for group in lines.values() for line in group]
    locations = await locations_by_ids(
        session,
        [r.location_id for r in receipts]
        + [m.from_location_id for m in every_row]
        + [m.to_location_id for m in every_row],
    )
    lots = await lots_by_ids(
        session, [line.lot_id for line in every_line] + [m.lot_id for m in every_row]
    )
    return [receipt_out(r, lines[r.id], locations, lots, ledger[r.id]) for r in receipts]


#: Purchase receipts under their approval gate.
GATE: approvals.Gate[ReceiptOut] = approvals.Gate(
    document_type=GatedDocument.PURCHASE_RECEIPT,
    model=Receipt,
    entity="receipt",
    noun="receipt",
    load=_load_many,
)


async def get_receipt(session: AsyncSession, receipt_id: int) -> ReceiptOut:
    receipt = await session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound(f"receipt {receipt_id} does not exist")
    (out,) = await _load_many(session, [receipt])
    return out


async def list_receipts(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    supplier: str | None,
    purchase_order: str | None,
    status: DocumentStatus | None,
) -> tuple[list[ReceiptOut], str | None]:
    """Receipts, oldest first, by an item on any line, supplier, purchase order, status."""
    query = where_equal(
        select(Receipt),
        {
            Receipt.supplier: supplier,
            Receipt.purchase_order: purchase_order,
            Receipt.status: status.value if status else None,
        },
    )
    if item_code is not None:
        query = query.where(
            Receipt.id.in_(select(ReceiptLine.receipt_id).where(ReceiptLine.item_code == item_code))
        )
    rows, cursor = await page_by_id(session, query, Receipt.id, page)
    return await _load_many(session, rows), cursor
