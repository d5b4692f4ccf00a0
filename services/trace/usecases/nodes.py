"""Listing genealogy nodes by what is known of them (including the as-built revision)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.trace.db.models import TraceNode, TraceWorkOrder
from services.trace.schemas import NodeOut
from services.trace.usecases.genealogy import NodeBook
from shared.db.paging import page_by_id, where_equal
from shared.http.pagination import PageParams


async def list_nodes(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    kind: str | None,
    lot_number: str | None,
    status: str | None,
    work_order: str | None,
    bom_revision: str | None,
    supplier: str | None,
    customer: str | None,
    sales_order: str | None,
) -> tuple[list[NodeOut], str | None]:
    query = where_equal(
        select(TraceNode),
        {
            TraceNode.item_code: item_code,
            TraceNode.kind: kind,
            TraceNode.work_order: work_order,
            TraceNode.supplier: supplier,
            TraceNode.customer: customer,
            TraceNode.sales_order: sales_order,
        },
    )
    if lot_number:
        # a lot, or the units of a lot
        query = query.where(
            (TraceNode.lot_number == lot_number)
            | ((TraceNode.kind == "lot") & (TraceNode.code == lot_number))
        )
    if status == "unknown":
        query = query.where(TraceNode.status == "")
    elif status:
        query = query.where(TraceNode.status == status)
    if bom_revision:
        query = query.where(
            TraceNode.work_order.in_(
                select(TraceWorkOrder.number).where(TraceWorkOrder.bom_revision == bom_revision)
            )
        )
    rows, cursor = await page_by_id(session, query, TraceNode.id, page)
    book = NodeBook()
    await book.load(session, [row.id for row in rows])
    return [book.out(row.id) for row in rows], cursor
