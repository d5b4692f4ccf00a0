"""Wiring several service apps together in one process for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI


class HostRoutingTransport(httpx.AsyncBaseTransport):
    """Sends `http://<name>/...` to the in-process app registered as `<name>`."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}

    def register(self, name: str, app: FastAPI) -> None:
        self.apps[name] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.apps.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no app for host {request.url.host}", request=request)
        return await transport.handle_async_request(request)


@asynccontextmanager
async def started(apps: Mapping[str, FastAPI]) -> AsyncIterator[None]:
    """Run every app's lifespan for the duration of the block."""
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield
