"""Report route: inbound and outbound summary by movement kind (收发汇总)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.stock.api.deps import Catalog
from services.stock.api.report_params import Scope
from services.stock.domain.model import QualityState
from services.stock.movement_summary_schemas import MovementSummaryReport
from services.stock.usecases.movement_summary import SummaryGroup, summarize
from shared.db.types import utcnow
from shared.errors import FieldError, InvalidInput
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.problems import problem_responses

router = APIRouter(tags=["reports"])

#: The longest period a report covers, in days (both ends included).
MAX_DAYS = 3660


@router.get(
    "/v1/reports/movement-summary",
    response_model=MovementSummaryReport,
    operation_id="movement_summary_report",
    responses=problem_responses(401, 422, 502),
)
async def movement_summary_report(
    ctx: Reader,
    catalog: Catalog,
    scope: Scope,
    date_from: Annotated[
        date | None,
        Query(
            description="The period's first day (UTC, included); default the first day of "
            "date_to's month"
        ),
    ] = None,
    date_to: Annotated[
        date | None,
        Query(
            description="The period's last day (UTC, included), not in the future; default "
            f"today. At most {MAX_DAYS} days from date_from to date_to, both included"
        ),
    ] = None,
    group_by: Annotated[
        SummaryGroup,
        Query(
            description="kind: a row per movement kind; kind_item, kind_warehouse, kind_stage: "
            "a row per kind and item, warehouse (the topmost location of type warehouse "
            "above the stock, else the top of its tree) or stage"
        ),
    ] = SummaryGroup.KIND,
    quality_state: Annotated[
        QualityState | None,
        Query(description="Only what arrived in or left this quality state"),
    ] = None,
) -> Response:
    """Inbound and outbound summary (收发汇总): per movement kind over a period of days,
    what was received and issued (stock arriving from or leaving for suppliers, customers,
    production, scrap, counts), with values for finance and admin, and what was moved
    between stock locations or quality states; a reversed document is left out."""
    today = utcnow().date()
    last = date_to or today
    first = date_from or last.replace(day=1)
    errors = []
    if last > today:
        errors.append(FieldError("query.date_to", "must not be in the future", "future"))
    if first > last:
        errors.append(FieldError("query.date_from", "must not be after date_to", "after_end"))
    elif (last - first).days + 1 > MAX_DAYS:
        errors.append(
            FieldError("query.date_from", f"the period is longer than {MAX_DAYS} days", "too_long")
        )
    if errors:
        raise InvalidInput(f"{len(errors)} parameter(s) are not valid", errors=errors)
    report = await summarize(
        ctx.db,
        catalog,
        date_from=first,
        date_to=last,
        group_by=group_by,
        scope=scope,
        quality_state=quality_state,
    )
    return render(ctx, report)
