"""Trace settings (env prefix `TRACE_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRACE_", extra="ignore")

    service_name: str = "trace"
    database_url: str = "sqlite+aiosqlite:///var/trace.db"
