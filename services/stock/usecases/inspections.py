"""Quality inspections (QC): pending stock becomes qualified or defective, with a record.

An inspection takes pending-inspection stock of one lot at one location; the accepted
quantity moves to qualified, the rejected quantity to defective (at the same location
unless others are named, e.g. a quarantine for rejects). What is not inspected stays
pending, so a lot can be inspected in several goes. A posted inspection can be reversed
as a whole while the stock it moved is still where it put it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Inspection, Location, Lot, MovementRow
from services.stock.db.queries import locations_by_codes, locations_by_ids, lots_by_ids
from services.stock.domain.model import Movement, QualityState, Tracking
from services.stock.schemas import (
    DefectOut,
    DocumentStatus,
    InspectionCreate,
    InspectionOut,
    InspectionResult,
)
from services.stock.usecases.document_lines import emit_movements
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.posting import (
    DocumentReversed,
    PostingContext,
    post_movements,
    reverse_document,
)
from services.stock.usecases.receipts import lot_out, movement_out
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
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
    item = await catalog.item_by_code(data.item_code)
    if item is None:
        return None, [
            FieldError("body.item_code", f"the catalog has no item {data.item_code!r}", "not_found")
        ]
    tracking = Tracking(item.tracking)
    if tracking is Tracking.LOT and data.lot_number is None:
        return item, [FieldError("body.lot_number", "the item is lot-tracked", "missing")]
    if tracking is Tracking.NONE and data.lot_number is not None:
        return item, [FieldError("body.lot_number", "the item is not lot-tracked", "invalid")]
    if tracking is Tracking.SERIAL:
        return item, [
            FieldError("body.item_code", "serial-tracked items are not handled yet", "invalid")
        ]
    return item, []


async def post_inspection(
    uow: UnitOfWork, data: InspectionCreate, item: CatalogItem | None, errors: list[FieldError]
) -> InspectionOut:
    """Post an inspection: pending -> qualified / defective, and keep the QC record."""
    async with uow:
        session = uow.session
        named = {
            "body.location_code": data.location_code,
            "body.accepted_location_code": data.accepted_location_code or data.location_code,
            "body.rejected_location_code": data.rejected_location_code or data.location_code,
        }
        locations = await locations_by_codes(session, set(named.values()))
        errors = list(errors)
        for field, code in named.items():
            problem = stock_location_error(field, code, locations.get(code))
            if problem is not None:
                errors.append(problem)
        lot: Lot | None = None
        if data.lot_number is not None:
            lot = (
                await session.scalars(
                    select(Lot).where(
                        Lot.item_code == data.item_code, Lot.lot_number == data.lot_number
                    )
                )
            ).one_or_none()
            if lot is None:
                errors.append(
                    FieldError(
                        "body.lot_number",
                        f"{data.item_code} has no lot {data.lot_number!r}",
                        "not_found",
                    )
                )
        if errors or item is None:
            raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
        now = utcnow()
        place = locations[data.location_code]
        accepted_at = locations[named["body.accepted_location_code"]]
        rejected_at = locations[named["body.rejected_location_code"]]
        inspection = Inspection(
            number=f"tmp-{uuid.uuid4().hex[:24]}",
            status=DocumentStatus.POSTED.value,
            item_code=item.code,
            lot_id=lot.id if lot else None,
            location_id=place.id,
            accepted_location_id=accepted_at.id,
            rejected_location_id=rejected_at.id,
            accepted_quantity=data.accepted_quantity,
            rejected_quantity=data.rejected_quantity,
            sample_size=data.sample_size,
            result=result_of(data.accepted_quantity, data.rejected_quantity).value,
            inspector=data.inspector,
            defects=[d.model_dump() for d in data.defects],
            note=data.note,
            posted_at=now,
            posted_by=uow.actor,
        )
        session.add(inspection)
        await session.flush()
        inspection.number = f"QC-{inspection.id:08d}"
        lot_key = lot.lot_number if lot else ""
        movements = [
            Movement(
                item_code=item.code,
                lot_number=lot_key,
                quantity=quantity,
                source_location=place.code,
                target_location=target.code,
                source_state=QualityState.PENDING_INSPECTION,
                target_state=state,
            )
            for quantity, target, state in (
                (data.accepted_quantity, accepted_at, QualityState.QUALIFIED),
                (data.rejected_quantity, rejected_at, QualityState.DEFECTIVE),
            )
            if quantity > 0
        ]
        ledger = await post_movements(
            uow,
            PostingContext(
                document_type=DOCUMENT_TYPE,
                document_id=inspection.id,
                item_types={item.code: item.item_type},
                locations=locations,
                lot_ids={(item.code, lot_key): lot.id if lot else None},
                posted_at=now,
            ),
            movements,
        )
        out = _out(inspection, {loc.id: loc for loc in locations.values()}, lot, ledger)
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
    async with uow:
        session = uow.session
        inspection = await session.get(Inspection, inspection_id, with_for_update=True)
        if inspection is None:
            raise NotFound(f"inspection {inspection_id} does not exist")
        if inspection.status == DocumentStatus.REVERSED.value:
            raise DocumentReversed(
                f"inspection {inspection.number} was reversed at {inspection.reversed_at}"
            )
        if item is None:
            raise Conflict(f"the catalog no longer knows item {inspection.item_code!r}")
        now = utcnow()
        await reverse_document(uow, DOCUMENT_TYPE, inspection.id, {item.code: item.item_type}, now)
        inspection.status = DocumentStatus.REVERSED.value
        inspection.reversed_at = now
        inspection.reversed_by = uow.actor
        await session.flush()
        out = await _load_out(session, inspection)
        payload = out.model_dump(mode="json")
        await uow.audit("reverse", "inspection", str(out.id), after=payload)
        emit_movements(uow, (m for m in out.movements if m.reversal_of_id is not None))
        uow.emit("InspectionReversed", "inspection", str(out.id), payload)
        await uow.commit()
        return out


async def inspection_item_code(session: AsyncSession, inspection_id: int) -> str:
    code = await session.scalar(select(Inspection.item_code).where(Inspection.id == inspection_id))
    if code is None:
        raise NotFound(f"inspection {inspection_id} does not exist")
    return code


def _out(
    inspection: Inspection,
    locations: dict[int, Location],
    lot: Lot | None,
    ledger: list[MovementRow],
) -> InspectionOut:
    lots = {lot.id: lot} if lot else {}
    return InspectionOut(
        id=inspection.id,
        number=inspection.number,
        status=DocumentStatus(inspection.status),
        item_code=inspection.item_code,
        lot=lot_out(lot) if lot else None,
        location_code=locations[inspection.location_id].code,
        accepted_location_code=locations[inspection.accepted_location_id].code,
        rejected_location_code=locations[inspection.rejected_location_id].code,
        accepted_quantity=inspection.accepted_quantity,
        rejected_quantity=inspection.rejected_quantity,
        sample_size=inspection.sample_size,
        result=InspectionResult(inspection.result),
        inspector=inspection.inspector,
        defects=[DefectOut.model_validate(d) for d in inspection.defects],
        note=inspection.note,
        posted_at=inspection.posted_at,
        posted_by=inspection.posted_by,
        reversed_at=inspection.reversed_at,
        reversed_by=inspection.reversed_by,
        movements=[movement_out(row, locations, lots) for row in ledger],
    )


async def _load_out(session: AsyncSession, inspection: Inspection) -> InspectionOut:
    ledger = list(
        await session.scalars(
            select(MovementRow)
            .where(
                MovementRow.document_type == DOCUMENT_TYPE,
                MovementRow.document_id == inspection.id,
            )
            .order_by(MovementRow.id)
        )
    )
    locations = await locations_by_ids(
        session,
        [inspection.location_id, inspection.accepted_location_id, inspection.rejected_location_id]
        + [m.from_location_id for m in ledger]
        + [m.to_location_id for m in ledger],
    )
    lots = await lots_by_ids(session, [inspection.lot_id])
    lot = lots.get(inspection.lot_id) if inspection.lot_id else None
    return _out(inspection, locations, lot, ledger)


async def get_inspection(session: AsyncSession, inspection_id: int) -> InspectionOut:
    inspection = await session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound(f"inspection {inspection_id} does not exist")
    return await _load_out(session, inspection)


async def list_inspections(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    lot_number: str | None,
    result: str | None,
) -> tuple[list[InspectionOut], str | None]:
    query = where_equal(
        select(Inspection), {Inspection.item_code: item_code, Inspection.result: result}
    )
    if lot_number is not None:
        query = query.where(
            Inspection.lot_id.in_(select(Lot.id).where(Lot.lot_number == lot_number))
        )
    rows, cursor = await page_by_id(session, query, Inspection.id, page)
    return [await _load_out(session, row) for row in rows], cursor
