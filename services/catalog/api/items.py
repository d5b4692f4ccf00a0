"""Item routes: HTTP <-> schemas <-> use-cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import Response

from services.catalog.domain.items import ItemType, etag, version_from_if_match
from services.catalog.schemas import ItemCreate, ItemOut, ItemPage, ItemUpdate
from services.catalog.usecases import items as usecases
from shared.auth.principal import ADMIN, PLANNER
from shared.errors import FieldError, InvalidInput, PreconditionRequired
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/items", tags=["items"])
Editor = Annotated[RequestContext, Depends(request_context((ADMIN, PLANNER)))]


def _etag_header(item: ItemOut) -> dict[str, str]:
    return {"ETag": etag(item.version)}


@router.post(
    "",
    status_code=201,
    response_model=ItemOut,
    operation_id="create_item",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_item(ctx: Editor, body: ItemCreate) -> Response:
    """Create an item (accepts Idempotency-Key)."""
    return await run_command(
        ctx,
        lambda uow: usecases.create_item(uow, body),
        body=body,
        status_code=201,
        headers=_etag_header,
    )


@router.get(
    "", response_model=ItemPage, operation_id="list_items", responses=problem_responses(401, 422)
)
async def list_items(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_type: ItemType | None = None,
    code_prefix: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """List items in creation order, filtered by type or code prefix."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_items(
            session, page, item_type=item_type.value if item_type else None, code_prefix=code_prefix
        )
    return render(ctx, ItemPage(items=items, next_cursor=cursor))


@router.get(
    "/by-code/{code}",
    response_model=ItemOut,
    operation_id="get_item_by_code",
    responses=problem_responses(401, 404),
)
async def get_item_by_code(ctx: Reader, code: Annotated[str, Path(max_length=64)]) -> Response:
    """Read an item by its code."""
    async with ctx.db.read() as session:
        item = await usecases.get_item_by_code(session, code)
    return render(ctx, item, headers=_etag_header(item))


@router.get(
    "/{item_id}",
    response_model=ItemOut,
    operation_id="get_item",
    responses=problem_responses(401, 404, 422),
)
async def get_item(ctx: Reader, item_id: IdPath) -> Response:
    """Read an item by id."""
    async with ctx.db.read() as session:
        item = await usecases.get_item(session, item_id)
    return render(ctx, item, headers=_etag_header(item))


@router.patch(
    "/{item_id}",
    response_model=ItemOut,
    operation_id="update_item",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_item(
    ctx: Editor,
    item_id: IdPath,
    body: ItemUpdate,
    if_match: Annotated[str | None, Header(description="ETag of the version you read")] = None,
) -> Response:
    """Change an item; send the ETag you read as If-Match (a stale one gets 412)."""
    if if_match is None:
        raise PreconditionRequired("send the item's ETag as If-Match")
    expected = version_from_if_match(if_match)
    if expected is None:
        raise InvalidInput(
            "If-Match is not an ETag of this API",
            errors=[FieldError("header.If-Match", 'expected W/"<version>"')],
        )
    return await run_command(
        ctx,
        lambda uow: usecases.update_item(uow, item_id, body, expected),
        body=body,
        headers=_etag_header,
    )
