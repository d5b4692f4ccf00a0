"""Production receipt routes: post a work order's completion (or save it as a draft), read,
list, reverse, and the draft routes (replace, post, cancel: warehouse staff only)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog, Warehouse
from services.stock.api.drafts import add_draft_routes
from services.stock.db.models import ProductionReceipt
from services.stock.production_receipt_schemas import (
    ProductionReceiptCreate,
    ProductionReceiptOut,
    ProductionReceiptPage,
)
from services.stock.schemas import DocumentStatus
from services.stock.usecases import production_receipts as usecases
from services.stock.usecases.document_lines import catalog_items
from shared.auth.principal import INTEGRATION, WAREHOUSE
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/production-receipts", tags=["production receipts"])
#: A production receipt's id: PR-00000051 (WO-13-LED) in the demo.
ProductionReceiptId = Annotated[IdPath, Path(examples=[ex.PRODUCTION_RECEIPT_ID])]

#: The warehouse books completions by hand; the MES posts them as an integration.
Producer = Annotated[RequestContext, Depends(request_context((WAREHOUSE, INTEGRATION)))]
Page = Annotated[PageParams, Depends(page_params)]


@router.post(
    "",
    status_code=201,
    response_model=ProductionReceiptOut,
    operation_id="post_production_receipt",
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def post_production_receipt(
    ctx: Producer, catalog: Catalog, body: ProductionReceiptCreate
) -> Response:
    """Post a work order's output and consumed components, all or nothing, or save them as a
    draft (`"draft": true`) to post later (accepts Idempotency-Key)."""
    return await run_command(
        ctx, lambda uow: usecases.save_document(uow, catalog, body), body=body, status_code=201
    )


@router.get(
    "",
    response_model=ProductionReceiptPage,
    operation_id="list_production_receipts",
    responses=problem_responses(401, 422),
)
async def list_production_receipts(
    ctx: Reader,
    page: Page,
    work_order: Annotated[str | None, Query(max_length=100)] = None,
    item_code: Annotated[
        str | None, Query(max_length=64, description="An item produced on any output line")
    ] = None,
    status: DocumentStatus | None = None,
) -> Response:
    """Production receipts in posting order, by work order, output item or status."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_documents(
            session, page, work_order=work_order, item_code=item_code, status=status
        )
    return render(ctx, ProductionReceiptPage(items=items, next_cursor=cursor))


@router.get(
    "/{receipt_id}",
    response_model=ProductionReceiptOut,
    operation_id="get_production_receipt",
    responses=problem_responses(401, 404, 422),
)
async def get_production_receipt(ctx: Reader, receipt_id: ProductionReceiptId) -> Response:
    """Read a production receipt with its outputs, consumed lots and movements."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_document(session, receipt_id))


@router.post(
    "/{receipt_id}/reverse",
    response_model=ProductionReceiptOut,
    operation_id="reverse_production_receipt",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def reverse_production_receipt(
    ctx: Warehouse, catalog: Catalog, receipt_id: ProductionReceiptId
) -> Response:
    """Reverse a production receipt as a whole: outputs leave, components return to the line."""

    async def command(uow: UnitOfWork) -> ProductionReceiptOut:
        async with ctx.db.read() as session:
            codes = await usecases.document_item_codes(session, receipt_id)
        items = await catalog_items(catalog, codes)
        return await usecases.reverse_posted(uow, receipt_id, items)

    return await run_command(ctx, command)


add_draft_routes(
    router,
    noun="production receipt",
    operation="production_receipt",
    id_name="receipt_id",
    model=ProductionReceipt,
    create=ProductionReceiptCreate,
    out=ProductionReceiptOut,
    save=usecases.save_document,
    cancel=usecases.cancel_document,
    roles=(WAREHOUSE, INTEGRATION),  # the MES drafts and posts them, as the warehouse does
    example_id=ex.PRODUCTION_RECEIPT_ID,
)
