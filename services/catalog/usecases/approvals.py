"""The BOM release approval gate: whether releasing a BOM version waits for workflow.

Workflow closes the gate when an approval flow for `bom_release` is activated and opens
it when the flow is deactivated (`PUT /v1/bom-approval-gate`), as stock's gates for its
documents. Under a closed gate, `POST /v1/boms/{id}/release` checks everything a release
checks, then keeps the version a draft with `approval: pending` and the release body held
(`usecases/boms.release_bom_in`), announcing `ApprovalRequested` in that transaction; only
workflow's decision (`usecases/bom_approvals`) releases it or returns it. Opening the gate
releases nothing already waiting: its flow still decides it. Reading and setting the
gate is `shared.approvals`, as in stock and mrp.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import ApprovalGate
from services.catalog.schemas import ApprovalGateIn, ApprovalGateOut
from shared import approvals
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


async def approval_required(session: AsyncSession) -> bool:
    """Whether a BOM version released now waits for approval."""
    return await approvals.approval_required(session, ApprovalGate, BOM_RELEASE)


async def get_gate(session: AsyncSession) -> ApprovalGateOut:
    """The gate (open when never set)."""
    return await approvals.get_gate(session, ApprovalGate, BOM_RELEASE, ApprovalGateOut)


async def set_gate(uow: UnitOfWork, body: ApprovalGateIn) -> ApprovalGateOut:
    """Close or open the gate (idempotent: the same state twice is one)."""
    return await approvals.set_gate(uow, ApprovalGate, BOM_RELEASE, body, ApprovalGateOut)
