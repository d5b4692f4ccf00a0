"""Material requisition routes: draft -> submitted -> posted (or cancelled, reversed)."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import Response

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog, Warehouse
from services.stock.clients import CatalogClient, CatalogItem
from services.stock.requisition_schemas import (
    PickSuggestion,
    RequisitionCreate,
    RequisitionOut,
    RequisitionPage,
    RequisitionPosting,
    RequisitionStatus,
)
from services.stock.schemas import ApprovalDecision, Decision
from services.stock.usecases import requisitions as usecases
from services.stock.usecases.document_lines import catalog_items, lines_in_stock_units
from shared.auth.principal import PLANNER, SERVICE, WAREHOUSE
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/requisitions", tags=["requisitions"])
#: A requisition's id: MR-00000055 (WO-14-LED, waiting for approval) in the demo.
RequisitionId = Annotated[IdPath, Path(examples=[ex.REQUISITION_ID])]
#: A posted requisition's id: MR-00000054 (WO-14-SPK) in the demo.
PostedRequisitionId = Annotated[IdPath, Path(examples=[ex.POSTED_REQUISITION_ID])]
#: Planners and the line raise requisitions; the warehouse posts them.
Requester = Annotated[RequestContext, Depends(request_context((WAREHOUSE, PLANNER)))]
#: Only workflow (or an admin) decides a requisition that waits for approval.
Workflow = Annotated[RequestContext, Depends(request_context((SERVICE,)))]


@router.post(
    "",
    status_code=201,
    response_model=RequisitionOut,
    operation_id="create_requisition",
    responses=problem_responses(401, 403, 422, 502, 503),
)
async def create_requisition(ctx: Requester, catalog: Catalog, body: RequisitionCreate) -> Response:
    """Create a draft requisition for a work order (accepts Idempotency-Key)."""

    async def command(uow: UnitOfWork) -> RequisitionOut:
        items = await catalog_items(catalog, (line.item_code for line in body.lines))
        lines, entered, errors = await lines_in_stock_units(catalog, body.lines, items)
        data = body.model_copy(update={"lines": lines})
        return await usecases.create_requisition(uow, data, items, entered=entered, errors=errors)

    return await run_command(ctx, command, body=body, status_code=201)


@router.get(
    "",
    response_model=RequisitionPage,
    operation_id="list_requisitions",
    responses=problem_responses(401, 422),
)
async def list_requisitions(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    status: RequisitionStatus | None = None,
    work_order: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Requisitions, oldest first, by status or work order."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_requisitions(
            session, page, status=status.value if status else None, work_order=work_order
        )
    return render(ctx, RequisitionPage(items=items, next_cursor=cursor))


@router.get(
    "/{requisition_id}",
    response_model=RequisitionOut,
    operation_id="get_requisition",
    responses=problem_responses(401, 404, 422),
)
async def get_requisition(ctx: Reader, requisition_id: PostedRequisitionId) -> Response:
    """Read a requisition with its lines and movements."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_requisition(session, requisition_id))


@router.get(
    "/{requisition_id}/suggestion",
    response_model=PickSuggestion,
    operation_id="suggest_requisition_picks",
    responses=problem_responses(401, 404, 422),
)
async def suggest_requisition_picks(ctx: Reader, requisition_id: RequisitionId) -> Response:
    """The lots and locations posting would take now: FEFO, then FIFO."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.suggest_picks(session, requisition_id))


@router.post(
    "/{requisition_id}/submit",
    response_model=RequisitionOut,
    operation_id="submit_requisition",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def submit_requisition(ctx: Requester, requisition_id: RequisitionId) -> Response:
    """Submit a draft requisition for approval and posting."""
    return await run_command(ctx, lambda uow: usecases.submit_requisition(uow, requisition_id))


@router.post(
    "/{requisition_id}/cancel",
    response_model=RequisitionOut,
    operation_id="cancel_requisition",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_requisition(ctx: Requester, requisition_id: RequisitionId) -> Response:
    """Cancel a draft or submitted requisition."""
    return await run_command(ctx, lambda uow: usecases.cancel_requisition(uow, requisition_id))


async def _items(
    ctx: RequestContext, catalog: CatalogClient, requisition_id: int
) -> dict[str, CatalogItem | None]:
    async with ctx.db.read() as session:
        codes = await usecases.item_codes(session, requisition_id)
    return await catalog_items(catalog, codes)


@router.post(
    "/{requisition_id}/post",
    response_model=RequisitionOut,
    operation_id="post_requisition",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def post_requisition(
    ctx: Warehouse,
    catalog: Catalog,
    requisition_id: RequisitionId,
    body: Annotated[RequisitionPosting | None, Body()] = None,
) -> Response:
    """Issue a submitted requisition to the line: qualified stock only, all lines or none.

    An optional body may date the posting in the past (`posted_at`)."""
    items = await _items(ctx, catalog, requisition_id)
    posted_at = body.posted_at if body is not None else None
    return await run_command(
        ctx,
        lambda uow: usecases.post_requisition(uow, requisition_id, items, posted_at=posted_at),
        body=body,
    )


@router.post(
    "/{requisition_id}/reverse",
    response_model=RequisitionOut,
    operation_id="reverse_requisition",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def reverse_requisition(
    ctx: Warehouse, catalog: Catalog, requisition_id: PostedRequisitionId
) -> Response:
    """Reverse a posted requisition: the stock returns from the line to where it came from."""
    items = await _items(ctx, catalog, requisition_id)
    return await run_command(
        ctx, lambda uow: usecases.reverse_requisition(uow, requisition_id, items)
    )


@router.post(
    "/{requisition_id}/approval-decision",
    response_model=RequisitionOut,
    operation_id="decide_requisition_approval",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def decide_requisition_approval(
    ctx: Workflow, catalog: Catalog, requisition_id: RequisitionId, body: ApprovalDecision
) -> Response:
    """Workflow's decision on a requisition that waits for approval: `approved` posts it,
    all lines or none; rejected, withdrawn or returned sends it back to draft (workflow,
    admin; accepts Idempotency-Key)."""
    if body.decision is Decision.APPROVED:
        items = await _items(ctx, catalog, requisition_id)
        return await run_command(
            ctx,
            lambda uow: usecases.post_requisition(
                uow, requisition_id, items, posted_at=body.posted_at, approved_by=body.reference
            ),
            body=body,
        )
    return await run_command(
        ctx, lambda uow: usecases.return_requisition(uow, requisition_id, body), body=body
    )
