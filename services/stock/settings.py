"""Stock settings (env prefix `STOCK_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STOCK_", extra="ignore")

    service_name: str = "stock"
    database_url: str = "sqlite+aiosqlite:///var/stock.db"
