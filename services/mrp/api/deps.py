"""Route dependencies shared by the MRP routers."""

from typing import Annotated

from fastapi import Depends, Request

from services.mrp.clients import CatalogClient, PlanningCache, StockClient
from shared.auth.principal import PLANNER
from shared.http.context import RequestContext, request_context

#: Planners own demands, orders and MRP runs.
Planner = Annotated[RequestContext, Depends(request_context((PLANNER,)))]


async def catalog_client(request: Request) -> CatalogClient:
    state = request.app.state
    if getattr(state, "planning_cache", None) is None:
        state.planning_cache = PlanningCache()
    return CatalogClient(state.client, state.planning_cache)


async def stock_client(request: Request) -> StockClient:
    return StockClient(request.app.state.client)


Catalog = Annotated[CatalogClient, Depends(catalog_client)]
Stock = Annotated[StockClient, Depends(stock_client)]
