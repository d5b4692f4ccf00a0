"""Transfer (put-away, relocation) routes."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog, Warehouse
from services.stock.api.drafts import add_draft_routes
from services.stock.db.models import Transfer
from services.stock.schemas import DocumentStatus
from services.stock.transfer_schemas import TransferCreate, TransferOut, TransferPage
from services.stock.usecases import transfers as usecases
from services.stock.usecases.document_lines import catalog_items
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/transfers", tags=["transfers"])
#: A transfer's id: TR-00000004 in the demo.
TransferId = Annotated[IdPath, Path(examples=[ex.TRANSFER_ID])]


@router.post(
    "",
    status_code=201,
    response_model=TransferOut,
    operation_id="post_transfer",
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def post_transfer(ctx: Warehouse, catalog: Catalog, body: TransferCreate) -> Response:
    """Post a transfer between two locations, all lines or none, or save it as a draft
    (`"draft": true`) to post later (accepts Idempotency-Key)."""
    return await run_command(
        ctx, lambda uow: usecases.save_transfer(uow, catalog, body), body=body, status_code=201
    )


@router.get(
    "",
    response_model=TransferPage,
    operation_id="list_transfers",
    responses=problem_responses(401, 422),
)
async def list_transfers(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Annotated[str | None, Query(max_length=64)] = None,
    location_code: Annotated[
        str | None, Query(max_length=100, description="Either end of the transfer")
    ] = None,
    status: DocumentStatus | None = None,
) -> Response:
    """Transfers in posting order, by an item on any line, a location or status."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_transfers(
            session, page, item_code=item_code, location_code=location_code, status=status
        )
    return render(ctx, TransferPage(items=items, next_cursor=cursor))


@router.get(
    "/{transfer_id}",
    response_model=TransferOut,
    operation_id="get_transfer",
    responses=problem_responses(401, 404, 422),
)
async def get_transfer(ctx: Reader, transfer_id: TransferId) -> Response:
    """Read a transfer with its lines and movements."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_transfer(session, transfer_id))


@router.post(
    "/{transfer_id}/reverse",
    response_model=TransferOut,
    operation_id="reverse_transfer",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def reverse_transfer(ctx: Warehouse, catalog: Catalog, transfer_id: TransferId) -> Response:
    """Reverse a posted transfer as a whole while its stock is still there (Idempotency-Key)."""

    async def command(uow: UnitOfWork) -> TransferOut:
        async with ctx.db.read() as session:
            codes = await usecases.transfer_item_codes(session, transfer_id)
        items = await catalog_items(catalog, codes)
        return await usecases.reverse_transfer(uow, transfer_id, items)

    return await run_command(ctx, command)


add_draft_routes(
    router,
    noun="transfer",
    operation="transfer",
    id_name="transfer_id",
    model=Transfer,
    create=TransferCreate,
    out=TransferOut,
    save=usecases.save_transfer,
    cancel=usecases.cancel_transfer,
    example_id=ex.TRANSFER_ID,
)
