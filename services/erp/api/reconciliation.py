"""Reconciliation route: stock value per account beside the book's vouchers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.erp.clients import StockClient
from services.erp.schemas import ReconciliationOut
from services.erp.usecases.reconciliation import reconcile
from shared.auth.principal import ADMIN, FINANCE
from shared.http.commands import render
from shared.http.context import RequestContext, request_context
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/reconciliation", tags=["reconciliation"])
Finance = Annotated[RequestContext, Depends(request_context((FINANCE, ADMIN)))]


@router.get(
    "",
    response_model=ReconciliationOut,
    operation_id="reconcile_book",
    responses=problem_responses(401, 403, 404, 422, 502, 503, 504),
)
async def reconcile_book(
    ctx: Finance,
    book: Annotated[str, Query(min_length=1, max_length=20, examples=["LS01"])],
    as_of_date: Annotated[
        date | None,
        Query(
            description="The day, in the book's time zone: stock at its end, vouchers "
            "dated through it; default today"
        ),
    ] = None,
) -> Response:
    """Stock value per account at the end of a day (asked of stock, on your behalf) beside
    the balance of the book's voucher lines on that account through that day, and the
    documents behind a difference: vouchers held, movements not yet read."""
    stock = StockClient(ctx.request.app.state.client)
    async with ctx.db.read() as session:
        out = await reconcile(session, stock, ctx.principal, book, as_of_date)
    return render(ctx, out)
