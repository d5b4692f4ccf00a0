"""Settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "dev-internal-secret-change-me-0000000000"

SERVICE_NAMES = ("gateway", "catalog", "stock", "mrp", "trace", "workflow", "erp")


class ServiceSettings(BaseSettings):
    """Common settings. Subclasses set `model_config` with `env_prefix="<NAME>_"`."""

    model_config = SettingsConfigDict(env_prefix="SERVICE_", extra="ignore")

    service_name: str = "service"
    environment: str = Field("development", description="development, test or production")
    database_url: str = "sqlite+aiosqlite:///var/service.db"
    internal_token_secret: str = PLACEHOLDER_SECRET
    internal_token_ttl_seconds: int = 300
    gateway_url: str = "http://127.0.0.1:8000"
    service_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Direct address per target service; unset targets go through the gateway.",
    )
    http_timeout_seconds: float = 10.0
    http_connect_timeout_seconds: float = 2.0
    http_attempts: int = Field(3, ge=1, description="Tries per idempotent call, the first included")
    log_level: str = "INFO"
    log_json: bool = True
    idempotency_ttl_hours: int = 24
    idempotency_lock_seconds: int = 60
    event_subscribers: list[str] = Field(
        default_factory=list, description="Services nudged after this service commits events."
    )
    event_poll_seconds: float = 2.0
    run_background_tasks: bool = True
    freeze_heap_at_startup: bool = Field(
        True,
        description="Once started, hide what start-up left alive from the garbage collector "
        "(shared.runtime.freeze_heap); the test suite, which starts apps by the thousand, "
        "turns it off.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret_in_production(self) -> ServiceSettings:
        if self.environment == "production" and self.internal_token_secret == PLACEHOLDER_SECRET:
            raise ValueError("internal_token_secret must be set in production")
        if len(self.internal_token_secret) < 32:
            raise ValueError("internal_token_secret must be at least 32 characters")
        return self

    def url_for(self, service: str) -> str:
        """Base URL used to reach `service`: its direct address if set, else its gateway mount.

        The gateway mounts every service whole at `/services/<name>/`, so the same
        service-relative path works both ways.
        """
        direct = self.service_urls.get(service)
        if direct:
            return direct.rstrip("/")
        return f"{self.gateway_url.rstrip('/')}/services/{service}"
