"""Approval gates: which document types wait for workflow's decision once submitted.

Workflow sets a gate when a flow for the type is activated and lifts it when the flow is
deactivated (`PUT /v1/approval-gates/{document_type}`). A document submitted while its
type is gated (a requisition submitted; a purchase receipt, scrap or supplier return
posted; a stock count posted with differences: `usecases/document_approvals.py`) is
marked `approval: pending` in that transaction, so no caller can post it in between;
only workflow's decision (`.../approval-decision`) posts it or returns it to draft (a
count to counting). Lifting a gate does not
release documents already waiting: their flow still decides them.

Reading and setting a gate is `shared.approvals`, as in the catalog and mrp; what is
stock's own is the list of gated types (`GatedDocument`) and its 409.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import ApprovalGate
from services.stock.schemas import ApprovalGateIn, ApprovalGateOut, GatedDocument
from services.stock.usecases.posting import DocumentStatusConflict
from shared import approvals
from shared.db.uow import UnitOfWork


class ApprovalPending(DocumentStatusConflict):
    code = "approval_pending"
    title = "The document waits for its approval flow"


async def approval_required(session: AsyncSession, document_type: str) -> bool:
    """Whether a document of this type submitted now waits for approval."""
    return await approvals.approval_required(session, ApprovalGate, document_type)


async def list_gates(session: AsyncSession) -> list[ApprovalGateOut]:
    """Every document type that can be gated, with its gate (open when never set)."""
    rows = {
        row.document_type: row
        for row in await session.scalars(select(ApprovalGate).order_by(ApprovalGate.document_type))
    }
    return [
        approvals.gate_out(rows.get(kind.value), kind.value, ApprovalGateOut)
        for kind in GatedDocument
    ]


async def set_gate(
    uow: UnitOfWork, document_type: GatedDocument, body: ApprovalGateIn
) -> ApprovalGateOut:
    """Close or open a document type's gate (idempotent: the same state twice is one)."""
    return await approvals.set_gate(uow, ApprovalGate, document_type.value, body, ApprovalGateOut)
