"""The BOM release approval gate: whether releasing a BOM version waits for workflow.

Workflow closes the gate when an approval flow for `bom_release` is activated and opens
it when the flow is deactivated (`PUT /v1/bom-approval-gate`), as stock's gates for its
documents. Under a closed gate, `POST /v1/boms/{id}/release` checks everything a release
checks, then keeps the version a draft with `approval: pending` and the release body held
(`usecases/boms.release_bom_in`), announcing `ApprovalRequested` in that transaction; only
workflow's decision (`usecases/bom_approvals`) releases it or returns it. Opening the gate
releases nothing already waiting: its flow still decides it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import ApprovalGate
from services.catalog.schemas import ApprovalGateIn, ApprovalGateOut
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict

#: The document type workflow names BOM releases by.
BOM_RELEASE = "bom_release"


class ApprovalPending(Conflict):
    code = "approval_pending"
    title = "The BOM version waits for its approval flow"


class ApprovalGateClosed(Conflict):
    code = "approval_gate_closed"
    title = "BOM releases wait for approval"


def _out(row: ApprovalGate) -> ApprovalGateOut:
    return ApprovalGateOut(
        document_type=row.document_type,
        required=row.required,
        flow=row.flow,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


async def approval_required(session: AsyncSession) -> bool:
    """Whether a BOM version released now waits for approval."""
    row = await session.get(ApprovalGate, BOM_RELEASE)
    return row is not None and row.required


async def get_gate(session: AsyncSession) -> ApprovalGateOut:
    """The gate (open when never set)."""
    row = await session.get(ApprovalGate, BOM_RELEASE)
    if row is None:
        return ApprovalGateOut(document_type=BOM_RELEASE, required=False, flow="")
    return _out(row)


async def set_gate(uow: UnitOfWork, body: ApprovalGateIn) -> ApprovalGateOut:
    """Close or open the gate (idempotent: the same state twice is one)."""
    async with uow:
        row = await uow.session.get(ApprovalGate, BOM_RELEASE, with_for_update=True)
        before = _out(row).model_dump(mode="json") if row is not None else None
        if row is None:
            row = ApprovalGate(document_type=BOM_RELEASE)
            uow.session.add(row)
        row.required = body.required
        row.flow = body.flow
        row.updated_at = utcnow()
        row.updated_by = uow.actor
        await uow.session.flush()
        out = _out(row)
        await uow.audit(
            "set", "approval_gate", BOM_RELEASE, before=before, after=out.model_dump(mode="json")
        )
        uow.emit("ApprovalGateChanged", "approval_gate", BOM_RELEASE, out.model_dump(mode="json"))
        await uow.commit()
        return out
