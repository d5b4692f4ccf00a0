"""Route dependencies shared by the MRP routers."""

from typing import Annotated

from fastapi import Depends, Path, Request

from services.mrp.clients import CatalogClient, PlanningCache, StockClient
from shared.auth.principal import PLANNER
from shared.http.context import RequestContext, request_context
from shared.http.params import IdPath

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


#: Ids of the demo company's things: SO-9001, FC-00000001, MRP run 1, its planned order
#: 148 (10,000 R0402-10K to buy), PO-1501 (firmed from it), WO-14-SPK and WO-09-MCU.
SalesOrderId = Annotated[IdPath, Path(examples=[1])]
ForecastId = Annotated[IdPath, Path(examples=[1])]
RunId = Annotated[IdPath, Path(examples=[1])]
PlannedOrderId = Annotated[IdPath, Path(examples=[148])]
PurchaseOrderId = Annotated[IdPath, Path(examples=[1])]
WorkOrderId = Annotated[IdPath, Path(examples=[54])]
UsageWorkOrderId = Annotated[IdPath, Path(examples=[35])]
