"""Purchase receipt routes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.stock.api.deps import Catalog, Warehouse
from services.stock.schemas import ReceiptCreate, ReceiptOut
from services.stock.usecases import receipts as usecases
from shared.http.commands import render, run_command
from shared.http.context import Reader
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/receipts", tags=["receipts"])


@router.post(
    "",
    status_code=201,
    response_model=ReceiptOut,
    operation_id="post_receipt",
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def post_receipt(ctx: Warehouse, catalog: Catalog, body: ReceiptCreate) -> Response:
    """Post a purchase receipt of a lot into a location, pending inspection (Idempotency-Key)."""

    async def command(uow):  # type: ignore[no-untyped-def]
        item, errors, data = await usecases.check_receipt(catalog, body)
        return await usecases.post_receipt(uow, data, item, errors)

    return await run_command(ctx, command, body=body, status_code=201)


@router.get(
    "/{receipt_id}",
    response_model=ReceiptOut,
    operation_id="get_receipt",
    responses=problem_responses(401, 404, 422),
)
async def get_receipt(ctx: Reader, receipt_id: IdPath) -> Response:
    """Read a posted receipt with its movements."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_receipt(session, receipt_id))
