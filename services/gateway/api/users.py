"""User routes: admins manage accounts; anyone may ask who they are."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from services.gateway.hashing import hash_password
from services.gateway.schemas import PrincipalKind, PrincipalOut, UserCreate, UserOut, UserPage
from services.gateway.security import admin_context, authenticated
from services.gateway.usecases import users as usecases
from shared.auth.principal import Principal
from shared.http.commands import render, run_command
from shared.http.context import RequestContext
from shared.http.examples import example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/users", tags=["users"])
Admin = Annotated[RequestContext, Depends(admin_context)]
_KINDS: dict[str, PrincipalKind] = {"user": "user", "apikey": "api_key", "service": "service"}
#: The answer to `UserCreate`'s example on the demo, whose eight people have ids 1-8.
_CREATED_USER = {
    "id": 9,
    "username": "zhao",
    "roles": ["warehouse"],
    "active": True,
    "created_at": "2026-11-28T06:02:41.318204Z",
}


@router.post("", status_code=201, response_model=UserOut, operation_id="create_user",
             responses={**example_response(_CREATED_USER, 201),
                        **problem_responses(400, 401, 403, 409, 422, 429)})
async def create_user(ctx: Admin, body: UserCreate) -> Response:
    """Create a person's account with roles (admin; accepts Idempotency-Key)."""
    usecases.check_password_policy(body.password, body.username)
    password_hash = await hash_password(body.password)
    return await run_command(
        ctx, lambda uow: usecases.create_user(uow, body, password_hash), body=body, status_code=201
    )


@router.get("", response_model=UserPage, operation_id="list_users",
            responses=problem_responses(401, 403, 422, 429))
async def list_users(ctx: Admin, page: Annotated[PageParams, Depends(page_params)]) -> Response:
    """List accounts in creation order (admin)."""
    async with ctx.db.read() as session:
        users, cursor = await usecases.list_users(session, page)
    return render(ctx, UserPage(items=users, next_cursor=cursor))


@router.get("/me", response_model=PrincipalOut, operation_id="get_current_principal",
            responses=problem_responses(401, 429))
async def me(principal: Annotated[Principal, Depends(authenticated)]) -> PrincipalOut:
    """Who the gateway takes you to be: subject, name and roles."""
    kind = _KINDS.get(principal.subject.partition(":")[0], "other")
    return PrincipalOut(subject=principal.subject, kind=kind,
                        name=principal.name, roles=sorted(principal.roles))
