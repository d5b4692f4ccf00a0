"""Purchase receipt routes."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog, Warehouse
from services.stock.api.document_approvals import (
    add_approval_route,
    approve_draft,
    held_or,
    held_response,
)
from services.stock.api.drafts import add_draft_routes
from services.stock.db.models import Receipt
from services.stock.schemas import DocumentStatus, ReceiptCreate, ReceiptOut, ReceiptPage
from services.stock.usecases import receipts as usecases
from services.stock.usecases.document_lines import catalog_items
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/receipts", tags=["receipts"])
#: A purchase receipt's id: GR-00000037 in the demo.
ReceiptId = Annotated[IdPath, Path(examples=[ex.RECEIPT_ID])]


@router.post(
    "",
    status_code=201,
    response_model=ReceiptOut,
    operation_id="post_receipt",
    responses={
        **problem_responses(401, 403, 409, 422, 502, 503),
        **held_response(ReceiptOut),
    },
)
async def post_receipt(ctx: Warehouse, catalog: Catalog, body: ReceiptCreate) -> Response:
    """Post a purchase receipt of a lot into a location, pending inspection, or save it as a
    draft (`"draft": true`) to post later (accepts Idempotency-Key). Under a closed approval
    gate (`purchase_receipt`) it is kept a draft that waits for approval: 202."""
    return await run_command(
        ctx,
        lambda uow: usecases.save_receipt(uow, catalog, body),
        body=body,
        status_code=held_or(201),
    )


@router.get(
    "",
    response_model=ReceiptPage,
    operation_id="list_receipts",
    responses=problem_responses(401, 422),
)
async def list_receipts(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Annotated[str | None, Query(max_length=64)] = None,
    supplier: Annotated[str | None, Query(max_length=200)] = None,
    purchase_order: Annotated[str | None, Query(max_length=100)] = None,
    status: DocumentStatus | None = None,
) -> Response:
    """Purchase receipts, oldest first, by item, supplier, purchase order or status."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_receipts(
            session,
            page,
            item_code=item_code,
            supplier=supplier,
            purchase_order=purchase_order,
            status=status,
        )
    return render(ctx, ReceiptPage(items=items, next_cursor=cursor))


@router.get(
    "/{receipt_id}",
    response_model=ReceiptOut,
    operation_id="get_receipt",
    responses=problem_responses(401, 404, 422),
)
async def get_receipt(ctx: Reader, receipt_id: ReceiptId) -> Response:
    """Read a receipt (draft, posted, reversed or cancelled) with its movements."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_receipt(session, receipt_id))


@router.post(
    "/{receipt_id}/reverse",
    response_model=ReceiptOut,
    operation_id="reverse_receipt",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def reverse_receipt(ctx: Warehouse, catalog: Catalog, receipt_id: ReceiptId) -> Response:
    """Reverse a posted receipt as a whole while its stock is still there (Idempotency-Key)."""

    async def command(uow: UnitOfWork) -> ReceiptOut:
        async with ctx.db.read() as session:
            codes = await usecases.receipt_item_codes(session, receipt_id)
        items = await catalog_items(catalog, codes)
        return await usecases.reverse_receipt(uow, receipt_id, items)

    return await run_command(ctx, command)


add_draft_routes(
    router,
    noun="receipt",
    operation="receipt",
    id_name="receipt_id",
    model=Receipt,
    create=ReceiptCreate,
    out=ReceiptOut,
    save=usecases.save_receipt,
    cancel=usecases.cancel_receipt,
    gated=True,
    example_id=ex.RECEIPT_ID,
)
add_approval_route(
    router,
    gate=usecases.GATE,
    operation="receipt",
    id_name="receipt_id",
    out=ReceiptOut,
    approve=approve_draft(usecases.GATE, ReceiptCreate, usecases.save_receipt),
    example_id=ex.RECEIPT_ID,
)
