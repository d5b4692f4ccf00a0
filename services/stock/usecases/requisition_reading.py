"""Reading requisitions: one, or a page, with lines and movements in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Location, Lot, MovementRow, Requisition
from services.stock.db.models import RequisitionLine as LineRow
from services.stock.db.queries import document_ledgers, locations_by_ids, lots_by_ids
from services.stock.requisition_schemas import (
    RequisitionLineOut,
    RequisitionOut,
    RequisitionStatus,
)
from services.stock.schemas import ApprovalState
from services.stock.usecases.receipts import movement_out
from shared.db.paging import page_by_id, where_equal
from shared.errors import NotFound
from shared.http.pagination import PageParams

DOCUMENT_TYPE = "requisition"


def missing(requisition_id: int) -> NotFound:
    return NotFound(f"requisition {requisition_id} does not exist")


async def lines_of(session: AsyncSession, requisition_id: int) -> list[LineRow]:
    return list(
        await session.scalars(
            select(LineRow)
            .where(LineRow.requisition_id == requisition_id)
            .order_by(LineRow.line_no)
        )
    )


def _out(
    requisition: Requisition,
    lines: Sequence[LineRow],
    ledger: Sequence[MovementRow],
    locations: Mapping[int, Location],
    lots: Mapping[int, Lot],
) -> RequisitionOut:
    return RequisitionOut(
        id=requisition.id,
        number=requisition.number,
        status=RequisitionStatus(requisition.status),
        work_order=requisition.work_order,
        to_location_code=locations[requisition.to_location_id].code,
        from_location_code=(
            locations[requisition.from_location_id].code if requisition.from_location_id else None
        ),
        note=requisition.note,
        lines=[
            RequisitionLineOut(
                line_no=ln.line_no,
                item_code=ln.item_code,
                quantity=ln.quantity,
                lot_number=lots[ln.lot_id].lot_number if ln.lot_id else None,
                serial_numbers=list(ln.serial_numbers or ()),
                entered_quantity=ln.entered_quantity,
                entered_uom=ln.entered_uom,
            )
            for ln in lines
        ],
        created_at=requisition.created_at,
        created_by=requisition.created_by,
        submitted_at=requisition.submitted_at,
        submitted_by=requisition.submitted_by,
        posted_at=requisition.posted_at,
        posted_by=requisition.posted_by,
        cancelled_at=requisition.cancelled_at,
        cancelled_by=requisition.cancelled_by,
        reversed_at=requisition.reversed_at,
        reversed_by=requisition.reversed_by,
        approval=ApprovalState(requisition.approval),
        approval_ref=requisition.approval_ref,
        movements=[movement_out(row, dict(locations), dict(lots)) for row in ledger],
    )


async def load_many(
    session: AsyncSession, requisitions: Sequence[Requisition]
) -> list[RequisitionOut]:
    """Requisitions with their lines and movements, in a fixed number of queries."""
    if not requisitions:
        return []
    ids = [r.id for r in requisitions]
    lines: dict[int, list[LineRow]] = {i: [] for i in ids}
    for line in await session.scalars(
        select(LineRow)
        .where(LineRow.requisition_id.in_(ids))
        .order_by(LineRow.requisition_id, LineRow.line_no)
    ):
        lines[line.requisition_id].append(line)
    ledger = await document_ledgers(session, [DOCUMENT_TYPE], ids)
    every_line = [line for group in lines.values() for line in group]
    every_row = [row for group in ledger.values() for row in group]
    locations = await locations_by_ids(
        session,
        [r.to_location_id for r in requisitions]
        + [r.from_location_id for r in requisitions if r.from_location_id is not None]
        + [m.from_location_id for m in every_row]
        + [m.to_location_id for m in every_row],
    )
    lots = await lots_by_ids(
        session, [ln.lot_id for ln in every_line] + [m.lot_id for m in every_row]
    )
    return [_out(r, lines[r.id], ledger[r.id], locations, lots) for r in requisitions]


async def item_codes(session: AsyncSession, requisition_id: int) -> list[str]:
    """The distinct items of a requisition's lines (for the catalog look-up)."""
    if await session.get(Requisition, requisition_id) is None:
        raise missing(requisition_id)
    return sorted(
        set(
            await session.scalars(
                select(LineRow.item_code).where(LineRow.requisition_id == requisition_id)
            )
        )
    )


async def get_requisition(session: AsyncSession, requisition_id: int) -> RequisitionOut:
    requisition = await session.get(Requisition, requisition_id)
    if requisition is None:
        raise missing(requisition_id)
    return (await load_many(session, [requisition]))[0]


async def list_requisitions(
    session: AsyncSession, page: PageParams, *, status: str | None, work_order: str | None
) -> tuple[list[RequisitionOut], str | None]:
    """Requisitions, oldest first, by status or work order."""
    query = where_equal(
        select(Requisition),
        {Requisition.status: status, Requisition.work_order: work_order},
    )
    rows, cursor = await page_by_id(session, query, Requisition.id, page)
    return await load_many(session, rows), cursor
