"""Approval gates: which document types wait for workflow's decision once submitted.

Workflow sets a gate when a flow for the type is activated and lifts it when the flow is
deactivated (`PUT /v1/approval-gates/{document_type}`). A document submitted while its
type is gated (a requisition submitted; a purchase receipt, scrap or supplier return
posted; a stock count posted with differences: `usecases/document_approvals.py`) is
marked `approval: pending` in that transaction, so no caller can post it in between;
only workflow's decision (`.../approval-decision`) posts it or returns it to draft (a
count to counting). Lifting a gate does not
release documents already waiting: their flow still decides them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import ApprovalGate
from services.stock.schemas import ApprovalGateIn, ApprovalGateOut, GatedDocument
from services.stock.usecases.posting import DocumentStatusConflict
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork


class ApprovalPending(DocumentStatusConflict):
    code = "approval_pending"
    title = "The document waits for its approval flow"


def _out(row: ApprovalGate) -> ApprovalGateOut:
    return ApprovalGateOut(
        document_type=GatedDocument(row.document_type),
        required=row.required,
        flow=row.flow,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


async def approval_required(session: AsyncSession, document_type: str) -> bool:
    """Whether a document of this type submitted now waits for approval."""
    row = await session.get(ApprovalGate, document_type)
    return row is not None and row.required


async def list_gates(session: AsyncSession) -> list[ApprovalGateOut]:
    """Every document type that can be gated, with its gate (open when never set)."""
    rows = {
        row.document_type: row
        for row in await session.scalars(select(ApprovalGate).order_by(ApprovalGate.document_type))
    }
    return [
        _out(rows[kind.value])
        if kind.value in rows
        else ApprovalGateOut(document_type=kind, required=False, flow="")
        for kind in GatedDocument
    ]


async def set_gate(
    uow: UnitOfWork, document_type: GatedDocument, body: ApprovalGateIn
) -> ApprovalGateOut:
    """Close or open a document type's gate (idempotent: the same state twice is one)."""
    async with uow:
        row = await uow.session.get(ApprovalGate, document_type.value, with_for_update=True)
        before = _out(row).model_dump(mode="json") if row is not None else None
        if row is None:
            row = ApprovalGate(document_type=document_type.value)
            uow.session.add(row)
        row.required = body.required
        row.flow = body.flow
        row.updated_at = utcnow()
        row.updated_by = uow.actor
        await uow.session.flush()
        out = _out(row)
        await uow.audit(
            "set",
            "approval_gate",
            document_type.value,
            before=before,
            after=out.model_dump(mode="json"),
        )
        uow.emit(
            "ApprovalGateChanged", "approval_gate", document_type.value, out.model_dump(mode="json")
        )
        await uow.commit()
        return out
