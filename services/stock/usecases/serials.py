"""Serial-tracked units: where each is now, or how it left, and its history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Lot, MovementRow, Serial
from services.stock.db.queries import location_by_code, locations_by_ids, lots_by_ids
from services.stock.domain.model import QualityState, SerialStatus
from services.stock.schemas import SerialDetail, SerialOut
from services.stock.usecases.receipts import movement_out
from shared.db.paging import page_by_id, where_equal
from shared.errors import NotFound
from shared.http.pagination import PageParams

#: Rows for serials still being created by an open transaction carry no status.
_KNOWN = Serial.status != ""


async def _outs(session: AsyncSession, rows: list[Serial]) -> list[SerialOut]:
    locations = await locations_by_ids(session, [r.location_id for r in rows if r.location_id])
    lots = await lots_by_ids(session, [r.lot_id for r in rows])
    return [
        SerialOut(
            id=row.id,
            item_code=row.item_code,
            serial_number=row.serial_number,
            status=SerialStatus(row.status),
            lot_number=lots[row.lot_id].lot_number if row.lot_id else None,
            location_code=locations[row.location_id].code if row.location_id else None,
            quality_state=QualityState(row.quality_state) if row.quality_state else None,
            first_seen_at=row.first_seen_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


async def list_serials(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    serial_number: str | None,
    status: SerialStatus | None,
    location_code: str | None,
    lot_number: str | None,
) -> tuple[list[SerialOut], str | None]:
    query = where_equal(
        select(Serial).where(_KNOWN),
        {
            Serial.item_code: item_code,
            Serial.serial_number: serial_number,
            Serial.status: status.value if status else None,
        },
    )
    if location_code is not None:
        location = await location_by_code(session, location_code)
        query = query.where(Serial.location_id == (location.id if location else -1))
    if lot_number is not None:
        query = query.join(Lot, Lot.id == Serial.lot_id).where(Lot.lot_number == lot_number)
    rows, cursor = await page_by_id(session, query, Serial.id, page)
    return await _outs(session, rows), cursor


async def get_serial(session: AsyncSession, serial_id: int) -> SerialDetail:
    row = await session.scalar(select(Serial).where(Serial.id == serial_id, _KNOWN))
    if row is None:
        raise NotFound(f"serial {serial_id} does not exist")
    (out,) = await _outs(session, [row])
    ledger = list(
        await session.scalars(
            select(MovementRow)
            .where(
                MovementRow.item_code == row.item_code,
                MovementRow.serial_number == row.serial_number,
            )
            .order_by(MovementRow.posted_at, MovementRow.sequence)
        )
    )
    locations = await locations_by_ids(
        session, [m.from_location_id for m in ledger] + [m.to_location_id for m in ledger]
    )
    lots = await lots_by_ids(session, [m.lot_id for m in ledger])
    return SerialDetail(
        **out.model_dump(), history=[movement_out(m, locations, lots) for m in ledger]
    )
