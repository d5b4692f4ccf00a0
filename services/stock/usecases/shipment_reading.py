"""Reading shipments: one, or a page, with lines and movements in a fixed number of queries.

A list by `status` finds drafts (`draft`) and cancelled drafts (`cancelled`) as well."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Location, Lot, MovementRow, Shipment, ShipmentLine
from services.stock.db.queries import document_ledgers, locations_by_ids, lots_by_ids
from services.stock.schemas import DocumentStatus
from services.stock.shipment_schemas import ShipmentLineOut, ShipmentOut
from services.stock.usecases.receipts import movement_out
from shared.db.paging import page_by_id, where_equal
from shared.errors import NotFound
from shared.http.pagination import PageParams

DOCUMENT_TYPE = "shipment"


def missing(shipment_id: int) -> NotFound:
    return NotFound(f"shipment {shipment_id} does not exist")


def shipment_out(
    shipment: Shipment,
    lines: Sequence[ShipmentLine],
    ledger: Sequence[MovementRow],
    locations: Mapping[int, Location],
    lots: Mapping[int, Lot],
) -> ShipmentOut:
    return ShipmentOut(
        id=shipment.id,
        number=shipment.number,
        status=DocumentStatus(shipment.status),
        sales_order=shipment.sales_order,
        customer=shipment.customer,
        from_location_code=locations[shipment.from_location_id].code,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        note=shipment.note,
        created_at=shipment.created_at,
        created_by=shipment.created_by,
        posted_at=shipment.posted_at,
        posted_by=shipment.posted_by,
        cancelled_at=shipment.cancelled_at,
        cancelled_by=shipment.cancelled_by,
        reversed_at=shipment.reversed_at,
        reversed_by=shipment.reversed_by,
        lines=[
            ShipmentLineOut(
                line_no=line.line_no,
                sales_order_line=line.sales_order_line,
                item_code=line.item_code,
                lot_id=line.lot_id,
                lot_number=lots[line.lot_id].lot_number if line.lot_id is not None else None,
                quantity=line.quantity,
                serial_numbers=list(line.serial_numbers or ()),
            )
            for line in sorted(lines, key=lambda line: (line.line_no, line.id))
        ],
        movements=[movement_out(row, dict(locations), dict(lots)) for row in ledger],
        draft_request=shipment.draft,
    )


async def load_many(session: AsyncSession, shipments: Sequence[Shipment]) -> list[ShipmentOut]:
    """Shipments with their lines and movements, in a fixed number of queries."""
    if not shipments:
        return []
    ids = [s.id for s in shipments]
    lines: dict[int, list[ShipmentLine]] = {i: [] for i in ids}
    for line in await session.scalars(
        select(ShipmentLine)
        .where(ShipmentLine.shipment_id.in_(ids))
        .order_by(ShipmentLine.shipment_id, ShipmentLine.line_no, ShipmentLine.id)
    ):
        lines[line.shipment_id].append(line)
    ledger = await document_ledgers(session, [DOCUMENT_TYPE], ids)
    every_line = [line for group in lines.values() for line in group]
    every_row = [row for group in ledger.values() for row in group]
    locations = await locations_by_ids(
        session,
        [s.from_location_id for s in shipments]
        + [r.from_location_id for r in every_row]
        + [r.to_location_id for r in every_row],
    )
    lots = await lots_by_ids(
        session, [line.lot_id for line in every_line] + [row.lot_id for row in every_row]
    )
    return [shipment_out(s, lines[s.id], ledger[s.id], locations, lots) for s in shipments]


async def shipment_item_codes(session: AsyncSession, shipment_id: int) -> list[str]:
    """The distinct items a shipment moved (for the catalog look-up before reversing)."""
    if await session.get(Shipment, shipment_id) is None:
        raise missing(shipment_id)
    codes = await session.scalars(
        select(ShipmentLine.item_code)
        .where(ShipmentLine.shipment_id == shipment_id)
        .distinct()
        .order_by(ShipmentLine.item_code)
    )
    return list(codes)


async def get_shipment(session: AsyncSession, shipment_id: int) -> ShipmentOut:
    shipment = await session.get(Shipment, shipment_id)
    if shipment is None:
        raise missing(shipment_id)
    return (await load_many(session, [shipment]))[0]


async def list_shipments(
    session: AsyncSession,
    page: PageParams,
    *,
    sales_order: str | None,
    customer: str | None,
    item_code: str | None,
    status: DocumentStatus | None,
) -> tuple[list[ShipmentOut], str | None]:
    """Shipments in posting order; by sales order, customer, an item on any line, status."""
    query = where_equal(
        select(Shipment),
        {
            Shipment.sales_order: sales_order,
            Shipment.customer: customer,
            Shipment.status: status.value if status else None,
        },
    )
    if item_code is not None:
        query = query.where(
            Shipment.id.in_(
                select(ShipmentLine.shipment_id).where(ShipmentLine.item_code == item_code)
            )
        )
    rows, cursor = await page_by_id(session, query, Shipment.id, page)
    return await load_many(session, rows), cursor
