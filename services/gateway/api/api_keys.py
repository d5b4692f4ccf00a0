"""API key routes (admin): create (the secret is shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response

from services.gateway.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPage
from services.gateway.security import Authenticator, admin_context
from services.gateway.usecases import api_keys as usecases
from shared.http.commands import render
from shared.http.context import RequestContext
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses
from shared.policy import check_writable

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])
Admin = Annotated[RequestContext, Depends(admin_context)]
#: IdPath with an example: the demo has no API key, so 1 is the first one created.
KeyIdPath = Annotated[IdPath, Path(examples=[1])]


@router.post("", status_code=201, response_model=ApiKeyCreated, operation_id="create_api_key",
             responses=problem_responses(400, 401, 403, 422, 429))
async def create_api_key(ctx: Admin, body: ApiKeyCreate) -> Response:
    """Create an API key for a machine client; store the returned secret now, it is not kept.

    Idempotency-Key is not honoured here: replaying would mean storing the secret.
    """
    check_writable(body, ctx.principal)
    created = await usecases.create_api_key(ctx.uow(), body)
    return JSONResponse(created.model_dump(mode="json"), status_code=201,
                        headers={"Cache-Control": "no-store"})


@router.get("", response_model=ApiKeyPage, operation_id="list_api_keys",
            responses=problem_responses(401, 403, 422, 429))
async def list_api_keys(
    ctx: Admin,
    page: Annotated[PageParams, Depends(page_params)],
    include_revoked: Annotated[bool, Query(description="Also list revoked keys")] = False,
) -> Response:
    """List API keys (never their secrets), oldest first."""
    async with ctx.db.read() as session:
        keys, cursor = await usecases.list_api_keys(session, page, include_revoked=include_revoked)
    return render(ctx, ApiKeyPage(items=keys, next_cursor=cursor))


@router.delete("/{key_id}", status_code=204, operation_id="revoke_api_key",
               responses=problem_responses(401, 403, 404, 422, 429))
async def revoke_api_key(ctx: Admin, key_id: KeyIdPath) -> Response:
    """Revoke an API key for good (revoking twice is harmless)."""
    await usecases.revoke_api_key(ctx.uow(), key_id)
    authenticator: Authenticator = ctx.request.app.state.authenticator
    authenticator.forget_key(key_id)
    return Response(status_code=204)
