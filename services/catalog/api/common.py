"""Helpers the catalog routes share: editors, If-Match (from `shared.http.etags`), the
stock client."""

from typing import Annotated

from fastapi import Depends, Request

from services.catalog.clients import StockClient
from shared.auth.principal import ADMIN, PLANNER
from shared.http.context import RequestContext, request_context
from shared.http.etags import IfMatch, etag_header, expected_version

#: Master data is kept by planners (and admins).
Editor = Annotated[RequestContext, Depends(request_context((ADMIN, PLANNER)))]

async def stock_client(request: Request) -> StockClient:
    return StockClient(request.app.state.client)


Stock = Annotated[StockClient, Depends(stock_client)]


__all__ = ["Editor", "IfMatch", "Stock", "etag_header", "expected_version", "stock_client"]
