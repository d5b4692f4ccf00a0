"""Opening balance routes (期初库存, SAP 561): upload a sheet (dry run or commit), the template,
read, list, reverse.

The upload is multipart and a commit accepts an Idempotency-Key: the idempotency claim
fingerprints the raw request body, which form parsing would otherwise consume, so this
router's routes read (and keep) the body before FastAPI parses the form from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from fastapi.routing import APIRoute

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog, Warehouse
from services.stock.opening_schemas import (
    OpeningBalanceOut,
    OpeningBalancePage,
    OpeningImportResult,
)
from services.stock.schemas import DocumentStatus
from services.stock.usecases import opening_balances as usecases
from services.stock.usecases.document_lines import catalog_items
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses
from shared.spreadsheet_files import MAX_UPLOAD_BYTES, XLSX_MEDIA_TYPE, FileTooLarge, read_sheet


class BufferedBodyRoute(APIRoute):
    """A route that reads the whole request body first: FastAPI then parses the form from
    the kept bytes, and the idempotency claim can still fingerprint them."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            await request.body()
            return await handle(request)

        return handler


router = APIRouter(
    prefix="/v1/opening-balances", tags=["opening balances"], route_class=BufferedBodyRoute
)
#: An opening balance's id: OB-00000001.
OpeningBalanceId = Annotated[IdPath, Path(examples=[ex.OPENING_BALANCE_ID])]

Upload = Annotated[
    UploadFile,
    File(description="The opening stock: .xlsx (also .xls, .ods) or .csv (UTF-8 or GBK); "
         "first sheet; see template.xlsx"),
]  # fmt: skip
DryRun = Annotated[
    bool, Query(description="true (default): only check and report; false: post all or none")
]
Note = Annotated[str, Form(max_length=500, description="A note kept on the document")]
_XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "An .xlsx workbook", "content": {XLSX_MEDIA_TYPE: {}}}
}
_POSTED: dict[int | str, dict[str, Any]] = {
    201: {"model": OpeningImportResult, "description": "Posted: the whole file, one document"}
}


@router.post(
    "",
    response_model=OpeningImportResult,
    operation_id="upload_opening_balance",
    responses={**_POSTED, **problem_responses(401, 403, 409, 413, 422, 502, 503)},
)
async def upload_opening_balance(
    ctx: Warehouse, catalog: Catalog, file: Upload, dry_run: DryRun = True, note: Note = ""
) -> Response:
    """Load opening stock from a sheet: a dry run reports every bad cell (Idempotency-Key)."""
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise FileTooLarge(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    data = await file.read()
    name = file.filename or ""
    sheet = await asyncio.to_thread(
        lambda: usecases.read_opening_sheet(data, read_sheet(data, name), name)
    )
    if dry_run:
        items = await catalog_items(catalog, (line.item_code for line in sheet.lines))
        async with ctx.db.read() as session:
            result = await usecases.preview(session, sheet, items)
        return render(ctx, result)

    async def command(uow: UnitOfWork) -> OpeningImportResult:
        items = await catalog_items(catalog, (line.item_code for line in sheet.lines))
        return await usecases.post_opening_balance(uow, sheet, items, note=note)

    return await run_command(ctx, command, status_code=201)


@router.get(
    "/template.xlsx",
    response_class=Response,
    operation_id="get_opening_balance_template",
    responses={**_XLSX_RESPONSE, **problem_responses(401)},
)
async def get_opening_balance_template(ctx: Reader) -> Response:
    """Download the sheet to fill in: bilingual headers, example rows, notes on each column."""
    data = await asyncio.to_thread(usecases.template)
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="opening-balance-template.xlsx"'},
    )


@router.get(
    "",
    response_model=OpeningBalancePage,
    operation_id="list_opening_balances",
    responses=problem_responses(401, 422),
)
async def list_opening_balances(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    status: DocumentStatus | None = None,
    item_code: Annotated[
        str | None, Query(max_length=64, description="An item on any line")
    ] = None,
    location_code: Annotated[
        str | None, Query(max_length=100, description="A location on any line")
    ] = None,
) -> Response:
    """Opening balances in posting order (no lines), by status, item or location."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_opening_balances(
            session, page, status=status, item_code=item_code, location_code=location_code
        )
    return render(ctx, OpeningBalancePage(items=items, next_cursor=cursor))


@router.get(
    "/{document_id}",
    response_model=OpeningBalanceOut,
    operation_id="get_opening_balance",
    responses=problem_responses(401, 404, 422),
)
async def get_opening_balance(ctx: Reader, document_id: OpeningBalanceId) -> Response:
    """Read an opening balance with its lines (sheet rows) and movements."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_opening_balance(session, document_id))


@router.post(
    "/{document_id}/reverse",
    response_model=OpeningBalanceOut,
    operation_id="reverse_opening_balance",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def reverse_opening_balance(
    ctx: Warehouse, catalog: Catalog, document_id: OpeningBalanceId
) -> Response:
    """Reverse a posted opening balance as a whole while its stock is still there."""

    async def command(uow: UnitOfWork) -> OpeningBalanceOut:
        async with ctx.db.read() as session:
            codes = await usecases.document_item_codes(session, document_id)
        items = await catalog_items(catalog, codes)
        return await usecases.reverse_opening_balance(uow, document_id, items)

    return await run_command(ctx, command)
