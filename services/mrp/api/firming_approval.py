"""The approval gate on firming planned orders, and workflow's decision on a planned order
whose firming waits for it (`usecases.firming_approval`)."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from services.mrp.api.deps import Catalog, PlannedOrderId
from services.mrp.api.runs import firm
from services.mrp.run_examples import APPROVAL_GATE_CLOSED, FIRM_APPROVED
from services.mrp.run_schemas import (
    ApprovalDecision,
    ApprovalGateIn,
    ApprovalGateOut,
    Decision,
    FirmOut,
    FirmRequest,
)
from services.mrp.usecases import firming_approval as usecases
from shared.auth.principal import SERVICE
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.examples import example_response
from shared.http.problems import problem_responses

router = APIRouter(tags=["firming approval"])
#: Workflow sets the gate as it activates flows and decides what waits; an admin may too.
Workflow = Annotated[RequestContext, Depends(request_context((SERVICE,)))]


@router.get(
    "/v1/firming-approval-gate",
    response_model=ApprovalGateOut,
    operation_id="get_firming_approval_gate",
    responses=problem_responses(401),
)
async def get_firming_approval_gate(ctx: Reader) -> Response:
    """Whether firming a planned order waits for an approval flow now."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_gate(session))


@router.put(
    "/v1/firming-approval-gate",
    response_model=ApprovalGateOut,
    operation_id="set_firming_approval_gate",
    responses={
        **example_response(APPROVAL_GATE_CLOSED),
        **problem_responses(401, 403, 422),
    },
)
async def set_firming_approval_gate(ctx: Workflow, body: ApprovalGateIn) -> Response:
    """Make planned orders firmed from now on wait for approval, or stop (workflow,
    admin)."""
    return await run_command(ctx, lambda uow: usecases.set_gate(uow, body))


@router.post(
    "/v1/planned-orders/{order_id}/approval-decision",
    response_model=FirmOut,
    operation_id="decide_planned_order_firming_approval",
    responses={
        **example_response(FIRM_APPROVED),
        **problem_responses(401, 403, 404, 409, 422, 502, 503),
    },
)
async def decide_planned_order_firming_approval(
    ctx: Workflow, catalog: Catalog, order_id: PlannedOrderId, body: ApprovalDecision
) -> Response:
    """Workflow's decision on a planned order whose firming waits for approval: `approved`
    firms it with the request held, as `POST .../firm` would, all or nothing (refused, it
    stays pending); rejected, withdrawn or returned leaves it planned, no longer waiting.
    The same decision again answers the planned order as it is (workflow, admin; accepts
    Idempotency-Key)."""

    async def command(uow: UnitOfWork) -> FirmOut:
        async with ctx.db.read() as session:
            settled = await usecases.decided(session, order_id, body)
            held = await usecases.held_request(session, order_id)
        if settled is not None:
            return settled
        if body.decision is not Decision.APPROVED:
            return await usecases.return_to_planned(uow, order_id, body)
        request = FirmRequest.model_validate(held)
        return await firm(ctx, uow, catalog, order_id, request, approved_by=body.reference)

    return await run_command(ctx, command, body=body)
