"""MRP run routes: start a run, read it and its outputs, firm planned orders."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.mrp.api.deps import Catalog, PlannedOrderId, Planner, RunId, Stock
from services.mrp.clients import CatalogClient
from services.mrp.db.models import PlannedOrderRow
from services.mrp.run_schemas import (
    ApprovalState,
    ExceptionPage,
    FirmOut,
    FirmRequest,
    PlannedOrderOut,
    PlannedOrderPage,
    RunCreate,
    RunOut,
    RunPage,
    ShortagePage,
    SubstitutionPage,
)
from services.mrp.usecases import runs as usecases
from services.mrp.usecases.firming import firm_planned_order
from shared.db.uow import UnitOfWork
from shared.errors import NotFound
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(tags=["mrp runs"])
Paging = Annotated[PageParams, Depends(page_params)]
ItemFilter = Annotated[str | None, Query(max_length=64)]


@router.post(
    "/v1/mrp-runs",
    status_code=201,
    response_model=RunOut,
    operation_id="start_mrp_run",
    responses=problem_responses(401, 403, 409, 422, 502, 503, 504),
)
async def start_mrp_run(ctx: Planner, catalog: Catalog, stock: Stock, body: RunCreate) -> Response:
    """Run MRP (accepts Idempotency-Key): read catalog, stock and open orders as one
    snapshot, net day by day and level by level, store planned orders with pegging,
    exceptions, shortages and a summary."""

    async def command(uow: UnitOfWork) -> RunOut:
        return await usecases.start_run(ctx.db, uow, catalog, stock, body)

    return await run_command(ctx, command, body=body, status_code=201)


@router.get(
    "/v1/mrp-runs",
    response_model=RunPage,
    operation_id="list_mrp_runs",
    responses=problem_responses(401, 422),
)
async def list_mrp_runs(ctx: Reader, page: Paging) -> Response:
    """MRP runs, oldest first, with their summaries."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_runs(session, page)
    return render(ctx, RunPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/mrp-runs/{run_id}",
    response_model=RunOut,
    operation_id="get_mrp_run",
    responses=problem_responses(401, 404, 422),
)
async def get_mrp_run(ctx: Reader, run_id: RunId) -> Response:
    """One run: its options, summary and timings."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_run(session, run_id))


@router.get(
    "/v1/mrp-runs/{run_id}/planned-orders",
    response_model=PlannedOrderPage,
    operation_id="list_planned_orders",
    responses=problem_responses(401, 404, 422),
)
async def list_planned_orders(
    ctx: Reader,
    run_id: RunId,
    page: Paging,
    item_code: ItemFilter = None,
    procurement: Annotated[str | None, Query(pattern="^(buy|make)$")] = None,
    demand_ref: Annotated[
        str | None, Query(max_length=200, description="Only orders pegged to this demand")
    ] = None,
    status: Annotated[str | None, Query(pattern="^(planned|firmed)$")] = None,
) -> Response:
    """A run's planned orders (buy or make), with pegging back to the demands they serve."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_planned_orders(
            session,
            run_id,
            page,
            item_code=item_code,
            procurement=procurement,
            demand_ref=demand_ref,
            status=status,
        )
    return render(ctx, PlannedOrderPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/mrp-runs/{run_id}/exceptions",
    response_model=ExceptionPage,
    operation_id="list_mrp_exceptions",
    responses=problem_responses(401, 404, 422),
)
async def list_mrp_exceptions(
    ctx: Reader,
    run_id: RunId,
    page: Paging,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    item_code: ItemFilter = None,
) -> Response:
    """A run's exception messages: release date past, expedite, postpone, excess supply,
    no BOM, past-due demand."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_exceptions(
            session, run_id, page, kind=kind, item_code=item_code
        )
    return render(ctx, ExceptionPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/mrp-runs/{run_id}/shortages",
    response_model=ShortagePage,
    operation_id="list_mrp_shortages",
    responses=problem_responses(401, 404, 422),
)
async def list_mrp_shortages(
    ctx: Reader, run_id: RunId, page: Paging, item_code: ItemFilter = None
) -> Response:
    """A run's shortage list: what stock and open orders do not cover, from when, how
    much of it is already late."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_shortages(session, run_id, page, item_code=item_code)
    return render(ctx, ShortagePage(items=items, next_cursor=cursor))


@router.get(
    "/v1/mrp-runs/{run_id}/substitutions",
    response_model=SubstitutionPage,
    operation_id="list_mrp_substitutions",
    responses=problem_responses(401, 404, 422),
)
async def list_mrp_substitutions(ctx: Reader, run_id: RunId, page: Paging) -> Response:
    """Where a run covered a short component from a substitute's free stock."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_substitutions(session, run_id, page)
    return render(ctx, SubstitutionPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/planned-orders/{order_id}",
    response_model=PlannedOrderOut,
    operation_id="get_planned_order",
    responses=problem_responses(401, 404, 422),
)
async def get_planned_order(ctx: Reader, order_id: PlannedOrderId) -> Response:
    """One planned order with its pegging."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_planned_order(session, order_id))


async def firm(
    ctx: RequestContext,
    uow: UnitOfWork,
    catalog: CatalogClient,
    order_id: int,
    body: FirmRequest,
    approved_by: str | None = None,
) -> FirmOut:
    """Firm a planned order with what the catalog says of its item now (held instead
    under a closed gate; `approved_by`: workflow's approval of one that waits)."""
    async with ctx.db.read() as session:
        row = await session.get(PlannedOrderRow, order_id)
        if row is None:
            raise NotFound(f"no planned order {order_id}")
        code, procurement = row.item_code, row.procurement
    item = (await catalog.items_by_codes([code])).get(code)
    planning = await catalog.planning_data([code]) if procurement == "make" else None
    return await firm_planned_order(uow, order_id, body, item, planning, approved_by=approved_by)


def held_or_200(result: FirmOut) -> int:
    """202 when the firming gate held the planned order instead of firming it."""
    return 202 if result.approval is ApprovalState.PENDING else 200


@router.post(
    "/v1/planned-orders/{order_id}/firm",
    response_model=FirmOut,
    operation_id="firm_planned_order",
    responses={
        202: {
            "model": FirmOut,
            "description": "Held for approval (the firming gate is closed): the planned order "
            'stays planned, `approval: "pending"`, its request kept, no order created; '
            "workflow's decision firms it",
        },
        **problem_responses(401, 403, 404, 409, 422, 502, 503),
    },
)
async def firm_planned_order_route(
    ctx: Planner, catalog: Catalog, order_id: PlannedOrderId, body: FirmRequest
) -> Response:
    """Firm a planned order (accepts Idempotency-Key): a buy order becomes a purchase
    order, a make order a work order built to the version the run exploded. Under a
    closed firming gate it waits for approval instead (202)."""

    async def command(uow: UnitOfWork) -> FirmOut:
        return await firm(ctx, uow, catalog, order_id, body)

    return await run_command(ctx, command, body=body, status_code=held_or_200)
