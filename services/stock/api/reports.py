"""Report routes: dead stock, aging, turnover."""

from __future__ import annotations

from datetime import UTC, date
from itertools import pairwise
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.stock.api.deps import Catalog
from services.stock.api.report_params import Scope
from services.stock.domain.model import QualityState
from services.stock.report_schemas import AgingReport, DeadStockReport, TurnoverReport
from services.stock.usecases import aggregation, rollups
from services.stock.usecases.aging import DEFAULT_LIMITS, AgingGroup, aging, read_stock
from services.stock.usecases.report_items import items_for_database
from services.stock.usecases.reports import dead_stock
from services.stock.usecases.turnover import PeriodKind, TurnoverGroup, report, turnover
from shared.db.types import utcnow
from shared.errors import FieldError, InvalidInput
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.problems import problem_responses
from shared.schemas import Moment

router = APIRouter(tags=["reports"])


@router.get(
    "/v1/reports/dead-stock",
    response_model=DeadStockReport,
    operation_id="dead_stock_report",
    responses=problem_responses(401, 422),
)
async def dead_stock_report(
    ctx: Reader,
    scope: Scope,
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
) -> Response:
    """Dead stock: items holding stock with no issue for `idle_days`, by value (values for
    finance and admin); an item issued anywhere is not dead, the filters choose its stock."""
    async with ctx.db.snapshot() as session:
        report = await dead_stock(session, idle_days=idle_days, limit=limit, scope=scope)
    return render(ctx, report)


@router.get(
    "/v1/reports/aging",
    response_model=AgingReport,
    operation_id="aging_report",
    responses=problem_responses(401, 422, 502),
)
async def aging_report(
    ctx: Reader,
    catalog: Catalog,
    scope: Scope,
    buckets: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The age bands' upper limits in days, ascending positive integers "
            "separated by commas: 30,90,180,365 (the default) gives 0-30, 31-90, 91-180, "
            "181-365 and over 365",
        ),
    ] = None,
    group_by: Annotated[
        AgingGroup,
        Query(
            description="item (with its name), category (the catalog's), warehouse (the "
            "topmost location of type warehouse above the stock, else the top of its tree) "
            "or stage"
        ),
    ] = AgingGroup.ITEM,
    as_of: Annotated[
        Moment | None,
        Query(
            description="A past moment (with time zone): ages at its date, quantities and "
            "values from the ledger up to then, as `GET /v1/stock-overview`; default now"
        ),
    ] = None,
    quality_state: QualityState | None = None,
) -> Response:
    """Aging (库龄): on-hand quantity and value by age since receipt (a lot's receipt date,
    else when its balance began to hold stock) in bands, per item, category, warehouse or
    stage, with what is in lots past their expiry date (values for finance and admin)."""
    limits, errors = _limits(buckets)
    now = utcnow()
    if as_of is not None and as_of > now:
        errors.append(FieldError("query.as_of", "must not be in the future", "future"))
    if errors:
        raise InvalidInput(f"{len(errors)} parameter(s) are not valid", errors=errors)
    async with ctx.db.snapshot() as session:
        stock = await read_stock(
            session, as_of=as_of, now=now, scope=scope, quality_state=quality_state
        )
    return render(ctx, await aging(stock, catalog, limits=limits, group_by=group_by))


@router.get(
    "/v1/reports/turnover",
    response_model=TurnoverReport,
    operation_id="turnover_report",
    responses=problem_responses(401, 422, 502),
)
async def turnover_report(
    ctx: Reader,
    catalog: Catalog,
    scope: Scope,
    period: Annotated[
        PeriodKind, Query(description="month (calendar months) or week (ISO, Monday-Sunday)")
    ] = PeriodKind.MONTH,
    periods: Annotated[
        int, Query(ge=1, le=104, description="How many periods the trend shows, up to date_to's")
    ] = 12,
    date_to: Annotated[
        date | None,
        Query(
            description="The report date (UTC), not in the future: the last period ends "
            "here (a period in progress counts its days so far); default today"
        ),
    ] = None,
    group_by: Annotated[
        TurnoverGroup,
        Query(
            description="total, item (with its name), category (the catalog's), stage, or "
            "warehouse (the topmost location of type warehouse above the stock)"
        ),
    ] = TurnoverGroup.TOTAL,
    limit: Annotated[
        int, Query(ge=1, le=20000, description="Rows shown, by issued value over the trend")
    ] = 100,
) -> Response:
    """Inventory turnover (库存周转) per month or week over the last `periods`: the value
    issued for consumption (to work orders, shipped, scrapped; reversals taken off), the
    average of the daily closing stock values, their ratio and the days of supply; per
    group and over the whole trend. Read from the daily and monthly stock flows, never the
    whole ledger. A location or stage (filter or group) gets an item's average value in
    proportion to its share of the item's average quantity. Values for finance and admin;
    the ratios for everyone who reads stock."""
    today = utcnow().astimezone(UTC).date()
    if date_to is not None and date_to > today:
        raise InvalidInput(
            "1 parameter(s) are not valid",
            errors=[FieldError("query.date_to", "must not be in the future", "future")],
        )
    kind = PeriodKind(period)
    await aggregation.catch_up(ctx.db)  # every posting so far in the flows and rollups
    items = None
    if group_by is TurnoverGroup.CATEGORY and scope.location_code is None and scope.stage is None:
        async with ctx.db.read() as session:
            rolled = not scope.item_codes and await rollups.complete(session)
        if not rolled:
            # PostgreSQL sums per category: the catalog's items first, outside the snapshot
            items = await items_for_database(ctx.db, catalog, scope.item_codes)
    async with ctx.db.snapshot() as session:
        computed = await turnover(
            session,
            kind=kind,
            count=periods,
            last_day=date_to or today,
            group_by=group_by,
            scope=scope,
            catalog_items=items,
        )
    stage = scope.stage.value if scope.stage else None
    answer = await report(computed, catalog, kind=kind, stage=stage, limit=limit)
    return render(ctx, answer)


def _limits(text: str | None) -> tuple[tuple[int, ...], list[FieldError]]:
    """`buckets` as ascending positive integers, else the error naming it."""
    if text is None:
        return DEFAULT_LIMITS, []
    parts = [part.strip() for part in text.split(",")]
    try:
        limits = tuple(int(part) for part in parts)
    except ValueError:
        limits = ()
    if (
        not limits
        or any(limit < 1 or limit > 36500 for limit in limits)
        or any(a >= b for a, b in pairwise(limits))
        or len(limits) > 20
    ):
        problem = FieldError(
            "query.buckets",
            "ascending positive whole days separated by commas, e.g. 30,90,180,365",
            "invalid",
        )
        return DEFAULT_LIMITS, [problem]
    return limits, []
