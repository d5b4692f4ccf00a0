"""Service settings: placeholder secrets refused in production, addresses of other services."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.catalog.settings import Settings as CatalogSettings
from shared.settings import PLACEHOLDER_SECRET, ServiceSettings

GOOD = "g" * 40


def test_placeholder_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="must be set in production"):
        ServiceSettings(environment="production")
    with pytest.raises(ValidationError):
        ServiceSettings(environment="production", internal_token_secret=PLACEHOLDER_SECRET)
    assert ServiceSettings(environment="production", internal_token_secret=GOOD).environment == (
        "production")


def test_placeholder_secret_is_allowed_in_development() -> None:
    assert ServiceSettings().internal_token_secret == PLACEHOLDER_SECRET


def test_short_secrets_are_refused_everywhere() -> None:
    for environment in ("development", "test", "production"):
        with pytest.raises(ValidationError, match="at least 32"):
            ServiceSettings(environment=environment, internal_token_secret="short")


def test_url_for_goes_through_the_gateway_by_default() -> None:
    settings = ServiceSettings(gateway_url="http://gw:8000/")
    assert settings.url_for("stock") == "http://gw:8000/services/stock"


def test_url_for_uses_a_direct_address_when_set() -> None:
    settings = ServiceSettings(gateway_url="http://gw:8000",
                               service_urls={"stock": "http://stock:8002/", "trace": ""})
    assert settings.url_for("stock") == "http://stock:8002"
    assert settings.url_for("trace") == "http://gw:8000/services/trace"  # empty means unset
    assert settings.url_for("mrp") == "http://gw:8000/services/mrp"


def test_env_prefix_per_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", "sqlite+aiosqlite:///x.db")
    monkeypatch.setenv("CATALOG_SERVICE_URLS", '{"stock": "http://stock:1"}')
    monkeypatch.setenv("CATALOG_EVENT_SUBSCRIBERS", '["trace"]')
    monkeypatch.setenv("CATALOG_ENVIRONMENT", "production")
    monkeypatch.setenv("CATALOG_INTERNAL_TOKEN_SECRET", GOOD)
    monkeypatch.setenv("STOCK_DATABASE_URL", "sqlite+aiosqlite:///wrong.db")
    settings = CatalogSettings()
    assert settings.service_name == "catalog"
    assert settings.database_url == "sqlite+aiosqlite:///x.db"
    assert settings.url_for("stock") == "http://stock:1"
    assert settings.event_subscribers == ["trace"]
    monkeypatch.delenv("CATALOG_INTERNAL_TOKEN_SECRET")
    with pytest.raises(ValidationError):
        CatalogSettings()


def test_idempotency_rows_are_kept_at_least_a_day_by_default() -> None:
    assert ServiceSettings().idempotency_ttl_hours >= 24


def test_http_attempts_count_the_first_try_and_must_be_positive() -> None:
    assert ServiceSettings().http_attempts == 3
    with pytest.raises(ValidationError):
        ServiceSettings(http_attempts=0)
