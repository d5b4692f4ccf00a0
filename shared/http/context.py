"""Per-request dependencies: the verified principal, role checks and the request context.

No `from __future__ import annotations` here: FastAPI must see the closures' real
annotations to resolve their `Depends(...)`.
"""


from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth.principal import Principal
from shared.auth.tokens import verify_internal_token
from shared.db.database import Database
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden, Unauthenticated
from shared.settings import ServiceSettings

_bearer = HTTPBearer(auto_error=False, description="Internal token signed by the gateway")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Verify the internal token; a missing or bad token is 401."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send the internal token as `Authorization: Bearer ...`")
    settings: ServiceSettings = request.app.state.settings
    principal = verify_internal_token(settings.internal_token_secret, credentials.credentials)
    request.state.principal = principal
    return principal


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the caller must hold one of `roles` (admin and service always pass)."""
    allowed = frozenset(roles)

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has_any(allowed):
            raise Forbidden(f"this needs one of the roles: {', '.join(sorted(allowed))}")
        return principal

    return check


@dataclass(slots=True)
class RequestContext:
    """Everything a route hands a use-case: who, which request, and the database."""

    principal: Principal
    request_id: str | None
    db: Database
    request: Request

    def uow(self, *, hold_commit: bool = False) -> UnitOfWork:
        return self.db.uow(
            actor=self.principal.subject, request_id=self.request_id, hold_commit=hold_commit
        )


def request_context(
    roles: tuple[str, ...] = (),
) -> Callable[..., Coroutine[Any, Any, RequestContext]]:
    """Dependency factory: a `RequestContext`, optionally requiring one of `roles`."""
    guard = require_roles(*roles) if roles else current_principal

    async def build(
        request: Request, principal: Annotated[Principal, Depends(guard)]
    ) -> RequestContext:
        return RequestContext(
            principal=principal,
            request_id=getattr(request.state, "request_id", None),
            db=request.app.state.db,
            request=request,
        )

    return build


#: A route parameter: the request context of any authenticated caller.
Reader = Annotated[RequestContext, Depends(request_context())]
