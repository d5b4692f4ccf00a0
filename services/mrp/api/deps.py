"""Route dependencies shared by the MRP routers."""

from typing import Annotated, Any

from fastapi import Depends, Path, Request

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


def id_path(example: int) -> Any:
    """`shared.http.params.IdPath`'s parameter with an id of the demo company as example
    (for "Try it out"); the same bounds and description."""
    return Path(ge=1, le=2**62, description="Numeric id", examples=[example])


#: Ids of the demo company's things: SO-9001, FC-00000001, MRP run 1, its planned order
#: 148 (10,000 R0402-10K to buy), PO-1501 (firmed from it), WO-14-SPK and WO-09-MCU.
SalesOrderId = Annotated[int, id_path(1)]
ForecastId = Annotated[int, id_path(1)]
RunId = Annotated[int, id_path(1)]
PlannedOrderId = Annotated[int, id_path(148)]
PurchaseOrderId = Annotated[int, id_path(1)]
WorkOrderId = Annotated[int, id_path(54)]
UsageWorkOrderId = Annotated[int, id_path(35)]
