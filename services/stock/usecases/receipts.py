"""Purchase receipts: a lot of an item arrives from a supplier, pending inspection."""

from __future__ import annotations

import uuid
from datetime import date

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
)
from services.stock.domain.model import (
    VIRTUAL_LOCATIONS,
    LocationType,
    Movement,
    QualityState,
    Tracking,
    expiry_date,
)
from services.stock.schemas import LotOut, MovementOut, ReceiptCreate, ReceiptOut
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    emit_movements,
    serial_errors,
    unit_quantities,
)
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.posting import PostingContext, post_movements
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.schemas import plain

SUPPLIER = VIRTUAL_LOCATIONS[LocationType.SUPPLIER]


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


async def post_receipt(
    uow: UnitOfWork, data: ReceiptCreate, item: CatalogItem | None, errors: list[FieldError]
) -> ReceiptOut:
    """Post a purchase receipt: lot, document, ledger line supplier -> location, balances."""
    async with uow:
        location = await location_by_code(uow.session, data.location_code)
        problem = stock_location_error("body.location_code", data.location_code, location)
        if problem is not None:
            errors = [*errors, problem]
        if errors or item is None or location is None:
            raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
        now = posting_time(data.posted_at)
        received = data.receipt_date or now.date()
        lot, lot_created = await _lot_for(uow, data, item, received)
        receipt = Receipt(
            number=f"tmp-{uuid.uuid4().hex[:24]}",
            item_code=item.code,
            location_id=location.id,
            lot_id=lot.id if lot else None,
            quantity=data.quantity,
            uom=item.uom,
            entered_quantity=data._entered[0] if data._entered else None,
            entered_uom=data._entered[1] if data._entered else None,
            supplier=data.supplier,
            purchase_order=data.purchase_order,
            unit_price=data.unit_price,
            note=data.note,
            posted_at=now,
            posted_by=uow.actor,
        )
        uow.session.add(receipt)
        await uow.session.flush()
        receipt.number = f"GR-{receipt.id:08d}"
        locations = await locations_by_codes(uow.session, [SUPPLIER, location.code])
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
                document_type="purchase_receipt",
                document_id=receipt.id,
                item_types={item.code: item.item_type},
                locations=locations,
                lot_ids={(item.code, lot_key): lot.id if lot else None},
                posted_at=now,
            ),
            movements,
        )
        out = receipt_out(
            receipt, location, lot, ledger, {loc.id: loc for loc in locations.values()}
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
    if not created and data.supplier and lot.supplier and data.supplier != lot.supplier:
        raise LotConflict(
            f"lot {data.lot_number} of {item.code} came from {lot.supplier}, not {data.supplier}",
            errors=[FieldError("body.supplier", "differs from the lot's supplier", "conflict")],
        )
    return lot, created


async def _record(uow: UnitOfWork, out: ReceiptOut, lot_created: bool) -> None:
    payload = out.model_dump(mode="json")
    await uow.audit("post", "receipt", str(out.id), after=payload)
    if lot_created and out.lot is not None:
        uow.emit("LotCreated", "lot", str(out.lot.id), out.lot.model_dump(mode="json"))
    emit_movements(uow, out.movements)
    uow.emit("ReceiptPosted", "receipt", str(out.id), payload)


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
    )


def receipt_out(
    receipt: Receipt,
    location: Location,
    lot: Lot | None,
    ledger: list[MovementRow],
    locations: dict[int, Location],
) -> ReceiptOut:
    lots = {lot.id: lot} if lot else {}
    return ReceiptOut(
        id=receipt.id,
        number=receipt.number,
        item_code=receipt.item_code,
        location_code=location.code,
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
        posted_at=receipt.posted_at,
        posted_by=receipt.posted_by,
        serial_numbers=[
            row.serial_number for row in ledger if row.serial_number and not row.reversal_of_id
        ],
        movements=[movement_out(row, locations, lots) for row in ledger],
    )


async def get_receipt(session: AsyncSession, receipt_id: int) -> ReceiptOut:
    receipt = await session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound(f"receipt {receipt_id} does not exist")
    ledger = list(
        await session.scalars(
            select(MovementRow)
            .where(
                MovementRow.document_type == "purchase_receipt",
                MovementRow.document_id == receipt.id,
            )
            .order_by(MovementRow.id)
        )
    )
    location_ids = (
        [receipt.location_id]
        + [m.from_location_id for m in ledger]
        + [m.to_location_id for m in ledger]
    )
    locations = await locations_by_ids(session, location_ids)
    lots = await lots_by_ids(session, [receipt.lot_id])
    lot = lots.get(receipt.lot_id) if receipt.lot_id else None
    return receipt_out(receipt, locations[receipt.location_id], lot, ledger, locations)
