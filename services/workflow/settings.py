"""Workflow settings (env prefix `WORKFLOW_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFLOW_", extra="ignore")

    service_name: str = "workflow"
    database_url: str = "sqlite+aiosqlite:///var/workflow.db"
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where people reach the API (the gateway): links in messages start here",
    )
    runner_poll_seconds: float = Field(
        1.0, gt=0, description="How often the runner looks for due timers, starts and syncs"
    )
