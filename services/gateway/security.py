"""Who is calling: API keys, people's access tokens, and internal tokens from services.

`Authorization: Bearer <token>` carries an access token (JWT signed with `jwt_secret`),
an API key (`ik_...`) or an internal token (services calling through the gateway, which
is forwarded unchanged). `X-API-Key: <key>` is accepted too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from services.gateway.access_tokens import is_internal, unverified_claims, verify_access_token
from services.gateway.domain.api_keys import looks_like_key
from services.gateway.ratelimit import RateLimiter
from services.gateway.settings import Settings
from services.gateway.usecases.api_keys import verify_api_key
from shared.auth.principal import ADMIN, Principal
from shared.auth.tokens import verify_internal_token
from shared.db.database import Database
from shared.errors import Forbidden, Unauthenticated
from shared.http.context import RequestContext

TOKEN_URL = "/v1/auth/token"
BEARER_SCHEME = "OAuth2PasswordBearer"
API_KEY_SCHEME = "APIKeyHeader"
_CHALLENGE = 'Bearer realm="inventory"'
_MAX_CACHED = 10_000

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL, auto_error=False, scheme_name=BEARER_SCHEME,
    description="An access token from /v1/auth/token, or an API key as the bearer token",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name=API_KEY_SCHEME,
    description="An API key (`ik_<id>_<secret>`) for machine clients such as MES and ERP",
)


def unauthenticated(detail: str, *, invalid: bool = False) -> Unauthenticated:
    challenge = f'{_CHALLENGE}, error="invalid_token"' if invalid else _CHALLENGE
    return Unauthenticated(detail, headers={"WWW-Authenticate": challenge})


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller; `internal_token` is set when a service sent one."""

    principal: Principal
    internal_token: str | None = None


class Authenticator:
    """Checks credentials. Verified API keys are trusted for `api_key_cache_seconds`;
    verified JWTs are remembered until they expire (a signature check per request is
    measurable on the proxy's hot path)."""

    def __init__(
        self, settings: Settings, db: Database, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self._keys: dict[str, tuple[Principal, float]] = {}
        self._jwts: dict[str, tuple[Caller, float]] = {}

    async def authenticate(self, authorization: str | None, api_key: str | None) -> Caller:
        if authorization:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() != "bearer" or not credentials.strip():
                raise unauthenticated("send `Authorization: Bearer <token or key>`", invalid=True)
            return await self._from_bearer(credentials.strip())
        if api_key:
            return Caller(await self._from_api_key(api_key.strip()))
        raise unauthenticated("send an access token or API key as `Authorization: Bearer ...`")

    async def _from_bearer(self, token: str) -> Caller:
        if looks_like_key(token):
            return Caller(await self._from_api_key(token))
        cached = self._jwts.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        try:
            caller, expires_at = self._verify_jwt(token)
        except Unauthenticated as exc:
            raise unauthenticated(exc.detail, invalid=True) from exc
        if len(self._jwts) >= _MAX_CACHED:
            self._jwts.clear()
        self._jwts[token] = (caller, expires_at)
        return caller

    def _verify_jwt(self, token: str) -> tuple[Caller, float]:
        claims = unverified_claims(token)
        if is_internal(claims):
            principal = verify_internal_token(self.settings.internal_token_secret, token)
            caller = Caller(principal, internal_token=token)
        else:
            caller = Caller(verify_access_token(self.settings.jwt_secret, token))
        return caller, float(claims["exp"])  # verified above: present and in the future

    async def _from_api_key(self, value: str) -> Principal:
        now = self.clock()
        cached = self._keys.get(value)
        if cached is not None and cached[1] > now:
            return cached[0]
        principal = await verify_api_key(self.db, value)
        if principal is None:
            self._keys.pop(value, None)
            raise unauthenticated("the API key is not valid or was revoked", invalid=True)
        if self.settings.api_key_cache_seconds > 0:
            if len(self._keys) >= _MAX_CACHED:
                self._keys.clear()
            self._keys[value] = (principal, now + self.settings.api_key_cache_seconds)
        return principal

    def forget_key(self, key_id: int) -> None:
        """Stop trusting a revoked key at once (other replicas: within the cache time)."""
        subject = f"apikey:{key_id}"
        for value in [v for v, (p, _) in self._keys.items() if p.subject == subject]:
            del self._keys[value]


async def identify(request: Request) -> Caller:
    """Authenticate the request and spend one token of the caller's rate limit."""
    authenticator: Authenticator = request.app.state.authenticator
    caller = await authenticator.authenticate(
        request.headers.get("authorization"), request.headers.get("x-api-key")
    )
    if caller.internal_token is None:  # service-to-service traffic is not throttled
        limiter: RateLimiter = request.app.state.rate_limiter
        limiter.check(caller.principal.subject)
    request.state.principal = caller.principal
    return caller


async def authenticated(
    request: Request,
    _bearer: Annotated[str | None, Depends(oauth2_scheme)],
    _api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """Dependency: the authenticated principal (401 otherwise)."""
    return (await identify(request)).principal


async def admin_context(
    request: Request, principal: Annotated[Principal, Depends(authenticated)]
) -> RequestContext:
    """Dependency: a request context for an admin (403 for anyone else)."""
    if not principal.has_any({ADMIN}):
        raise Forbidden("this needs the admin role")
    return RequestContext(
        principal=principal,
        request_id=getattr(request.state, "request_id", None),
        db=request.app.state.db,
        request=request,
    )
