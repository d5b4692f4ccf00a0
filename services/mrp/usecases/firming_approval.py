"""The approval gate on firming planned orders (`planned_order_firming`).

Workflow closes the gate when a flow for firmings is activated and opens it when the flow
is deactivated (`PUT /v1/firming-approval-gate`). Under a closed gate, firming a planned
order holds it instead (`usecases.firming`): it stays `planned`, `approval: pending`,
its `FirmRequest` kept, and `ApprovalRequested` goes out in that transaction, so nobody
can firm it in between (409 `approval_pending`). Workflow's decision
(`POST /v1/planned-orders/{id}/approval-decision`): `approved` firms it with the request
kept, through the firm route's own code, all or nothing (refused now, it stays pending);
anything else leaves it planned, `approval: not_required`, to be firmed again
(`ApprovalReturned`). A decision on a planned order that no longer waits is answered
with it as it is when it records that decision's `reference`, else 409. Opening the
gate releases nothing already waiting: workflow still decides it.

Planned orders are never deleted or cancelled: a new MRP run stores its own planned
orders and leaves older runs' as they are (a pending one keeps waiting for its
decision), so nothing here announces `ApprovalCancelled`. Reading and setting the gate
is `shared.approvals`, as in stock and the catalog.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.db.models import ApprovalGate, MrpRun, PlannedOrderRow, PurchaseOrder, WorkOrder
from services.mrp.run_schemas import (
    FIRMING,
    ApprovalDecision,
    ApprovalGateIn,
    ApprovalGateOut,
    ApprovalState,
    FirmOut,
)
from services.mrp.usecases.runs import planned_order_outs
from shared import approvals
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound


class ApprovalPending(Conflict):
    code = "approval_pending"
    title = "The planned order's firming waits for its approval flow"


class ApprovalNotPending(Conflict):
    code = "approval_not_pending"
    title = "The planned order does not wait for an approval"


async def approval_required(session: AsyncSession) -> bool:
    """Whether a planned order firmed now waits for approval."""
    return await approvals.approval_required(session, ApprovalGate, FIRMING)


async def get_gate(session: AsyncSession) -> ApprovalGateOut:
    """The firming gate (open when never set)."""
    return await approvals.get_gate(session, ApprovalGate, FIRMING, ApprovalGateOut)


async def set_gate(uow: UnitOfWork, body: ApprovalGateIn) -> ApprovalGateOut:
    """Close or open the firming gate (idempotent: the same state twice is one)."""
    return await approvals.set_gate(uow, ApprovalGate, FIRMING, body, ApprovalGateOut)


async def planned_reference(session: AsyncSession, row: PlannedOrderRow) -> str:
    """How a planned order is named outside its run: `<run number>/<number>`."""
    run = await session.get(MrpRun, row.run_id)
    assert run is not None
    return f"{run.number}/{row.number}"


async def firm_out(session: AsyncSession, row: PlannedOrderRow) -> FirmOut:
    """A planned order as a firming answers it: with the order it became, if any."""
    (planned,) = await planned_order_outs(session, [row])
    purchase_id = work_id = None
    if row.status == "firmed":
        model = PurchaseOrder if row.procurement == "buy" else WorkOrder
        found = await session.scalar(select(model.id).where(model.number == row.firmed_as))
        if row.procurement == "buy":
            purchase_id = found
        else:
            work_id = found
    return FirmOut(
        approval=planned.approval,
        planned_order=planned,
        purchase_order_id=purchase_id,
        work_order_id=work_id,
        order_number=row.firmed_as,
    )


async def _planned(session: AsyncSession, order_id: int, *, lock: bool) -> PlannedOrderRow:
    row = (
        await session.get(PlannedOrderRow, order_id, with_for_update=True, populate_existing=True)
        if lock
        else await session.get(PlannedOrderRow, order_id)
    )
    if row is None:
        raise NotFound(f"no planned order {order_id}")
    return row


def _waits(row: PlannedOrderRow) -> bool:
    return row.status == "planned" and row.approval == ApprovalState.PENDING.value


async def _settled(
    session: AsyncSession, row: PlannedOrderRow, decision: ApprovalDecision
) -> FirmOut | None:
    """None while `row` waits for a decision; once decided, the planned order as it is for
    the decision it records (`reference`), 409 for any other."""
    if _waits(row):
        return None
    if row.approval_ref == decision.reference:
        return await firm_out(session, row)
    raise ApprovalNotPending(
        f"planned order {row.id} does not wait for an approval (it is {row.status}, "
        f"approval {row.approval})"
    )


async def decided(
    session: AsyncSession, order_id: int, decision: ApprovalDecision
) -> FirmOut | None:
    """Before taking workflow's decision: None if the planned order waits for it, else the
    planned order as it is (a repeated decision) or 409; 404 for an unknown id."""
    return await _settled(session, await _planned(session, order_id, lock=False), decision)


async def held_request(session: AsyncSession, order_id: int) -> dict[str, object]:
    """The `FirmRequest` a waiting planned order holds, as it was sent."""
    row = await _planned(session, order_id, lock=False)
    return dict(row.firm_request or {})


async def return_to_planned(uow: UnitOfWork, order_id: int, decision: ApprovalDecision) -> FirmOut:
    """Workflow's decision other than approval (rejected, withdrawn, returned): the planned
    order stays planned, no longer waiting (`approval: not_required`), its request let go;
    it may be firmed again. Announced as `ApprovalReturned`."""
    async with uow:
        session = uow.session
        row = await _planned(session, order_id, lock=True)
        settled = await _settled(session, row, decision)
        if settled is not None:
            return settled
        (before,) = await planned_order_outs(session, [row])
        row.approval = ApprovalState.NOT_REQUIRED.value
        row.approval_ref = decision.reference
        row.firm_request = None
        await session.flush()
        out = await firm_out(session, row)
        await uow.audit(
            decision.decision.value,
            "planned_order",
            str(row.id),
            before=before.model_dump(mode="json"),
            after=out.planned_order.model_dump(mode="json"),
        )
        uow.emit(
            "ApprovalReturned",
            "planned_order",
            str(row.id),
            {
                "document_type": FIRMING,
                "document_id": row.id,
                "number": await planned_reference(session, row),
                "decision": decision.decision.value,
                "reason": decision.reason,
                "reference": decision.reference,
            },
        )
        await uow.commit()
        return out
