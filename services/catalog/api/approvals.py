"""The BOM release approval gate: whether releasing a BOM version waits for workflow."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from services.catalog.schemas import ApprovalGateIn, ApprovalGateOut
from services.catalog.usecases import approvals as usecases
from shared.auth.principal import SERVICE
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/bom-approval-gate", tags=["approvals"])
#: Workflow sets the gate as it activates flows; an admin may too.
Gatekeeper = Annotated[RequestContext, Depends(request_context((SERVICE,)))]


@router.get(
    "",
    response_model=ApprovalGateOut,
    operation_id="get_bom_approval_gate",
    responses=problem_responses(401),
)
async def get_bom_approval_gate(ctx: Reader) -> Response:
    """Whether BOM releases wait for an approval flow now (`document_type: bom_release`)."""
    async with ctx.db.read() as session:
        gate = await usecases.get_gate(session)
    return render(ctx, gate)


@router.put(
    "",
    response_model=ApprovalGateOut,
    operation_id="set_bom_approval_gate",
    responses=problem_responses(401, 403, 422),
)
async def set_bom_approval_gate(ctx: Gatekeeper, body: ApprovalGateIn) -> Response:
    """Make BOM releases from now on wait for approval, or stop (workflow, admin;
    idempotent). Opening the gate releases nothing already waiting."""
    return await run_command(ctx, lambda uow: usecases.set_gate(uow, body), body=body)
