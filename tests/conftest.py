"""Shared fixtures: databases on SQLite and PostgreSQL, built by the real migrations.

PostgreSQL is found from `TEST_DATABASE_URL` (an admin URL such as
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) or the local server. Each run
creates its own databases (one migrated template per service, then a copy per test)
and drops them at the end. Unreachable PostgreSQL skips loudly, or fails when
`REQUIRE_POSTGRES=1`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from shared.auth.principal import ADMIN, Principal
from shared.auth.tokens import mint_internal_token
from shared.db.migrate import upgrade
from shared.settings import SERVICE_NAMES

# Apps start by the thousand here: no heap freezing (a full collection each, and frozen
# test objects would never be collected). Processes the tests start inherit this.
for _name in SERVICE_NAMES:
    os.environ.setdefault(f"{_name.upper()}_FREEZE_HEAP_AT_STARTUP", "false")

TEST_SECRET = "test-internal-secret-0123456789abcdef0123"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
RUN_ID = uuid.uuid4().hex[:8]
BACKENDS = ["sqlite", "postgresql"]
#: Connections dropping this run's databases at its end.
DROPPERS = 4


def pg_admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_reachable() -> str | None:
    async def probe() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(pg_admin_url()), timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return repr(exc)
    return None


class PostgresFarm:
    """Creates migrated template databases and per-test copies; drops them all at the end."""

    def __init__(self) -> None:
        self.admin_url = pg_admin_url()
        self.templates: dict[str, str] = {}
        self.created: list[str] = []

    async def _execute(self, sql: str) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(self.admin_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def url_for(self, database: str) -> str:
        parsed = make_url(self.admin_url).set(drivername="postgresql+asyncpg", database=database)
        return parsed.render_as_string(hide_password=False)

    async def template(self, service: str) -> str:
        if service not in self.templates:
            name = f"tpl_{service}_{RUN_ID}"
            await self._execute(f'CREATE DATABASE "{name}"')
            self.created.append(name)
            await asyncio.to_thread(upgrade, service, self.url_for(name))
            self.templates[service] = name
        return self.templates[service]

    async def fresh(self, service: str) -> str:
        template = await self.template(service)
        name = f"t_{service}_{RUN_ID}_{uuid.uuid4().hex[:8]}"
        await self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.created.append(name)
        return self.url_for(name)

    async def drop_all(self) -> None:
        """Drop every database this run made, the copies before the templates, several at
        once (a drop waits mostly on the server's disk: four at a time take a third of the
        time one after another does)."""
        templates = set(self.templates.values())
        await self._drop([name for name in self.created if name not in templates])
        await self._drop([name for name in self.created if name in templates])

    async def _drop(self, names: list[str]) -> None:
        queue = list(names)

        async def drain() -> None:
            conn = await asyncpg.connect(_asyncpg_dsn(self.admin_url))
            try:
                while queue:
                    name = queue.pop()
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        await asyncio.gather(*(drain() for _ in range(min(DROPPERS, len(queue)))))


class SqliteFarm:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.templates: dict[str, Path] = {}

    async def fresh(self, service: str) -> str:
        if service not in self.templates:
            path = self.root / f"template_{service}.db"
            await asyncio.to_thread(upgrade, service, f"sqlite+aiosqlite:///{path}")
            self.templates[service] = path
        target = self.root / f"{service}_{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.templates[service], target)
        return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(scope="session")
def sqlite_farm(tmp_path_factory: pytest.TempPathFactory) -> SqliteFarm:
    return SqliteFarm(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgres_farm() -> Iterator[PostgresFarm | None]:
    problem = _pg_reachable()
    if problem is not None:
        message = f"PostgreSQL at {pg_admin_url()} is unreachable: {problem}"
        sys.stderr.write(f"\n\n!!!!! {message}: PostgreSQL tests are SKIPPED !!!!!\n\n")
        yield None
        return
    farm = PostgresFarm()
    yield farm
    asyncio.run(farm.drop_all())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_factory(
    backend: str, sqlite_farm: SqliteFarm, postgres_farm: PostgresFarm | None
) -> Callable[[str], Any]:
    """`await database_factory("stock")` gives the URL of a fresh migrated database."""
    if backend == "postgresql" and postgres_farm is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL at {pg_admin_url()} is unreachable")
        pytest.skip(
            f"PostgreSQL at {pg_admin_url()} is unreachable (set REQUIRE_POSTGRES=1 to fail)"
        )
    farm: Any = postgres_farm if backend == "postgresql" else sqlite_farm
    return farm.fresh  # type: ignore[no-any-return]


# Modules build their headers once, at collection; the suite runs longer than ten minutes.
TEST_TOKEN_TTL_SECONDS = 24 * 3600


def token_for(*roles: str, subject: str = "user:tester") -> str:
    principal = Principal(subject=subject, roles=frozenset(roles), name=subject)
    return mint_internal_token(TEST_SECRET, principal, TEST_TOKEN_TTL_SECONDS)


def auth(*roles: str, subject: str = "user:tester") -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(*roles, subject=subject)}"}


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run `app`'s lifespan and give a client speaking to it in-process (admin by default)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=auth(ADMIN)
        ) as client:
            yield client
