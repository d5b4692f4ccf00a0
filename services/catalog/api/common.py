"""Helpers the catalog routes share: editors, If-Match, the stock client."""

from typing import Annotated

from fastapi import Depends, Header, Request

from services.catalog.clients import StockClient
from services.catalog.domain.items import etag, version_from_if_match
from shared.auth.principal import ADMIN, PLANNER
from shared.errors import FieldError, InvalidInput, PreconditionRequired
from shared.http.context import RequestContext, request_context

#: Master data is kept by planners (and admins).
Editor = Annotated[RequestContext, Depends(request_context((ADMIN, PLANNER)))]
IfMatch = Annotated[str | None, Header(description="ETag of the version you read")]


def expected_version(if_match: str | None, what: str) -> int:
    """The version an If-Match header names: 428 when missing, 422 when unreadable."""
    if if_match is None:
        raise PreconditionRequired(f"send the {what}'s ETag as If-Match")
    version = version_from_if_match(if_match)
    if version is None:
        raise InvalidInput(
            "If-Match is not an ETag of this API",
            errors=[FieldError("header.If-Match", 'expected W/"<version>"')],
        )
    return version


def etag_header(result: object) -> dict[str, str]:
    return {"ETag": etag(int(getattr(result, "version")))}  # noqa: B009


def stock_client(request: Request) -> StockClient:
    return StockClient(request.app.state.client)


Stock = Annotated[StockClient, Depends(stock_client)]
