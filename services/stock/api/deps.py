"""Route dependencies shared by the stock routers."""

from typing import Annotated

from fastapi import Depends, Query, Request

from services.stock.clients import CatalogClient
from shared.auth.principal import WAREHOUSE
from shared.http.context import RequestContext, request_context

Warehouse = Annotated[RequestContext, Depends(request_context((WAREHOUSE,)))]
#: A query parameter limiting an answer to a location's subtree.
SubtreeCode = Annotated[
    str | None, Query(max_length=100, description="This location and all below it")
]


async def catalog_client(request: Request) -> CatalogClient:
    return CatalogClient(request.app.state.client, request.app.state.db)


Catalog = Annotated[CatalogClient, Depends(catalog_client)]
