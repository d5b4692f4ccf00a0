"""Quality inspections (QC): pending stock becomes qualified or defective, with a record.

An inspection takes pending-inspection stock of one lot at one location; the accepted
quantity moves to qualified, the rejected quantity to defective (at the same location
unless others are named, e.g. a quarantine for rejects). What is not inspected stays
pending, so a lot can be inspected in several goes. A posted inspection can be reversed
as a whole while the stock it moved is still where it put it.

An inspection can be saved as a draft (`"draft": true`, `usecases/drafts.py`): the item,
its tracking and serial lists, the locations and the named lot are checked and kept on
the record, but nothing moves and no stock is checked until the draft is posted (a unit's
own lot is looked up then too).

Serial-tracked items name the units: `accepted_serial_numbers` (as many as the accepted
quantity) and `rejected_serial_numbers` (as many as the rejected quantity), no unit in
both lists; the lot is optional. Each unit moves on its own, in the named lot or else the
lot it was received in, and must be pending inspection at the location (in the named lot):
otherwise 409 `insufficient_stock` naming the serial and the list it is on. The record
keeps both lists.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Inspection, Location, Lot, MovementRow
from services.stock.domain.model import Movement, QualityState, Tracking
from services.stock.domain.posting import InsufficientStock
from services.stock.schemas import (
    DefectOut,
    DocumentStatus,
    InspectionCreate,
    InspectionOut,
    InspectionResult,
)
from services.stock.usecases import drafts, single_lot
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    emit_movements,
    serial_errors,
    unit_quantities,
)
from services.stock.usecases.posting import (
    InsufficientStockProblem,
    post_movements,
)
from shared.db.paging import page_by_id
from shared.db.uow import UnitOfWork
from shared.errors import FieldError, InvalidInput
from shared.http.pagination import PageParams

DOCUMENT_TYPE = "inspection"


def result_of(accepted: Decimal, rejected: Decimal) -> InspectionResult:
    if rejected == 0:
        return InspectionResult.ACCEPTED
    if accepted == 0:
        return InspectionResult.REJECTED
    return InspectionResult.PARTIAL


async def check_item(
    catalog: CatalogClient, data: InspectionCreate
) -> tuple[CatalogItem | None, list[FieldError]]:
    """Ask the catalog about the item (outside any transaction) and collect its errors."""
    item, errors = await single_lot.check_item(catalog, data.item_code, data.lot_number)
    if item is None:
        return None, errors
    tracking = Tracking(item.tracking)
    for field, quantity, serials in _serial_lists(data):
        if tracking is Tracking.SERIAL and quantity == 0 and not serials:
            continue  # nothing accepted (or rejected): no units to name
        errors += serial_errors("body", item, quantity, serials, field=field)
    both = sorted(set(data.accepted_serial_numbers or ()) & set(data.rejected_serial_numbers or ()))
    if both:
        errors.append(
            FieldError(
                "body.rejected_serial_numbers",
                f"also in accepted_serial_numbers: {', '.join(both)}",
                "duplicate",
            )
        )
    return item, errors


def _serial_lists(data: InspectionCreate) -> list[tuple[str, Decimal, list[str] | None]]:
    return [
        ("accepted_serial_numbers", data.accepted_quantity, data.accepted_serial_numbers),
        ("rejected_serial_numbers", data.rejected_quantity, data.rejected_serial_numbers),
    ]


async def save_inspection(
    uow: UnitOfWork,
    catalog: CatalogClient,
    data: InspectionCreate,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
) -> InspectionOut:
    """Post an inspection, or save it as a draft (`data.draft`), new or in place of draft
    `draft_id`; the catalog is asked first, outside the transaction."""
    item, errors = await check_item(catalog, data)
    return await post_inspection(uow, data, item, errors, draft_id=draft_id, expected=expected)


async def post_inspection(
    uow: UnitOfWork,
    data: InspectionCreate,
    item: CatalogItem | None,
    errors: list[FieldError],
    *,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
) -> InspectionOut:
    """Post an inspection: pending -> qualified / defective, and keep the QC record. With
    `data.draft` only the record is saved; with `draft_id` that draft is replaced or posted."""
    async with uow:
        session = uow.session
        existing = (
            await drafts.draft_for_update(
                session, Inspection, draft_id, "inspection", expected=expected
            )
            if draft_id is not None
            else None
        )
        named = {
            "body.location_code": data.location_code,
            "body.accepted_location_code": data.accepted_location_code or data.location_code,
            "body.rejected_location_code": data.rejected_location_code or data.location_code,
        }
        locations, problems = await single_lot.named_locations(session, named)
        # a named lot must exist, whatever the item (its tracking is checked before)
        lot, missing = await single_lot.named_lot(
            session, data.item_code, data.lot_number, must_exist=True
        )
        errors = [*errors, *problems, *missing]
        if errors or item is None:
            raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
        now = None if data.draft else posting_time(data.posted_at)
        place = locations[data.location_code]
        accepted_at = locations[named["body.accepted_location_code"]]
        rejected_at = locations[named["body.rejected_location_code"]]
        inspection = existing or Inspection(number=f"tmp-{uuid.uuid4().hex[:24]}")
        inspection.item_code = item.code
        inspection.lot_id = lot.id if lot else None
        inspection.location_id = place.id
        inspection.accepted_location_id = accepted_at.id
        inspection.rejected_location_id = rejected_at.id
        inspection.accepted_quantity = data.accepted_quantity
        inspection.rejected_quantity = data.rejected_quantity
        inspection.sample_size = data.sample_size
        inspection.result = result_of(data.accepted_quantity, data.rejected_quantity).value
        inspection.inspector = data.inspector
        inspection.defects = [d.model_dump() for d in data.defects]
        inspection.accepted_serial_numbers = data.accepted_serial_numbers or None
        inspection.rejected_serial_numbers = data.rejected_serial_numbers or None
        inspection.note = data.note
        drafts.stamp(inspection, uow, data, now)
        if existing is None:
            session.add(inspection)
            await session.flush()
            inspection.number = f"QC-{inspection.id:08d}"
        await session.flush()
        if now is None:
            out = _out(inspection, {loc.id: loc for loc in locations.values()}, lot, {}, [])
            await drafts.saved(
                uow,
                "inspection",
                "InspectionDrafted",
                out,
                new=existing is None,
                document_id=out.id,
            )
            return out
        lots = await single_lot.unit_lots(
            session,
            item.code,
            lot,
            (serial for _, _, serials in _serial_lists(data) for serial in serials or ()),
        )
        movements = [
            Movement(
                item_code=item.code,
                lot_number=lots.lot_number(serial),
                quantity=unit_quantity,
                source_location=place.code,
                target_location=target.code,
                source_state=QualityState.PENDING_INSPECTION,
                target_state=state,
                serial_number=serial,
            )
            for quantity, serials, target, state in (
                (
                    data.accepted_quantity,
                    data.accepted_serial_numbers,
                    accepted_at,
                    QualityState.QUALIFIED,
                ),
                (
                    data.rejected_quantity,
                    data.rejected_serial_numbers,
                    rejected_at,
                    QualityState.DEFECTIVE,
                ),
            )
            if quantity > 0
            for serial, unit_quantity in unit_quantities(quantity, serials)
        ]
        try:
            ledger = await post_movements(
                uow,
                single_lot.posting_context(
                    DOCUMENT_TYPE, inspection.id, item, locations, lots, now
                ),
                movements,
            )
        except InsufficientStockProblem as exc:
            raise _naming_short_serial(exc, data) from exc.__cause__
        out = _out(inspection, {loc.id: loc for loc in locations.values()}, lot, lots.by_id, ledger)
        payload = out.model_dump(mode="json")
        await uow.audit("post", "inspection", str(out.id), after=payload)
        emit_movements(uow, out.movements)
        uow.emit("InspectionPosted", "inspection", str(out.id), payload)
        await uow.commit()
        return out


async def reverse_inspection(
    uow: UnitOfWork, inspection_id: int, item: CatalogItem | None
) -> InspectionOut:
    """Take a posted inspection back: its qualified and defective stock returns to pending."""
    return await single_lot.reverse(
        uow,
        Inspection,
        inspection_id,
        item,
        document_type=DOCUMENT_TYPE,
        noun="inspection",
        entity="inspection",
        event="InspectionReversed",
        load=_load_many,
    )


async def inspection_item_code(session: AsyncSession, inspection_id: int) -> str:
    return await single_lot.item_code_of(session, Inspection, inspection_id, "inspection")


def _naming_short_serial(
    exc: InsufficientStockProblem, data: InspectionCreate
) -> InsufficientStockProblem:
    """The 409 of a serial-tracked unit that is not pending where the inspection says, with
    `serial_number` and the list that names it; other shortages as they are."""
    cause = exc.__cause__
    if not isinstance(cause, InsufficientStock) or not cause.key.serial_number:
        return exc
    key = cause.key
    lot = f" in lot {key.lot_number}" if key.lot_number else ""
    short = [
        FieldError(
            f"body.{field}",
            f"serial {key.serial_number} of {key.item_code} is not pending inspection at "
            f"{key.location_code}{lot}",
            "insufficient_stock",
        )
        for field, _, serials in _serial_lists(data)
        if key.serial_number in (serials or ())
    ]
    return InsufficientStockProblem(
        exc.detail, errors=short, extra={**exc.extra, "serial_number": key.serial_number}
    )


def _out(
    inspection: Inspection,
    locations: Mapping[int, Location],
    lot: Lot | None,
    lots: Mapping[int, Lot],
    ledger: Sequence[MovementRow],
) -> InspectionOut:
    return InspectionOut(
        **single_lot.common_fields(inspection, locations, lot, lots, ledger),
        accepted_location_code=locations[inspection.accepted_location_id].code,
        rejected_location_code=locations[inspection.rejected_location_id].code,
        accepted_quantity=inspection.accepted_quantity,
        rejected_quantity=inspection.rejected_quantity,
        accepted_serial_numbers=list(inspection.accepted_serial_numbers or ()),
        rejected_serial_numbers=list(inspection.rejected_serial_numbers or ()),
        sample_size=inspection.sample_size,
        result=InspectionResult(inspection.result),
        inspector=inspection.inspector,
        defects=[DefectOut.model_validate(d) for d in inspection.defects],
    )


async def _load_many(
    session: AsyncSession, inspections: Sequence[Inspection]
) -> list[InspectionOut]:
    """Inspections with their movements, in a fixed number of queries."""
    return await single_lot.load_many(
        session,
        DOCUMENT_TYPE,
        inspections,
        _out,
        location_ids=lambda i: (i.location_id, i.accepted_location_id, i.rejected_location_id),
    )


async def cancel_inspection(uow: UnitOfWork, inspection_id: int) -> InspectionOut:
    """Cancel a draft inspection."""
    return await drafts.cancel_document(
        uow,
        Inspection,
        inspection_id,
        noun="inspection",
        entity="inspection",
        event="InspectionCancelled",
        load=_load_many,
    )


async def get_inspection(session: AsyncSession, inspection_id: int) -> InspectionOut:
    inspection = await drafts.document_or_404(session, Inspection, inspection_id, "inspection")
    (out,) = await _load_many(session, [inspection])
    return out


async def list_inspections(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    lot_number: str | None,
    result: str | None,
    status: DocumentStatus | None = None,
) -> tuple[list[InspectionOut], str | None]:
    query = single_lot.listing(
        Inspection,
        lot_number,
        {
            Inspection.item_code: item_code,
            Inspection.result: result,
            Inspection.status: status.value if status else None,
        },
    )
    rows, cursor = await page_by_id(session, query, Inspection.id, page)
    return await _load_many(session, rows), cursor
