"""BOM query routes: explosion, requirements, where-used, low-level codes, cost, diff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.catalog.query_schemas import (
    BomDiffOut,
    CostRollupOut,
    ExplosionOut,
    LowLevelCodesOut,
    RequirementsOut,
    WhereUsedOut,
)
from services.catalog.usecases import bom_queries as usecases
from shared.auth.principal import FINANCE
from shared.http.commands import render
from shared.http.context import Reader, RequestContext, request_context
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(tags=["bom queries"])
CostReader = Annotated[RequestContext, Depends(request_context((FINANCE,)))]

QuantityQuery = Annotated[
    Decimal,
    Query(
        gt=0, max_digits=22, decimal_places=6,
        description="Units of the top item (at most 6 decimals)", examples=["1", "250"],
    ),
]
DateQuery = Annotated[
    dt.date | None,
    Query(
        alias="date",
        description="Released BOMs effective on this day are used (default: today)",
    ),
]
LevelsQuery = Annotated[
    int | None, Query(ge=1, le=50, description="Explode at most this many levels")
]

#: BOM versions and items of the demo (`make demo`) for "Try it out": SPK-ONE-BLK's BOM 7
#: (item 40), PCBA-MAIN revision B (3; A is 2), IC-AMP-TAS (item 5).
SpeakerBomId = Annotated[IdPath, Path(examples=[7])]
SpeakerItemId = Annotated[IdPath, Path(examples=[40])]
MainBoardBomId = Annotated[IdPath, Path(examples=[3])]
AmplifierItemId = Annotated[IdPath, Path(examples=[5])]

JSON = "application/json"


def _json(body: bytes) -> Response:
    return Response(content=body, media_type=JSON)


@router.get(
    "/v1/boms/{bom_id}/explosion",
    response_model=ExplosionOut,
    operation_id="explode_bom",
    responses=problem_responses(401, 404, 422),
)
async def explode_bom(
    ctx: Reader,
    bom_id: SpeakerBomId,
    quantity: QuantityQuery = Decimal(1),
    on: DateQuery = None,
    max_levels: LevelsQuery = None,
) -> Response:
    """Explode a BOM version (any status) over the released BOMs effective on a date."""
    cache = usecases.graph_cache(ctx.request.app.state)
    body = await usecases.explode_bom(ctx.db, cache, bom_id, quantity, on, max_levels)
    return _json(body)


@router.get(
    "/v1/items/{item_id}/explosion",
    response_model=ExplosionOut,
    operation_id="explode_item",
    responses=problem_responses(401, 404, 422),
)
async def explode_item(
    ctx: Reader,
    item_id: SpeakerItemId,
    quantity: QuantityQuery = Decimal(1),
    on: DateQuery = None,
    max_levels: LevelsQuery = None,
) -> Response:
    """Explode the released BOM of an item effective on a date (404 if none is)."""
    cache = usecases.graph_cache(ctx.request.app.state)
    body = await usecases.explode_item(ctx.db, cache, item_id, quantity, on, max_levels)
    return _json(body)


@router.get(
    "/v1/boms/{bom_id}/requirements",
    response_model=RequirementsOut,
    operation_id="summarize_bom_requirements",
    responses=problem_responses(401, 404, 422),
)
async def summarize_bom_requirements(
    ctx: Reader,
    bom_id: SpeakerBomId,
    quantity: QuantityQuery = Decimal(1),
    on: DateQuery = None,
) -> Response:
    """Total requirements per component of a BOM version, phantoms passed through."""
    cache = usecases.graph_cache(ctx.request.app.state)
    body = await usecases.summarize_requirements(ctx.db, cache, bom_id, quantity, on)
    return _json(body)


@router.get(
    "/v1/items/{item_id}/where-used",
    response_model=WhereUsedOut,
    operation_id="where_used",
    responses=problem_responses(401, 404, 422),
)
async def where_used(
    ctx: Reader,
    item_id: AmplifierItemId,
    multi_level: Annotated[
        bool, Query(description="All ancestors up to the top products, not only parents")
    ] = False,
    on: Annotated[
        dt.date | None,
        Query(alias="date", description="Only versions effective on this day (default: all)"),
    ] = None,
) -> Response:
    """Where an item is used in released BOMs, as component or substitute."""
    cache = usecases.graph_cache(ctx.request.app.state)
    body = await usecases.where_used(ctx.db, cache, item_id, multi_level=multi_level, on=on)
    return _json(body)


@router.get(
    "/v1/low-level-codes",
    response_model=LowLevelCodesOut,
    operation_id="list_low_level_codes",
    responses=problem_responses(401),
)
async def list_low_level_codes(ctx: Reader) -> Response:
    """Every item's low-level code: its deepest level in any released BOM."""
    cache = usecases.graph_cache(ctx.request.app.state)
    return _json(await usecases.low_level_codes(ctx.db, cache))


@router.get(
    "/v1/boms/{bom_id}/cost-rollup",
    response_model=CostRollupOut,
    operation_id="roll_up_bom_cost",
    responses=problem_responses(401, 403, 404, 422),
)
async def roll_up_bom_cost(
    ctx: CostReader, bom_id: MainBoardBomId, on: DateQuery = None
) -> Response:
    """Roll up the material cost of a BOM version (finance and admin only)."""
    cache = usecases.graph_cache(ctx.request.app.state)
    return render(ctx, await usecases.roll_up_cost(ctx.db, cache, bom_id, on))


@router.get(
    "/v1/boms/{bom_id}/diff",
    response_model=BomDiffOut,
    operation_id="diff_boms",
    responses=problem_responses(401, 404, 422),
)
async def diff_boms(
    ctx: Reader,
    bom_id: MainBoardBomId,
    against: Annotated[
        int,
        Query(ge=1, le=2**62, description="The version to compare with (the before)", examples=[2]),
    ],
) -> Response:
    """Compare a BOM version with another: lines added, removed and changed."""
    cache = usecases.graph_cache(ctx.request.app.state)
    return render(ctx, await usecases.diff_boms(ctx.db, cache, bom_id, against))
