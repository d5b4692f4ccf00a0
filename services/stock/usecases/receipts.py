"""Purchase receipts: a lot of an item arrives from a supplier, pending inspection.

A receipt can be saved as a draft (`"draft": true`): the item, its tracking, the unit
conversion, the location and a lot that exists already are checked then, but the lot is
created and the stock received only when the draft is posted (`usecases/drafts.py`). The
draft keeps the request as the client sent it, so posting converts the quantity again.

A posted receipt can be reversed as a whole while what it received is still where it put
it, pending inspection: the stock (serial-tracked units too) leaves to the supplier again
at the value it came in at; reversal appends opposite movements, it never edits the ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem, ConversionRefused, convert
from services.stock.db.models import Location, Lot, MovementRow, Receipt
from services.stock.db.queries import (
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
    DocumentStatus,
    LotOut,
    MovementOut,
    ReceiptCreate,
    ReceiptOut,
)
from services.stock.usecases import drafts
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    emit_movements,
    naming_short_lines,
    serial_errors,
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
from shared.schemas import plain

SUPPLIER = VIRTUAL_LOCATIONS[LocationType.SUPPLIER]
DOCUMENT_TYPE = "purchase_receipt"


class LotConflict(Conflict):
    code = "lot_conflict"
    title = "The lot exists with other data"


def _tracking_errors(item: CatalogItem, data: ReceiptCreate) -> list[FieldError]:
    tracking = Tracking(item.tracking)
    if tracking is Tracking.SERIAL or data.serial_numbers:
        errors = serial_errors("body", item, data.quantity, data.serial_numbers)
        if tracking is Tracking.SERIAL or errors:
            return errors
    if tracking is Tracking.LOT and data.lot_number is None:
        return [
            FieldError(
                "body.lot_number",
                f"item {item.code} is lot-tracked: a lot number is required",
                "missing",
            )
        ]
    if tracking is Tracking.NONE and data.lot_number is not None:
        return [
            FieldError(
                "body.lot_number", f"item {item.code} is not lot-tracked: send no lot number"
            )
        ]
    return []


async def check_receipt(
    catalog: CatalogClient, data: ReceiptCreate
) -> tuple[CatalogItem | None, list[FieldError], ReceiptCreate]:
    """Ask the catalog about the item (outside any transaction) and collect its errors.

    A quantity entered in another unit (`uom`: reels, the supplier's unit) is converted
    to the item's stock unit by the catalog's rules; the receipt returned carries the
    stock-unit quantity. A conversion that does not come out at a quantity the stock
    unit can hold (7.5 pcs) is refused, never rounded.
    """
    item = await catalog.item_by_code(data.item_code)
    if item is None:
        return (
            None,
            [
                FieldError(
                    "body.item_code", f"the catalog has no item {data.item_code!r}", "not_found"
                )
            ],
            data,
        )
    errors: list[FieldError] = []
    if data.uom is not None and data.uom != item.uom:
        try:
            converted = await convert(catalog, item, data.quantity, data.uom)
        except ConversionRefused as exc:
            errors.append(FieldError("body.uom", exc.detail, "not_convertible"))
        else:
            if converted.exact != converted.rounded:
                errors.append(
                    FieldError(
                        "body.quantity",
                        f"{plain(data.quantity)} {data.uom} is {plain(converted.exact)} "
                        f"{item.uom}, which {item.uom} cannot hold (it would round to "
                        f"{plain(converted.rounded)})",
                    )
                )
            else:
                entered = (data.quantity, data.uom)
                data = data.model_copy(update={"quantity": converted.exact})
                data._entered = entered
    return item, [*errors, *_tracking_errors(item, data)], data


async def save_receipt(
    uow: UnitOfWork,
    catalog: CatalogClient,
    data: ReceiptCreate,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
) -> ReceiptOut:
    """Post a receipt, or save it as a draft (`data.draft`), new or in place of draft
    `draft_id`; the catalog is asked first (item, tracking, unit), outside the transaction."""
    item, errors, converted = await check_receipt(catalog, data)
    return await post_receipt(
        uow, converted, item, errors, request=data, draft_id=draft_id, expected=expected
    )


async def post_receipt(
    uow: UnitOfWork,
    data: ReceiptCreate,
    item: CatalogItem | None,
    errors: list[FieldError],
    *,
    request: ReceiptCreate | None = None,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
) -> ReceiptOut:
    """Post a purchase receipt: lot, document, ledger line supplier -> location, balances.

    `data` is the request in stock units (`check_receipt`), `request` the body as the client
    sent it (default `data`): a draft (`data.draft`) keeps that one, so posting it converts
    again. A draft saves the document only: no lot, no movement, no stock or date check.
    With `draft_id` that draft is replaced or posted (keeping its id and number)."""
    async with uow:
        session = uow.session
        existing = (
            await drafts.draft_for_update(session, Receipt, draft_id, "receipt", expected=expected)
            if draft_id is not None
            else None
        )
        location = await location_by_code(session, data.location_code)
        problem = stock_location_error("body.location_code", data.location_code, location)
        if problem is not None:
            errors = [*errors, problem]
        if errors or item is None or location is None:
            raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
        lot: Lot | None = None
        lot_created = False
        now = None if data.draft else posting_time(data.posted_at)
        if now is None:
            await _check_known_lot(session, data, item)
        else:
            lot, lot_created = await _lot_for(uow, data, item, data.receipt_date or now.date())
        receipt = existing or Receipt(number=f"tmp-{uuid.uuid4().hex[:24]}")
        receipt.item_code = item.code
        receipt.location_id = location.id
        receipt.lot_id = lot.id if lot else None
        receipt.quantity = data.quantity
        receipt.uom = item.uom
        receipt.entered_quantity = data._entered[0] if data._entered else None
        receipt.entered_uom = data._entered[1] if data._entered else None
        receipt.supplier = data.supplier
        receipt.purchase_order = data.purchase_order
        receipt.unit_price = data.unit_price
        receipt.note = data.note
        drafts.stamp(receipt, uow, request or data, now)
        if existing is None:
            session.add(receipt)
            await session.flush()
            receipt.number = f"GR-{receipt.id:08d}"
        await session.flush()
        if now is None:
            out = receipt_out(receipt, {location.id: location}, {}, [])
            await drafts.saved(
                uow, "receipt", "ReceiptDrafted", out, new=existing is None, document_id=out.id
            )
            return out
        locations = await locations_by_codes(session, [SUPPLIER, location.code])
        lot_key = lot.lot_number if lot else ""
        movements = [
            Movement(
                item_code=item.code,
                lot_number=lot_key,
                quantity=quantity,
                source_location=SUPPLIER,
                target_location=location.code,
                source_state=QualityState.PENDING_INSPECTION,
                target_state=QualityState.PENDING_INSPECTION,
                unit_cost=data.unit_price,
                serial_number=serial,
            )
            for serial, quantity in unit_quantities(data.quantity, data.serial_numbers)
        ]
        ledger = await post_movements(
            uow,
            PostingContext(
                document_type=DOCUMENT_TYPE,
                document_id=receipt.id,
                item_types={item.code: item.item_type},
                locations=locations,
                lot_ids={(item.code, lot_key): lot.id if lot else None},
                posted_at=now,
                references=References(
                    purchase_order=data.purchase_order, supplier=data.supplier
                ),
            ),
            movements,
        )
        out = receipt_out(
            receipt,
            {loc.id: loc for loc in locations.values()},
            {lot.id: lot} if lot else {},
            ledger,
        )
        await _record(uow, out, lot_created)
        await uow.commit()
        return out


async def _lot_for(
    uow: UnitOfWork, data: ReceiptCreate, item: CatalogItem, received: date
) -> tuple[Lot | None, bool]:
    if data.lot_number is None:
        return None, False
    lot, created = await lot_for_update_or_create(
        uow.session,
        {
            "item_code": item.code,
            "lot_number": data.lot_number,
            "supplier": data.supplier,
            "supplier_lot": data.supplier_lot,
            "date_code": data.date_code,
            "purchase_order": data.purchase_order,
            "receipt_date": received,
            "expiry_date": expiry_date(received, item.shelf_life_days),
            "created_at": utcnow(),
        },
    )
    if not created:
        _same_supplier(lot, data, item)
    return lot, created


async def _check_known_lot(session: AsyncSession, data: ReceiptCreate, item: CatalogItem) -> None:
    """A draft names a lot that is created only when it posts; one that exists already
    must have come from the same supplier (409 `lot_conflict` now rather than later)."""
    if data.lot_number is None:
        return
    known = await lots_by_numbers(session, [(item.code, data.lot_number)])
    lot = known.get((item.code, data.lot_number))
    if lot is not None:
        _same_supplier(lot, data, item)


def _same_supplier(lot: Lot, data: ReceiptCreate, item: CatalogItem) -> None:
    if data.supplier and lot.supplier and data.supplier != lot.supplier:
        raise LotConflict(
            f"lot {data.lot_number} of {item.code} came from {lot.supplier}, not {data.supplier}",
            errors=[FieldError("body.supplier", "differs from the lot's supplier", "conflict")],
        )


async def _record(uow: UnitOfWork, out: ReceiptOut, lot_created: bool) -> None:
    payload = out.model_dump(mode="json")
    await uow.audit("post", "receipt", str(out.id), after=payload)
    if lot_created and out.lot is not None:
        uow.emit("LotCreated", "lot", str(out.lot.id), out.lot.model_dump(mode="json"))
    emit_movements(uow, out.movements)
    uow.emit("ReceiptPosted", "receipt", str(out.id), payload)


async def cancel_receipt(uow: UnitOfWork, receipt_id: int) -> ReceiptOut:
    """Cancel a draft receipt (nothing was received, no lot was created)."""

    async def load(session: AsyncSession, receipt: Receipt) -> ReceiptOut:
        (out,) = await _load_many(session, [receipt])
        return out

    return await drafts.cancel_document(
        uow,
        Receipt,
        receipt_id,
        noun="receipt",
        entity="receipt",
        event="ReceiptCancelled",
        load=load,
    )


# --- reversal --------------------------------------------------------------------------------


async def receipt_item_code(session: AsyncSession, receipt_id: int) -> str:
    """The item a receipt names (for the catalog look-up before reversing)."""
    code = await session.scalar(select(Receipt.item_code).where(Receipt.id == receipt_id))
    if code is None:
        raise NotFound(f"receipt {receipt_id} does not exist")
    return code


async def reverse_receipt(uow: UnitOfWork, receipt_id: int, item: CatalogItem | None) -> ReceiptOut:
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
        if item is None:
            raise Conflict(f"the catalog no longer knows item {receipt.item_code!r}")
        (before,) = await _load_many(session, [receipt])
        now = utcnow()
        try:
            await reverse_document(uow, DOCUMENT_TYPE, receipt.id, {item.code: item.item_type}, now)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc, prefix=f"receipt {receipt.number} cannot be reversed, the stock moved on: "
            ) from exc.__cause__
        receipt.status = DocumentStatus.REVERSED.value
        receipt.reversed_at = now
        receipt.reversed_by = uow.actor
        await session.flush()
        (out,) = await _load_many(session, [receipt])
        payload = out.model_dump(mode="json")
        await uow.audit(
            "reverse", "receipt", str(out.id), before=before.model_dump(mode="json"), after=payload
        )
        emit_movements(uow, (m for m in out.movements if m.reversal_of_id is not None))
        uow.emit("ReceiptReversed", "receipt", str(out.id), payload)
        await uow.commit()
        return out


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
    locations: Mapping[int, Location],
    lots: Mapping[int, Lot],
    ledger: Sequence[MovementRow],
) -> ReceiptOut:
    """`locations` and `lots` hold at least the receipt's and its movements'."""
    lot = lots[receipt.lot_id] if receipt.lot_id is not None else None
    return ReceiptOut(
        id=receipt.id,
        number=receipt.number,
        status=DocumentStatus(receipt.status),
        item_code=receipt.item_code,
        location_code=locations[receipt.location_id].code,
        lot=lot_out(lot) if lot else None,
        quantity=receipt.quantity,
        uom=receipt.uom,
        entered_quantity=receipt.entered_quantity,
        entered_uom=receipt.entered_uom,
        supplier=receipt.supplier,
        purchase_order=receipt.purchase_order,
        unit_price=receipt.unit_price,
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
        serial_numbers=[
            row.serial_number for row in ledger if row.serial_number and not row.reversal_of_id
        ],
        movements=[movement_out(row, dict(locations), dict(lots)) for row in ledger],
        draft_request=receipt.draft,
    )


async def _load_many(session: AsyncSession, receipts: Sequence[Receipt]) -> list[ReceiptOut]:
    """Receipts with their lots and movements, in a fixed number of queries."""
    if not receipts:
        return []
    ids = [r.id for r in receipts]
    ledger: dict[int, list[MovementRow]] = {i: [] for i in ids}
    for row in await session.scalars(
        select(MovementRow)
        .where(MovementRow.document_type == DOCUMENT_TYPE, MovementRow.document_id.in_(ids))
        .order_by(MovementRow.id)
    ):
        ledger[row.document_id].append(row)
    every_row = [row for group in ledger.values() for row in group]
    locations = await locations_by_ids(
        session,
        [r.location_id for r in receipts]
        + [m.from_location_id for m in every_row]
        + [m.to_location_id for m in every_row],
    )
    lots = await lots_by_ids(session, [r.lot_id for r in receipts] + [m.lot_id for m in every_row])
    return [receipt_out(r, locations, lots, ledger[r.id]) for r in receipts]


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
    """Receipts, oldest first, by item, supplier, purchase order and status."""
    query = where_equal(
        select(Receipt),
        {
            Receipt.item_code: item_code,
            Receipt.supplier: supplier,
            Receipt.purchase_order: purchase_order,
            Receipt.status: status.value if status else None,
        },
    )
    rows, cursor = await page_by_id(session, query, Receipt.id, page)
    return await _load_many(session, rows), cursor
