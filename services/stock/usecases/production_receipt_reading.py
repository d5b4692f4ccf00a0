"""Reading production receipts: one, or a page, with outputs, consumption and movements in a
fixed number of queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import (
    Location,
    Lot,
    MovementRow,
    ProductionConsumption,
    ProductionReceipt,
    ProductionReceiptOutput,
)
from services.stock.db.queries import document_ledgers, locations_by_ids, lots_by_ids
from services.stock.domain.model import QualityState
from services.stock.production_receipt_schemas import (
    ComponentOut,
    OutputOut,
    ProductionReceiptOut,
)
from services.stock.schemas import DocumentStatus
from services.stock.usecases.receipts import movement_out
from shared.db.paging import page_by_id, where_equal
from shared.errors import NotFound
from shared.http.pagination import PageParams

DOCUMENT_TYPE = "production_receipt"


def missing(document_id: int) -> NotFound:
    return NotFound(f"production receipt {document_id} does not exist")


async def document_item_codes(session: AsyncSession, document_id: int) -> list[str]:
    """The distinct items a document produced or consumed (for the catalog look-up)."""
    if await session.get(ProductionReceipt, document_id) is None:
        raise missing(document_id)
    produced = select(ProductionReceiptOutput.item_code).where(
        ProductionReceiptOutput.document_id == document_id
    )
    consumed = select(ProductionConsumption.item_code).where(
        ProductionConsumption.document_id == document_id
    )
    return sorted(set(await session.scalars(produced.union(consumed))))


def _lot_number(lots: Mapping[int, Lot], lot_id: int | None) -> str | None:
    return lots[lot_id].lot_number if lot_id is not None else None


def document_out(
    document: ProductionReceipt,
    outputs: Sequence[ProductionReceiptOutput],
    components: Sequence[ProductionConsumption],
    ledger: Sequence[MovementRow],
    locations: dict[int, Location],
    lots: dict[int, Lot],
) -> ProductionReceiptOut:
    return ProductionReceiptOut(
        id=document.id,
        number=document.number,
        status=DocumentStatus(document.status),
        work_order=document.work_order,
        to_location_code=locations[document.to_location_id].code,
        wip_location_code=(
            locations[document.wip_location_id].code if document.wip_location_id else None
        ),
        note=document.note,
        created_at=document.created_at,
        created_by=document.created_by,
        posted_at=document.posted_at,
        posted_by=document.posted_by,
        cancelled_at=document.cancelled_at,
        cancelled_by=document.cancelled_by,
        reversed_at=document.reversed_at,
        reversed_by=document.reversed_by,
        outputs=[
            OutputOut(
                line_no=o.line_no,
                item_code=o.item_code,
                lot_id=o.lot_id,
                lot_number=_lot_number(lots, o.lot_id),
                quantity=o.quantity,
                quality_state=QualityState(o.quality_state),
                serial_numbers=list(o.serial_numbers or ()),
            )
            for o in outputs
        ],
        components=[
            ComponentOut(
                line_no=c.line_no,
                item_code=c.item_code,
                lot_id=c.lot_id,
                lot_number=_lot_number(lots, c.lot_id),
                quantity=c.quantity,
                backflushed=c.backflushed,
                serial_numbers=list(c.serial_numbers or ()),
            )
            for c in components
        ],
        movements=[movement_out(row, locations, lots) for row in ledger],
        draft_request=document.draft,
    )


async def load_many(
    session: AsyncSession, documents: Sequence[ProductionReceipt]
) -> list[ProductionReceiptOut]:
    """Documents with their outputs, consumption and movements, in a fixed number of queries."""
    if not documents:
        return []
    ids = [d.id for d in documents]
    outputs: dict[int, list[ProductionReceiptOutput]] = {i: [] for i in ids}
    for output in await session.scalars(
        select(ProductionReceiptOutput)
        .where(ProductionReceiptOutput.document_id.in_(ids))
        .order_by(ProductionReceiptOutput.document_id, ProductionReceiptOutput.line_no)
    ):
        outputs[output.document_id].append(output)
    components: dict[int, list[ProductionConsumption]] = {i: [] for i in ids}
    for component in await session.scalars(
        select(ProductionConsumption)
        .where(ProductionConsumption.document_id.in_(ids))
        .order_by(ProductionConsumption.id)
    ):
        components[component.document_id].append(component)
    ledger = await document_ledgers(session, [DOCUMENT_TYPE], ids)
    rows = [row for group in ledger.values() for row in group]
    locations = await locations_by_ids(
        session,
        [d.to_location_id for d in documents]
        + [d.wip_location_id for d in documents if d.wip_location_id is not None]
        + [r.from_location_id for r in rows]
        + [r.to_location_id for r in rows],
    )
    lots = await lots_by_ids(
        session,
        [o.lot_id for group in outputs.values() for o in group]
        + [c.lot_id for group in components.values() for c in group]
        + [r.lot_id for r in rows],
    )
    return [
        document_out(d, outputs[d.id], components[d.id], ledger[d.id], locations, lots)
        for d in documents
    ]


async def get_document(session: AsyncSession, document_id: int) -> ProductionReceiptOut:
    """One production receipt with its outputs, consumption and movements."""
    document = await session.get(ProductionReceipt, document_id)
    if document is None:
        raise missing(document_id)
    return (await load_many(session, [document]))[0]


async def list_documents(
    session: AsyncSession,
    page: PageParams,
    *,
    work_order: str | None,
    item_code: str | None,
    status: DocumentStatus | None,
) -> tuple[list[ProductionReceiptOut], str | None]:
    """Production receipts in posting order; by work order, an output item, status."""
    query = where_equal(
        select(ProductionReceipt),
        {
            ProductionReceipt.work_order: work_order,
            ProductionReceipt.status: status.value if status else None,
        },
    )
    if item_code is not None:
        query = query.where(
            ProductionReceipt.id.in_(
                select(ProductionReceiptOutput.document_id).where(
                    ProductionReceiptOutput.item_code == item_code
                )
            )
        )
    rows, cursor = await page_by_id(session, query, ProductionReceipt.id, page)
    return await load_many(session, rows), cursor
