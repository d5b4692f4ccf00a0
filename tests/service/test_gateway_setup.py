"""Gateway start-up: settings rules, the create-admin command, migrations matching models."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import Connection

from services.gateway import cli
from services.gateway.db.models import Base
from services.gateway.settings import DEFAULT_UPSTREAMS, PLACEHOLDER_JWT_SECRET, Settings
from shared.db.engine import create_engine
from shared.db.tables import shared_metadata
from shared.settings import PLACEHOLDER_SECRET
from tests.conftest import TEST_SECRET
from tests.service.test_gateway_support import TEST_JWT_SECRET, gateway_stack

PROD_INTERNAL = "prod-internal-secret-0123456789abcdef-xyz"
PROD_JWT = "prod-jwt-secret-0123456789abcdef-uvw-xyz"


def test_production_refuses_the_placeholder_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="jwt_secret must be set in production"):
        Settings(environment="production", internal_token_secret=PROD_INTERNAL)
    ok = Settings(environment="production", internal_token_secret=PROD_INTERNAL,
                  jwt_secret=PROD_JWT)
    assert ok.jwt_secret == PROD_JWT
    assert Settings().jwt_secret == PLACEHOLDER_JWT_SECRET  # development keeps working


def test_jwt_secret_is_long_and_not_the_internal_secret() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(jwt_secret="short")
    with pytest.raises(ValidationError, match="differ"):
        Settings(jwt_secret=PLACEHOLDER_SECRET)


def test_first_admin_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="admin_password must"):
        Settings(admin_username="admin", admin_password="admin")
    with pytest.raises(ValidationError, match="both"):
        Settings(admin_username="admin")
    assert Settings(admin_username="", admin_password="").admin_username is None


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_UPSTREAMS", '{"catalog": "http://10.0.0.5:9001/"}')
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", '["https://planner.example.com"]')
    monkeypatch.setenv("GATEWAY_RATE_LIMIT_PER_SECOND", "5")
    monkeypatch.setenv("GATEWAY_ACCESS_TOKEN_MINUTES", "30")
    settings = Settings()
    assert settings.upstreams == DEFAULT_UPSTREAMS | {"catalog": "http://10.0.0.5:9001"}
    assert settings.cors_origins == ["https://planner.example.com"]
    assert settings.rate_limit_per_second == 5 and settings.access_token_seconds == 1800
    assert settings.database_url == "sqlite+aiosqlite:///var/gateway.db"
    monkeypatch.setenv("GATEWAY_UPSTREAMS", '{"Bad Name": "http://x"}')
    with pytest.raises(ValidationError, match="not a service name"):
        Settings()


def _settings(url: str) -> Settings:
    return Settings(database_url=url, internal_token_secret=TEST_SECRET, jwt_secret=TEST_JWT_SECRET)


async def _can_log_in(database_factory, url: str, username: str, password: str) -> bool:
    async with gateway_stack(database_factory, with_catalog=False, gateway_database_url=url,
                             admin_username=None, admin_password=None) as gw:
        response = await gw.client.post("/v1/auth/token",
                                        data={"username": username, "password": password})
        if response.status_code != 200:
            return False
        me = await gw.client.get("/v1/users/me", headers={
            "Authorization": f"Bearer {response.json()['access_token']}"})
        return bool(me.json()["roles"] == ["admin"])


async def test_create_admin_function(database_factory) -> None:
    url = await database_factory("gateway")
    await cli.create_admin(_settings(url), "ops", "Night-Shift-Lead-42")
    assert await _can_log_in(database_factory, url, "ops", "Night-Shift-Lead-42")
    assert not await _can_log_in(database_factory, url, "ops", "Wrong-Password-123")


def test_create_admin_command_migrates_and_prints_a_generated_password(
    tmp_path, capsys: pytest.CaptureFixture[str], database_factory
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'gateway.db'}"  # not even created yet
    assert cli.main(["create-admin", "--username", "root"], settings=_settings(url)) == 0
    out = capsys.readouterr().out
    password = out.split("password: ")[1].strip()
    assert len(password) >= 20
    assert asyncio.run(_can_log_in(database_factory, url, "root", password))
    again = cli.main(["create-admin", "--username", "root", "--password", "Another-Pass-12"],
                     settings=_settings(url))
    assert again == 1 and "already exists" in capsys.readouterr().err
    weak = cli.main(["create-admin", "--username", "ann", "--password", "ann"],
                    settings=_settings(url))
    assert weak == 1 and "at least 12" in capsys.readouterr().err


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, [shared_metadata, Base.metadata]))


async def test_migrations_match_the_models(database_factory) -> None:
    engine = create_engine(await database_factory("gateway"))
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()
