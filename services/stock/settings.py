"""Stock settings (env prefix `STOCK_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STOCK_", extra="ignore")

    service_name: str = "stock"
    database_url: str = "sqlite+aiosqlite:///var/stock.db"
    aggregate_in_background: bool = Field(
        True,
        description="Keep the flows, closings and rollups close behind the ledger with a "
        "background loop (usecases/aggregation.py); off, reports add what is missing when "
        "they are asked (as after a bulk load), and the posting benchmark measures what "
        "the loop costs postings",
    )
