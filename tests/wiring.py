"""Wiring several service apps together in one process for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI


class HostRoutingTransport(httpx.AsyncBaseTransport):
    """Sends `http://<name>/...` to the in-process app registered as `<name>`.

    An unknown host is a service that is down (connect error). Every request is kept in
    `requests`, so tests can see who called whom.
    """

    def __init__(self) -> None:
        self.apps: dict[str, FastAPI] = {}
        self.requests: list[httpx.Request] = []

    def register(self, name: str, app: FastAPI) -> None:
        self.apps[name] = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        app = self.apps.get(request.url.host)
        if app is None:
            raise httpx.ConnectError(f"no app at {request.url.host}", request=request)
        return await httpx.ASGITransport(app=app).handle_async_request(request)


@asynccontextmanager
async def started(apps: Mapping[str, FastAPI]) -> AsyncIterator[None]:
    """Run every app's lifespan for the duration of the block."""
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield
