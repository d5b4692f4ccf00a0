"""MES operation and test record routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.trace import operation_examples
from services.trace.schemas import OperationIn, OperationOut, OperationPage
from services.trace.usecases import operations as usecases
from shared.auth.principal import INTEGRATION, PLANNER, QC
from shared.http.commands import render
from shared.http.context import Reader, RequestContext, request_context
from shared.http.examples import example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses
from shared.policy import check_writable

router = APIRouter(prefix="/v1/operations", tags=["operations"])

Mes = Annotated[RequestContext, Depends(request_context((INTEGRATION, PLANNER, QC)))]
Text = Annotated[str | None, Query(max_length=200)]


@router.post(
    "",
    response_model=OperationOut,
    status_code=201,
    operation_id="record_operation",
    responses=problem_responses(401, 403, 409, 422),
)
async def record_operation(ctx: Mes, body: OperationIn) -> Response:
    """An operation or test record from MES: step, station, operator, times, result,
    measurements, and optionally exactly which lots or units went into the unit.
    Idempotent on `record_id`: a retry answers as the first time
    (`Idempotent-Replayed: true`); another body under the same id is refused (409)."""
    check_writable(body, ctx.principal)
    out, created = await usecases.record_operation(ctx.uow(), body)
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return render(ctx, out, status_code=201, headers=headers)


@router.get(
    "",
    response_model=OperationPage,
    operation_id="list_operations",
    responses=problem_responses(401, 422),
)
async def list_operations(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    work_order: Text = None,
    station: Text = None,
    operator: Text = None,
) -> Response:
    """Operation and test records, by work order, station or operator."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_operations(
            session, page, work_order=work_order, station=station, operator=operator
        )
    return render(ctx, OperationPage(items=items, next_cursor=cursor))


@router.get(
    "/{record_id}",
    response_model=OperationOut,
    operation_id="get_operation",
    responses={
        **example_response(operation_examples.OPERATION_FROM_MRP),
        **problem_responses(401, 404, 422),
    },
)
async def get_operation(
    ctx: Reader,
    record_id: Annotated[str, Path(min_length=1, max_length=120, examples=["mrp:MES-WO14-1"])],
) -> Response:
    """One record by its id (MES's, or `mrp:<event id>` for a completion)."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_operation(session, record_id))
