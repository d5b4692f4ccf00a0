"""What the benchmarks share: PostgreSQL scratch databases, percentiles, an API key."""

from __future__ import annotations

import httpx

from tools.run import Stack


def pg_dsn(url: str, database: str) -> str:
    """An asyncpg DSN for `database` on the server of the SQLAlchemy `url`."""
    return url.replace("postgresql+asyncpg://", "postgresql://").rstrip("/") + f"/{database}"


async def pg_execute(url: str, sql: str) -> None:
    """Run `sql` on the server's `postgres` database (CREATE/DROP DATABASE)."""
    import asyncpg

    connection = await asyncpg.connect(pg_dsn(url, "postgres"))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def rank(samples: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted `samples`."""
    index = max(0, min(len(samples) - 1, int(len(samples) * q / 100 + 0.999999) - 1))
    return samples[index]


async def api_key(stack: Stack, name: str) -> str:
    """An admin API key (not an access token: a run outlives a token's 15 minutes)."""
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as client:
        login = await client.post(
            "/v1/auth/token",
            data={
                "username": stack.secrets.admin_username,
                "password": stack.secrets.admin_password,
            },
        )
        login.raise_for_status()
        key = await client.post(
            "/v1/api-keys",
            json={"name": name, "roles": ["admin"]},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        key.raise_for_status()
        return str(key.json()["secret"])
