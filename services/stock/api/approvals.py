"""Approval gates: which submitted documents wait for workflow's decision."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from services.stock.schemas import ApprovalGateIn, ApprovalGateOut, ApprovalGates, GatedDocument
from services.stock.usecases import approvals as usecases
from shared.auth.principal import SERVICE
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/approval-gates", tags=["approvals"])
#: Workflow sets gates as it activates flows; an admin may too.
Gatekeeper = Annotated[RequestContext, Depends(request_context((SERVICE,)))]
DocumentType = Annotated[GatedDocument, Path(examples=[GatedDocument.MATERIAL_REQUISITION.value])]


@router.get(
    "",
    response_model=ApprovalGates,
    operation_id="list_approval_gates",
    responses=problem_responses(401),
)
async def list_approval_gates(ctx: Reader) -> Response:
    """Every document type an approval flow can hold, and whether one holds it now."""
    async with ctx.db.read() as session:
        gates = await usecases.list_gates(session)
    return render(ctx, ApprovalGates(items=gates))


@router.put(
    "/{document_type}",
    response_model=ApprovalGateOut,
    operation_id="set_approval_gate",
    responses=problem_responses(401, 403, 422),
)
async def set_approval_gate(
    ctx: Gatekeeper, document_type: DocumentType, body: ApprovalGateIn
) -> Response:
    """Make documents of a type submitted from now on wait for approval, or stop (workflow,
    admin)."""
    return await run_command(ctx, lambda uow: usecases.set_gate(uow, document_type, body))
