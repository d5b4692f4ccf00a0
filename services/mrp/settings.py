"""Mrp settings (env prefix `MRP_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MRP_", extra="ignore")

    service_name: str = "mrp"
    database_url: str = "sqlite+aiosqlite:///var/mrp.db"
