"""Report routes: dead stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from services.stock.domain.model import Stage
from services.stock.report_schemas import DeadStockReport
from services.stock.usecases.reports import StockScope, dead_stock
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.problems import problem_responses

router = APIRouter(tags=["reports"])


@router.get(
    "/v1/reports/dead-stock",
    response_model=DeadStockReport,
    operation_id="dead_stock_report",
    responses=problem_responses(401, 422),
)
async def dead_stock_report(
    ctx: Reader,
    idle_days: Annotated[
        int,
        Query(
            ge=1,
            le=3650,
            description="Dead: holding stock and not issued (consumed, shipped, scrapped, "
            "returned to the supplier, lost in a count) for at least this many days; an item "
            "never issued counts from its first movement",
        ),
    ] = 90,
    limit: Annotated[int, Query(ge=1, le=1000, description="Items shown, by value")] = 10,
    location_code: Annotated[str | None, Query(max_length=100)] = None,
    subtree: Annotated[
        bool,
        Query(
            description="With location_code: also every location below it; without "
            "location_code it changes nothing"
        ),
    ] = False,
    stage: Stage | None = None,
    item_code: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None,
        Query(max_length=500, description="Repeat for several items (up to 500); default all"),
    ] = None,
) -> Response:
    """Dead stock: items holding stock with no issue for `idle_days`, by value (values for
    finance and admin); an item issued anywhere is not dead, the filters choose its stock."""
    scope = StockScope(
        location_code=location_code,
        subtree=subtree,
        stage=stage,
        item_codes=list(dict.fromkeys(item_code or [])),
    )
    async with ctx.db.snapshot() as session:
        report = await dead_stock(session, idle_days=idle_days, limit=limit, scope=scope)
    return render(ctx, report)
