"""Stock count routes (盘点): start (freeze the book), count (JSON or .xlsx), post, cancel,
reverse, the count sheet to print, and workflow's decision on a count whose differences
wait for approval (`count_variance`)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog, Warehouse
from services.stock.api.document_approvals import add_approval_route, held_or, held_response
from services.stock.clients import CatalogClient, CatalogItem
from services.stock.count_schemas import (
    CountLinesIn,
    CountSheetResult,
    StockCountCreate,
    StockCountOut,
    StockCountPage,
    StockCountStatus,
)
from services.stock.schemas import ApprovalDecision
from services.stock.usecases import stock_count_entries as entries
from services.stock.usecases import stock_count_sheets as sheets
from services.stock.usecases import stock_count_views as views
from services.stock.usecases import stock_counts as usecases
from services.stock.usecases.document_lines import catalog_items
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses
from shared.spreadsheet_files import (
    MAX_UPLOAD_BYTES,
    XLSX_MEDIA_TYPE,
    FileTooLarge,
    read_sheet,
    write_workbook,
)

router = APIRouter(prefix="/v1/stock-counts", tags=["stock counts"])
#: A stock count's id: PI-00000001 in the demo.
CountId = Annotated[IdPath, Path(examples=[ex.STOCK_COUNT_ID])]

Upload = Annotated[
    UploadFile,
    File(description="The count sheet: .xlsx (also .xls, .ods) or .csv (UTF-8 or GBK); "
         "first sheet"),
]  # fmt: skip
DryRun = Annotated[
    bool, Query(description="true (default): only check and report; false: enter all or none")
]
_XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "An .xlsx workbook", "content": {XLSX_MEDIA_TYPE: {}}}
}
COMMAND_PROBLEMS = problem_responses(401, 403, 404, 409, 422)
CATALOG_PROBLEMS = problem_responses(401, 403, 404, 409, 422, 502, 503)


async def _items(
    ctx: RequestContext, catalog: CatalogClient, count_id: int
) -> dict[str, CatalogItem | None]:
    async with ctx.db.read() as session:
        codes = await views.line_item_codes(session, count_id)
    return await catalog_items(catalog, codes)


@router.post(
    "",
    status_code=201,
    response_model=StockCountOut,
    operation_id="start_stock_count",
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def start_stock_count(ctx: Warehouse, catalog: Catalog, body: StockCountCreate) -> Response:
    """Start a count: freeze the book of a location subtree (accepts Idempotency-Key)."""

    async def command(uow: UnitOfWork) -> StockCountOut:
        errors = await usecases.check_start(catalog, body)
        return await usecases.start_count(uow, body, errors)

    return await run_command(ctx, command, body=body, status_code=201)


@router.get(
    "",
    response_model=StockCountPage,
    operation_id="list_stock_counts",
    responses=problem_responses(401, 422),
)
async def list_stock_counts(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    status: StockCountStatus | None = None,
    location_code: Annotated[
        str | None, Query(max_length=100, description="The location the count covers (its root)")
    ] = None,
) -> Response:
    """Stock counts in the order they were started (no lines), by status or location."""
    async with ctx.db.read() as session:
        items, cursor = await views.list_counts(
            session, page, status=status, location_code=location_code
        )
    return render(ctx, StockCountPage(items=items, next_cursor=cursor))


@router.get(
    "/{count_id}",
    response_model=StockCountOut,
    operation_id="get_stock_count",
    responses=problem_responses(401, 404, 422),
)
async def get_stock_count(ctx: Reader, count_id: CountId) -> Response:
    """Read a count: lines with book, counted and difference (blind: book hidden), movements."""
    async with ctx.db.read() as session:
        return render(ctx, await views.get_count(session, count_id))


@router.put(
    "/{count_id}/lines",
    response_model=StockCountOut,
    operation_id="enter_stock_count_lines",
    responses=CATALOG_PROBLEMS,
)
async def enter_stock_count_lines(
    ctx: Warehouse, catalog: Catalog, count_id: CountId, body: CountLinesIn
) -> Response:
    """Enter counted quantities: overwrites a bucket's count, adds stock found; all or none.
    A count that waits for approval takes none (409 `approval_pending`)."""

    async def command(uow: UnitOfWork) -> StockCountOut:
        items = await catalog_items(catalog, (line.item_code for line in body.lines))
        return await entries.enter_counts(uow, count_id, body, items)

    return await run_command(ctx, command, body=body)


@router.post(
    "/{count_id}/counts.xlsx",
    response_model=CountSheetResult,
    operation_id="upload_stock_count_sheet",
    responses=problem_responses(401, 403, 404, 409, 413, 422, 502, 503),
)
async def upload_stock_count_sheet(
    ctx: Warehouse, catalog: Catalog, count_id: CountId, file: Upload, dry_run: DryRun = True
) -> Response:
    """Enter counts from a filled-in count sheet; a dry run reports every bad cell. A
    count that waits for approval takes none (409 `approval_pending`)."""
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise FileTooLarge(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    data = await file.read()
    sheet = await asyncio.to_thread(
        lambda: sheets.read_count_sheet(read_sheet(data, file.filename))
    )
    items = await catalog_items(catalog, (line.item_code for line in sheet.lines))
    if dry_run:
        async with ctx.db.read() as session:
            result = await sheets.preview_sheet(session, count_id, sheet, items)
        return render(ctx, result)
    # Entering overwrites counts, so a retry changes nothing: no Idempotency-Key needed.
    return render(ctx, await sheets.enter_sheet(ctx.uow(), count_id, sheet, items))


@router.get(
    "/{count_id}/sheet.xlsx",
    response_class=Response,
    operation_id="get_stock_count_sheet",
    responses={**_XLSX_RESPONSE, **problem_responses(401, 404, 422)},
)
async def get_stock_count_sheet(ctx: Reader, count_id: CountId) -> Response:
    """Download the count sheet to print and fill in (a blind count leaves the book out)."""
    async with ctx.db.read() as session:
        count = await views.get_count(session, count_id)
    data = await asyncio.to_thread(write_workbook, [sheets.count_sheet(count)])
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{count.number}.xlsx"'},
    )


@router.post(
    "/{count_id}/post",
    response_model=StockCountOut,
    operation_id="post_stock_count",
    responses={
        **CATALOG_PROBLEMS,
        **held_response(StockCountOut, "the count stays counting (it takes no counts)"),
    },
)
async def post_stock_count(ctx: Warehouse, catalog: Catalog, count_id: CountId) -> Response:
    """Post the differences of a fully counted count, all or none (accepts Idempotency-Key).
    Under a closed approval gate (`count_variance`) a count with differences posts
    nothing and waits for approval: 202; one that waits is 409 `approval_pending`."""

    async def command(uow: UnitOfWork) -> StockCountOut:
        return await usecases.post_count(uow, count_id, await _items(ctx, catalog, count_id))

    return await run_command(ctx, command, status_code=held_or(200))


@router.post(
    "/{count_id}/cancel",
    response_model=StockCountOut,
    operation_id="cancel_stock_count",
    responses=COMMAND_PROBLEMS,
)
async def cancel_stock_count(ctx: Warehouse, count_id: CountId) -> Response:
    """Cancel a count that is still counting (also one that waits for approval); nothing is
    posted (accepts Idempotency-Key)."""
    return await run_command(ctx, lambda uow: usecases.cancel_count(uow, count_id))


@router.post(
    "/{count_id}/reverse",
    response_model=StockCountOut,
    operation_id="reverse_stock_count",
    responses=CATALOG_PROBLEMS,
)
async def reverse_stock_count(ctx: Warehouse, catalog: Catalog, count_id: CountId) -> Response:
    """Reverse a posted count as a whole while the stock it moved is still there."""

    async def command(uow: UnitOfWork) -> StockCountOut:
        return await usecases.reverse_count(uow, count_id, await _items(ctx, catalog, count_id))

    return await run_command(ctx, command)


async def _approve(
    ctx: RequestContext,
    uow: UnitOfWork,
    catalog: CatalogClient,
    document_id: int,
    decision: ApprovalDecision,
) -> StockCountOut:
    """Workflow's approval posts the count as `POST .../post` does, now (a count posts
    against today's balances: the decision's `posted_at` does not apply)."""
    items = await _items(ctx, catalog, document_id)
    return await usecases.post_count(uow, document_id, items, approved_by=decision.reference)


add_approval_route(
    router,
    gate=usecases.GATE,
    operation="stock_count",
    id_name="count_id",
    out=StockCountOut,
    approve=_approve,
    returned="leaves it counting, no longer waiting: it can be recounted and posted again",
    example_id=ex.STOCK_COUNT_ID,
)
