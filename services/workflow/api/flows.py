"""Flow definition routes: versioned approval flows per document type."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.workflow import approval_examples as ex
from services.workflow.api.params import FlowId
from services.workflow.schemas import DocumentType, FlowIn, FlowOut, FlowPage
from services.workflow.usecases import flows as usecases
from shared.auth.principal import ADMIN
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.examples import example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/flows", tags=["flows"])
Admin = Annotated[RequestContext, Depends(request_context((ADMIN,)))]


@router.post(
    "",
    status_code=201,
    response_model=FlowOut,
    operation_id="save_flow",
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def save_flow(ctx: Admin, body: FlowIn) -> Response:
    """Save the next version of a document type's approval flow (admin). Conditions are
    CEL over `document` and `requester`, compiled now: a bad one is refused with its line
    and column. `activate: true` makes it the flow new submissions follow."""
    client = ctx.request.app.state.client
    return await run_command(
        ctx,
        lambda uow: usecases.save_flow(ctx.db, uow, client, body),
        body=body,
        status_code=201,
    )


@router.get(
    "",
    response_model=FlowPage,
    operation_id="list_flows",
    responses=problem_responses(401, 422),
)
async def list_flows(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    document_type: DocumentType | None = None,
    active: Annotated[bool | None, Query()] = None,
) -> Response:
    """Flow versions, by document type and whether active."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_flows(
            session, page, document_type=document_type, active=active
        )
    return render(ctx, FlowPage(items=items, next_cursor=cursor))


@router.get(
    "/{flow_id}",
    response_model=FlowOut,
    operation_id="get_flow",
    responses=problem_responses(401, 404),
)
async def get_flow(ctx: Reader, flow_id: FlowId) -> Response:
    """One flow version."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_flow(session, flow_id))


@router.post(
    "/{flow_id}/activate",
    response_model=FlowOut,
    operation_id="activate_flow",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def activate_flow(ctx: Admin, flow_id: FlowId) -> Response:
    """Make this version the one new submissions of its type follow (admin): the owning
    service holds them for approval from now on."""
    client = ctx.request.app.state.client
    return await run_command(
        ctx, lambda uow: usecases.set_active(ctx.db, uow, client, flow_id, True)
    )


@router.post(
    "/{flow_id}/deactivate",
    response_model=FlowOut,
    operation_id="deactivate_flow",
    responses={
        **example_response(ex.FLOW_DEACTIVATED),
        **problem_responses(401, 403, 404, 409, 422, 502, 503),
    },
)
async def deactivate_flow(ctx: Admin, flow_id: FlowId) -> Response:
    """Stop holding new submissions of its type (admin); those waiting keep their flow."""
    client = ctx.request.app.state.client
    return await run_command(
        ctx, lambda uow: usecases.set_active(ctx.db, uow, client, flow_id, False)
    )
