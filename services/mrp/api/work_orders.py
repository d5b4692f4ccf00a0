"""Work order routes: create, list, read, release, close, cancel."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.mrp.api.deps import Catalog, Planner, WorkOrderId
from services.mrp.completion_schemas import CompletionIn, CompletionOut, CompletionPage
from services.mrp.schemas import (
    WorkOrderChange,
    WorkOrderCreate,
    WorkOrderOut,
    WorkOrderPage,
    WorkOrderRelease,
    WorkOrderStatus,
)
from services.mrp.usecases import completions
from services.mrp.usecases import work_orders as usecases
from shared.auth.principal import INTEGRATION, PLANNER
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.etags import IfMatch, etag_header, expected_version
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses
from shared.policy import check_writable

router = APIRouter(tags=["work orders"])
completions_router = APIRouter(tags=["completions"])
#: MES posts completions; planners may too (a correction typed in by hand).
Mes = Annotated[RequestContext, Depends(request_context((INTEGRATION, PLANNER)))]


@router.post(
    "/v1/work-orders",
    status_code=201,
    response_model=WorkOrderOut,
    operation_id="create_work_order",
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def create_work_order(ctx: Planner, catalog: Catalog, body: WorkOrderCreate) -> Response:
    """Create a work order (accepts Idempotency-Key); with `release`, pin its BOM at once."""

    async def command(uow: UnitOfWork) -> WorkOrderOut:
        item = (await catalog.items_by_codes([body.item_code])).get(body.item_code)
        planning = None
        if item is not None and (body.release or body.bom_revision is not None):
            planning = await catalog.planning_data([body.item_code])
        return await usecases.create_work_order(uow, body, item, planning)

    return await run_command(ctx, command, body=body, status_code=201)


@router.get(
    "/v1/work-orders",
    response_model=WorkOrderPage,
    operation_id="list_work_orders",
    responses=problem_responses(401, 422),
)
async def list_work_orders(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    status: WorkOrderStatus | None = None,
    item_code: Annotated[str | None, Query(max_length=64)] = None,
    number: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Work orders, oldest first, with their components' progress."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_work_orders(
            session,
            page,
            status=status.value if status else None,
            item_code=item_code,
            number=number,
        )
    return render(ctx, WorkOrderPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/work-orders/{order_id}",
    response_model=WorkOrderOut,
    operation_id="get_work_order",
    responses=problem_responses(401, 404, 422),
)
async def get_work_order(ctx: Reader, order_id: WorkOrderId) -> Response:
    """One work order with required, reserved, issued and consumed per component."""
    async with ctx.db.read() as session:
        order = await usecases.get_work_order(session, order_id)
    return render(ctx, order, headers=etag_header(order))


@router.patch(
    "/v1/work-orders/{order_id}",
    response_model=WorkOrderOut,
    operation_id="change_work_order",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def change_work_order(
    ctx: Planner, order_id: WorkOrderId, body: WorkOrderChange, if_match: IfMatch = None
) -> Response:
    """Reschedule or resize an open work order (not below what was produced); send its
    ETag as If-Match (a stale one gets 412)."""
    expected = expected_version(if_match, "work order")

    async def command(uow: UnitOfWork) -> WorkOrderOut:
        return await usecases.change_work_order(uow, order_id, body, expected)

    return await run_command(ctx, command, body=body, headers=etag_header)


@router.post(
    "/v1/work-orders/{order_id}/release",
    response_model=WorkOrderOut,
    operation_id="release_work_order",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def release_work_order(
    ctx: Planner, catalog: Catalog, order_id: WorkOrderId, body: WorkOrderRelease | None = None
) -> Response:
    """Release a planned work order: pin the BOM version (the named revision, else the one
    effective on the start date) and list its components."""

    async def command(uow: UnitOfWork) -> WorkOrderOut:
        async with ctx.db.read() as session:
            order = await usecases.load_work_order(session, order_id)
            code = order.item_code
        planning = await catalog.planning_data([code])
        revision = body.bom_revision if body is not None else None
        return await usecases.release_work_order(uow, order_id, planning, revision)

    return await run_command(ctx, command, body=body)


@router.post(
    "/v1/work-orders/{order_id}/close",
    response_model=WorkOrderOut,
    operation_id="close_work_order",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def close_work_order(ctx: Planner, order_id: WorkOrderId) -> Response:
    """Close a released, started or completed order: nothing more is expected of it."""

    async def command(uow: UnitOfWork) -> WorkOrderOut:
        return await usecases.close_work_order(uow, order_id)

    return await run_command(ctx, command)


@router.post(
    "/v1/work-orders/{order_id}/cancel",
    response_model=WorkOrderOut,
    operation_id="cancel_work_order",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_work_order(ctx: Planner, order_id: WorkOrderId) -> Response:
    """Cancel a planned or released order nothing was issued to or produced by."""

    async def command(uow: UnitOfWork) -> WorkOrderOut:
        return await usecases.cancel_work_order(uow, order_id)

    return await run_command(ctx, command)


@completions_router.post(
    "/v1/work-orders/{order_id}/completions",
    status_code=201,
    response_model=CompletionOut,
    operation_id="record_completion",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503, 504),
)
async def record_completion(ctx: Mes, order_id: WorkOrderId, body: CompletionIn) -> Response:
    """A completion from MES: post one production receipt in stock (components consumed as
    sent, or backflushed by BOM) and update the work order. Idempotent on `event_id`: a
    retry answers as the first time (`Idempotent-Replayed: true`) and changes nothing."""
    check_writable(body, ctx.principal)
    out, created = await completions.record_completion(
        ctx.db, ctx.uow(), ctx.request.app.state.client, order_id, body
    )
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return render(ctx, out, status_code=201, headers=headers)


@completions_router.get(
    "/v1/work-orders/{order_id}/completions",
    response_model=CompletionPage,
    operation_id="list_completions",
    responses=problem_responses(401, 404, 422),
)
async def list_completions(
    ctx: Reader, order_id: WorkOrderId, page: Annotated[PageParams, Depends(page_params)]
) -> Response:
    """The completions recorded for a work order, oldest first."""
    async with ctx.db.read() as session:
        items, cursor = await completions.list_completions(session, order_id, page)
    return render(ctx, CompletionPage(items=items, next_cursor=cursor))
