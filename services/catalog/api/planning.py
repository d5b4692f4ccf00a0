"""Planning data route: what MRP reads from the catalog, in one call at one graph stamp."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import Field

from services.catalog.planning_schemas import PlanningDataOut
from services.catalog.usecases import planning as usecases
from services.catalog.usecases.bom_queries import graph_cache
from shared.auth.principal import PLANNER
from shared.http.context import RequestContext, request_context
from shared.http.problems import problem_responses

router = APIRouter(tags=["planning"])
#: Planners, and (as every role check lets through) admin and other services (MRP).
PlanningReader = Annotated[RequestContext, Depends(request_context((PLANNER,)))]


@router.get(
    "/v1/planning-data",
    response_model=PlanningDataOut,
    operation_id="get_planning_data",
    responses=problem_responses(401, 403, 422),
)
async def get_planning_data(
    ctx: PlanningReader,
    root: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]] | None,
        Query(
            max_length=500,
            description="Only these items (repeat, up to 500) and everything below them in "
            "any released version; default: every item",
        ),
    ] = None,
) -> Response:
    """Every item and released BOM version with stock-unit quantities, at one graph stamp."""
    cache = graph_cache(ctx.request.app.state)
    body = await usecases.planning_data(ctx.db, cache, roots=list(dict.fromkeys(root or [])))
    return Response(content=body, media_type="application/json")
