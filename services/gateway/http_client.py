"""The one pooled httpx client the gateway uses for every upstream call."""

from __future__ import annotations

import itertools
import ssl
from http.cookiejar import DefaultCookiePolicy

import httpx

from services.gateway.settings import Settings


class ShardedPool(httpx.AsyncBaseTransport):
    """Several small connection pools used in turn, behind the one client.

    httpcore re-examines every pooled connection for every queued request whenever a
    request starts or ends (and counts idle connections in a nested loop), so its cost
    grows with the square of the pool size: at 32 concurrent requests it was most of the
    gateway's CPU. Pools of a few connections each keep that cost flat.
    """

    def __init__(self, shards: int, limits: httpx.Limits) -> None:
        per_shard = httpx.Limits(
            max_connections=_share(limits.max_connections, shards),
            max_keepalive_connections=_share(limits.max_keepalive_connections, shards),
            keepalive_expiry=limits.keepalive_expiry,
        )
        tls = ssl.create_default_context()  # loading CA certificates once, not per shard
        self._pools = [httpx.AsyncHTTPTransport(limits=per_shard, verify=tls)
                       for _ in range(shards)]
        self._turn = itertools.cycle(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._turn).handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


def _share(total: int | None, shards: int) -> int | None:
    return None if total is None else max(1, -(-total // shards))


def upstream_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """Timeouts from settings, no redirects, no proxy variables from the environment."""
    limits = httpx.Limits(
        max_connections=settings.proxy_max_connections,
        max_keepalive_connections=settings.proxy_max_keepalive_connections,
        keepalive_expiry=settings.proxy_keepalive_seconds,
    )
    client = httpx.AsyncClient(
        transport=transport or ShardedPool(settings.proxy_pool_shards, limits),
        timeout=httpx.Timeout(
            connect=settings.proxy_connect_timeout_seconds,
            read=settings.proxy_read_timeout_seconds,
            write=settings.proxy_write_timeout_seconds,
            pool=settings.proxy_pool_timeout_seconds,
        ),
        trust_env=False,
        follow_redirects=False,
    )
    for name in ("accept", "accept-encoding", "user-agent"):  # only the caller's own go out
        del client.headers[name]
    # The client is shared by every caller: a cookie one service sets for one caller must
    # never be replayed for another. Cookie headers themselves pass through untouched.
    client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return client
