"""ERP connector settings (env prefix `ERP_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ERP_", extra="ignore")

    service_name: str = "erp"
    database_url: str = "sqlite+aiosqlite:///var/erp.db"
