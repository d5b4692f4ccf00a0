"""Report route: stock value by stage x quality state at the end of any day."""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.stock.api.deps import Catalog
from services.stock.api.report_params import Scope
from services.stock.domain.model import QualityState
from services.stock.stock_value_schemas import StockValueReport
from services.stock.usecases import aggregation
from services.stock.usecases.stock_value import StockValueGroup, read_stock_value, stock_value
from shared.db.types import utcnow
from shared.errors import FieldError, InvalidInput
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.problems import problem_responses

router = APIRouter(tags=["reports"])


@router.get(
    "/v1/reports/stock-value",
    response_model=StockValueReport,
    operation_id="stock_value_report",
    responses=problem_responses(401, 422, 502),
)
async def stock_value_report(
    ctx: Reader,
    catalog: Catalog,
    scope: Scope,
    as_of_date: Annotated[
        date | None,
        Query(
            description="The day (UTC), not in the future: the stock at its end, back-dated "
            "postings and their revaluations included; default today (everything posted so "
            "far)"
        ),
    ] = None,
    group_by: Annotated[
        StockValueGroup,
        Query(
            description="warehouse (the topmost location of type warehouse above the stock, "
            "else the top of its tree), total, item (with its name), category (the "
            "catalog's), location or stage"
        ),
    ] = StockValueGroup.WAREHOUSE,
    quality_state: QualityState | None = None,
) -> Response:
    """Stock value (库存金额) by stage x quality state at the end of a day, per warehouse,
    item, category, location or stage, or in total: read from the daily and monthly stock
    flows, never the whole ledger; the cells tie out with `GET /v1/stock-overview` at the
    end of that day (values for finance and admin)."""
    today = utcnow().astimezone(UTC).date()
    if as_of_date is not None and as_of_date > today:
        raise InvalidInput(
            "1 parameter(s) are not valid",
            errors=[FieldError("query.as_of_date", "must not be in the future", "future")],
        )
    await aggregation.catch_up(ctx.db)  # every posting so far in the flows and closings
    async with ctx.db.snapshot() as session:
        stock = await read_stock_value(
            session, day=as_of_date or today, scope=scope, quality_state=quality_state
        )
    return render(ctx, await stock_value(stock, catalog, group_by=group_by))
