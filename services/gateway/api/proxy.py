"""Proxied paths are answered by a middleware in front of the gateway's own routes.

Requests whose path the routing table (or a `/services/<name>/` mount) assigns to a
service never go through FastAPI's router: they are authenticated, rate-limited and
streamed to the service straight away (the few open paths, app callbacks that carry
signatures instead of credentials and kept report files whose token is the credential,
skip authentication and carry no roles). Every other path falls through to the gateway's
own routes, which answer unknown paths with 404 and wrong methods with 405.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.domain.routing import resolve
from services.gateway.proxy import Proxy, route_path
from services.gateway.routes import OPEN_CALLER, ROUTE_TABLE, is_open
from services.gateway.security import Caller, identify
from services.gateway.settings import Settings
from shared.auth.principal import Principal
from shared.errors import ProblemError
from shared.http.problems import problem_response


@dataclass(frozen=True, slots=True)
class ProxiedRoute:
    """What metrics and access logs call a proxied request (`scope["route"].path`):
    one label per service keeps the metrics' cardinality low."""

    path: str


class ProxyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.services = frozenset(settings.upstreams)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        target = resolve(path, ROUTE_TABLE, self.services)
        if target is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = ProxiedRoute(f"proxy:{target.service}")
        request = Request(scope, receive)
        try:
            if is_open(scope["method"], path):
                request.app.state.rate_limiter.check(OPEN_CALLER)
                caller = Caller(Principal(OPEN_CALLER))
            else:
                caller = await identify(request)
            proxy: Proxy = request.app.state.proxy
            response = await proxy.forward(request, target, caller)
        except ProblemError as exc:
            response = problem_response(
                request, status=exc.status, code=exc.code, title=exc.title,
                detail=exc.detail or None, errors=exc.errors, extra=exc.extra,
                headers=exc.headers or None,
            )
        await response(scope, receive, send)
