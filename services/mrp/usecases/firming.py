"""Firming a planned order: a buy order becomes a purchase order, a make order a work order
(built to the BOM version the run exploded), once.

The planned order is locked while it is firmed, so two firmings of one planned order
never both create an order: the second gets 409 `planned_order_firmed`.

Under a closed approval gate (`firming_approval`, `planned_order_firming`) the firming
waits instead: everything it checks is checked first (a firming that would be refused is
refused, not held), then the planned order stays `planned`, `approval: pending`, with
the request kept (`firm_request`), and `ApprovalRequested` tells workflow, in one
transaction. Only workflow's decision firms it (`approved_by`: through this same code,
with the request kept) or lets it go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.clients import CatalogItem, PlanningData
from services.mrp.db.models import PlannedOrderRow, PurchaseOrder, WorkOrder
from services.mrp.run_schemas import FIRMING, ApprovalState, FirmOut, FirmRequest
from services.mrp.usecases.common import number_free
from services.mrp.usecases.firming_approval import (
    ApprovalNotPending,
    ApprovalPending,
    approval_required,
    planned_reference,
)
from services.mrp.usecases.orders import insert_purchase_order
from services.mrp.usecases.runs import planned_order_outs
from services.mrp.usecases.work_orders import insert_work_order, pinned_bom
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.schemas import plain


class PlannedOrderFirmed(Conflict):
    code = "planned_order_firmed"
    title = "The planned order was firmed already"


@dataclass(frozen=True, slots=True)
class Firming:
    """What firming a planned order with a request creates, every check passed."""

    item: CatalogItem
    #: `MRP-…/<number>`: how the new order, its note and approval events name it.
    reference: str
    quantity: Decimal
    start: date
    due: date
    bom_revision: str | None


async def _checked(
    session: AsyncSession,
    row: PlannedOrderRow,
    body: FirmRequest,
    item: CatalogItem | None,
    planning: PlanningData | None,
) -> Firming:
    """Everything that refuses a firming, checked before anything is written or held."""
    if item is None:
        raise NotFound(f"the catalog no longer has item {row.item_code}")
    quantity = body.quantity or row.quantity
    due = body.due_date or row.due_date
    start = row.release_date
    if body.due_date is not None:
        start = body.due_date - timedelta(days=(row.due_date - row.release_date).days)
    revision = None
    if row.procurement == "buy":
        if body.supplier is None:
            raise InvalidInput(
                "a supplier is needed",
                errors=[FieldError("body.supplier", "required to firm a buy order", "missing")],
            )
        await number_free(session, PurchaseOrder, body.number)
    else:
        if planning is not None and row.bom_id is not None:
            revision = planning.bom_revisions.get(row.bom_id)
        await number_free(session, WorkOrder, body.number)
        if body.release and planning is not None:
            pinned_bom(item.id, item.code, start, planning, revision, "body.bom_revision")
    reference = await planned_reference(session, row)
    return Firming(item, reference, quantity, start, due, revision)


async def firm_planned_order(
    uow: UnitOfWork,
    order_id: int,
    body: FirmRequest,
    item: CatalogItem | None,
    planning: PlanningData | None,
    *,
    approved_by: str | None = None,
) -> FirmOut:
    """Firm a planned order, or hold it for approval under a closed gate (then its
    `planned_order.approval` is `pending` and `order_number` empty).

    `approved_by` (workflow's reference) firms one that waits, with its held request,
    marking it approved; refused, it stays pending (nothing is written)."""
    async with uow:
        session = uow.session
        row = await session.get(
            PlannedOrderRow, order_id, with_for_update=True, populate_existing=True
        )
        if row is None:
            raise NotFound(f"no planned order {order_id}")
        if row.status != "planned":
            raise PlannedOrderFirmed(f"planned order {order_id} is already {row.firmed_as}")
        waiting = row.approval == ApprovalState.PENDING.value
        if waiting and approved_by is None:
            raise ApprovalPending(
                f"planned order {order_id} waits for its firming's approval flow; it is "
                "firmed when the flow approves it"
            )
        if approved_by is not None and not waiting:
            raise ApprovalNotPending(f"planned order {order_id} does not wait for an approval")
        firming = await _checked(session, row, body, item, planning)
        if approved_by is None and await approval_required(session):
            return await _hold(uow, row, body, firming)
        if approved_by is not None:
            row.approval, row.approval_ref = ApprovalState.APPROVED.value, approved_by
        item, reference = firming.item, firming.reference
        purchase_id = work_id = None
        if row.procurement == "buy":
            assert body.supplier is not None
            purchase = await insert_purchase_order(
                uow,
                number=body.number,
                supplier=body.supplier,
                note=f"from planned order {reference}",
                lines=[(item, firming.quantity, firming.due)],
                planned_order=reference,
            )
            purchase_id, number = purchase.id, purchase.number
        else:
            work = await insert_work_order(
                uow,
                number=body.number,
                item=item,
                quantity=firming.quantity,
                start_date=firming.start,
                due_date=firming.due,
                wip_location_code=body.wip_location_code,
                output_location_code=body.output_location_code,
                note=f"from planned order {reference}",
                planned_order=reference,
                bom_id=row.bom_id,
                bom_revision=firming.bom_revision,
                release_with=planning if body.release else None,
            )
            work_id, number = work.id, work.number
        row.status = "firmed"
        row.firmed_as = number
        await session.flush()
        (planned,) = await planned_order_outs(session, [row])
        await uow.audit("firm", "planned_order", str(row.id), after=planned)
        uow.emit(
            "PlannedOrderFirmed",
            "planned_order",
            str(row.id),
            {"planned_order": planned.model_dump(mode="json"), "order_number": number},
        )
        await uow.commit()
    return FirmOut(
        approval=planned.approval,
        planned_order=planned,
        purchase_order_id=purchase_id,
        work_order_id=work_id,
        order_number=number,
    )


async def _hold(
    uow: UnitOfWork, row: PlannedOrderRow, body: FirmRequest, firming: Firming
) -> FirmOut:
    """Keep the planned order planned, waiting for workflow's decision with its request;
    announce `ApprovalRequested`; commit."""
    row.approval, row.approval_ref = ApprovalState.PENDING.value, ""
    row.firm_request = body.model_dump(mode="json")
    row.approval_requested_by = uow.actor
    await uow.session.flush()
    (planned,) = await planned_order_outs(uow.session, [row])
    await uow.audit("request_approval", "planned_order", str(row.id), after=planned)
    uow.emit(
        "ApprovalRequested",
        "planned_order",
        str(row.id),
        {
            "document_type": FIRMING,
            "document_id": row.id,
            "number": firming.reference,
            "requested_by": uow.actor,
            "order_type": row.procurement,
            "due_date": firming.due.isoformat(),
            "start_date": firming.start.isoformat(),
            "lines": [
                {
                    "line_no": 1,
                    "item_code": row.item_code,
                    "quantity": plain(firming.quantity),
                    "uom": firming.item.uom,
                    "lot_number": None,
                    "unit_price": None,
                }
            ],
            "location_code": "",
            "supplier": body.supplier or "",
            "purchase_order": "",
            "reason": "",
            "note": "",
        },
    )
    await uow.commit()
    return FirmOut(
        approval=planned.approval,
        planned_order=planned,
        purchase_order_id=None,
        work_order_id=None,
        order_number="",
    )
