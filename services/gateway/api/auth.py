"""`POST /v1/auth/token`: OAuth2 password and client-credentials grants."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from services.gateway.access_tokens import mint_access_token
from services.gateway.domain.api_keys import parse_key
from services.gateway.ratelimit import RateLimiter
from services.gateway.schemas import TokenOut
from services.gateway.settings import Settings
from services.gateway.usecases.api_keys import verify_api_key
from services.gateway.usecases.users import authenticate_user
from shared.auth.principal import Principal
from shared.errors import FieldError, InvalidInput, ProblemError, Unauthenticated
from shared.http.problems import problem_responses

router = APIRouter(tags=["auth"])
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class InvalidGrant(ProblemError):
    status = 400
    code = "invalid_grant"
    title = "The credentials are not valid"


class UnsupportedGrantType(ProblemError):
    status = 400
    code = "unsupported_grant_type"
    title = "This grant type is not supported"


def _missing(*fields: str) -> InvalidInput:
    return InvalidInput(
        "the grant needs more fields",
        errors=[FieldError(f"body.{name}", "Field required", "missing") for name in fields],
    )


async def _password_grant(
    request: Request, username: str | None, password: str | None
) -> Principal:
    if not username or not password:
        raise _missing(*[n for n, v in (("username", username), ("password", password)) if not v])
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.check(f"login:{username}")
    principal = await authenticate_user(request.app.state.db, username, password)
    if principal is None:
        raise InvalidGrant("wrong username or password", extra={"error": "invalid_grant"})
    return principal


async def _client_credentials_grant(
    request: Request, client_id: str | None, client_secret: str | None
) -> Principal:
    if not client_id or not client_secret:
        raise _missing(*[n for n, v in (("client_id", client_id), ("client_secret", client_secret))
                         if not v])
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.check(f"login:apikey:{client_id}")
    parsed = parse_key(client_secret)
    principal = None
    if parsed is not None and str(parsed.key_id) == client_id:
        principal = await verify_api_key(request.app.state.db, client_secret)
    if principal is None:
        raise Unauthenticated("unknown client or wrong secret", extra={"error": "invalid_client"},
                              headers={"WWW-Authenticate": 'Basic realm="inventory"'})
    return principal


@router.post(
    "/v1/auth/token",
    response_model=TokenOut,
    operation_id="issue_token",
    responses=problem_responses(400, 401, 422, 429),
)
async def issue_token(
    request: Request,
    grant_type: Annotated[str, Form(description="password or client_credentials")] = "password",
    username: Annotated[str | None, Form(max_length=100)] = None,
    password: Annotated[
        str | None, Form(max_length=256, json_schema_extra={"format": "password"})
    ] = None,
    client_id: Annotated[str | None, Form(max_length=30, description="API key id")] = None,
    client_secret: Annotated[str | None, Form(max_length=300, description="The API key")] = None,
    scope: Annotated[str, Form(description="Ignored: roles decide")] = "",
) -> JSONResponse:
    """Exchange a username and password (or an API key id and secret) for an access token."""
    if grant_type == "password":
        principal = await _password_grant(request, username, password)
    elif grant_type == "client_credentials":
        principal = await _client_credentials_grant(request, client_id, client_secret)
    else:
        raise UnsupportedGrantType(f"grant_type {grant_type!r} is not supported",
                                   extra={"error": "unsupported_grant_type"})
    settings: Settings = request.app.state.settings
    token = mint_access_token(settings.jwt_secret, principal, settings.access_token_seconds)
    body = TokenOut(access_token=token, expires_in=settings.access_token_seconds)
    return JSONResponse(body.model_dump(), headers=_NO_STORE)
