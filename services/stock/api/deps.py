"""Route dependencies shared by the stock routers."""

from typing import Annotated

from fastapi import Depends, Request

from services.stock.clients import CatalogClient
from shared.auth.principal import WAREHOUSE
from shared.http.context import RequestContext, request_context

Warehouse = Annotated[RequestContext, Depends(request_context((WAREHOUSE,)))]


async def catalog_client(request: Request) -> CatalogClient:
    return CatalogClient(request.app.state.client)


Catalog = Annotated[CatalogClient, Depends(catalog_client)]
