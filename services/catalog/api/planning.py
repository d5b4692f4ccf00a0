"""Planning data route: what MRP reads from the catalog, in one call at one graph stamp."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from pydantic import Field

from services.catalog.planning_schemas import PlanningDataOut
from services.catalog.usecases import planning as usecases
from services.catalog.usecases.bom_queries import graph_cache
from shared.auth.principal import PLANNER
from shared.http.context import RequestContext, request_context
from shared.http.etags import etag
from shared.http.problems import problem_responses

router = APIRouter(tags=["planning"])
#: Planners, and (as every role check lets through) admin and other services (MRP).
PlanningReader = Annotated[RequestContext, Depends(request_context((PLANNER,)))]


@router.get(
    "/v1/planning-data",
    response_model=PlanningDataOut,
    operation_id="get_planning_data",
    responses={
        304: {"description": "The copy whose ETag was sent is still the answer"},
        **problem_responses(401, 403, 422),
    },
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
    if_none_match: Annotated[
        str | None,
        Header(description="The ETag of the answer you hold: 304 while it is still the answer"),
    ] = None,
) -> Response:
    """Every item and released BOM version with stock-unit quantities, at one graph stamp.

    The answer's ETag is its graph stamp (`W/"<graph_stamp>"`): item and BOM changes both
    move the stamp, so a client that sends it back in If-None-Match gets 304 Not Modified
    while its copy for the same roots is current, and the whole answer once it is not."""
    if if_none_match is not None:
        stamp = await usecases.current_stamp(ctx.db)
        if etag(stamp) in _tags(if_none_match):
            return Response(status_code=304, headers={"ETag": etag(stamp)})
    cache = graph_cache(ctx.request.app.state)
    stamp, body = await usecases.planning_data(
        ctx.db, cache, roots=list(dict.fromkeys(root or []))
    )
    return Response(content=body, media_type="application/json", headers={"ETag": etag(stamp)})


def _tags(header: str) -> set[str]:
    """The entity tags an If-None-Match header lists, weak or not (`*` matches none here:
    there is always an answer)."""
    found = set()
    for tag in header.split(","):
        tag = tag.strip()
        found.add(tag if tag.startswith("W/") else f"W/{tag}")
    return found
