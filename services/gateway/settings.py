"""Gateway settings (env prefix `GATEWAY_`).

Dict and list settings are JSON in the environment, e.g.
`GATEWAY_UPSTREAMS='{"catalog": "http://10.0.0.5:8001"}'` (unset services keep their
default address) and `GATEWAY_CORS_ORIGINS='["https://erp.example.com"]'`.
"""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.gateway.domain.passwords import password_problems
from shared.settings import ServiceSettings

PLACEHOLDER_JWT_SECRET = "dev-gateway-jwt-secret-change-me-000000000"

DEFAULT_UPSTREAMS: dict[str, str] = {
    "catalog": "http://127.0.0.1:8001",
    "stock": "http://127.0.0.1:8002",
    "mrp": "http://127.0.0.1:8003",
    "trace": "http://127.0.0.1:8004",
    "workflow": "http://127.0.0.1:8005",
    "erp": "http://127.0.0.1:8006",
}
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///var/gateway.db"

    jwt_secret: str = Field(PLACEHOLDER_JWT_SECRET, description="Signs people's access tokens")
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    admin_username: str | None = Field(None, description="First admin, created if no user exists")
    admin_password: SecretStr | None = None
    api_key_cache_seconds: float = Field(
        10.0, ge=0, description="How long a verified API key is trusted without a DB read"
    )

    upstreams: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_UPSTREAMS))
    proxy_connect_timeout_seconds: float = Field(2.0, gt=0)
    proxy_read_timeout_seconds: float = Field(30.0, gt=0)
    proxy_write_timeout_seconds: float = Field(30.0, gt=0)
    proxy_pool_timeout_seconds: float = Field(5.0, gt=0)
    proxy_max_connections: int = Field(200, ge=1)
    proxy_max_keepalive_connections: int = Field(100, ge=0)
    proxy_keepalive_seconds: float = Field(
        4.0, gt=0, description="Below the services' keep-alive (uvicorn: 5 s) to avoid races"
    )
    proxy_pool_shards: int = Field(8, ge=1, le=64, description="Small pools used in turn")
    proxy_buffer_bytes: int = Field(
        65536, ge=0, description="Answers of known length up to this are read whole; 0 streams all"
    )
    health_timeout_seconds: float = Field(2.0, gt=0)
    openapi_cache_seconds: float = Field(30.0, ge=0)

    rate_limit_per_second: float = Field(100.0, ge=0, description="Per caller; 0 turns it off")
    rate_limit_burst: int = Field(200, ge=1)

    cors_origins: list[str] = Field(default_factory=list)
    cors_allow_credentials: bool = False

    @field_validator("admin_username", "admin_password", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("upstreams")
    @classmethod
    def _fill_default_upstreams(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _SERVICE_NAME.match(name):
                raise ValueError(f"{name!r} is not a service name")
        return {**DEFAULT_UPSTREAMS, **{k: v.rstrip("/") for k, v in value.items()}}

    @model_validator(mode="after")
    def _check_secrets(self) -> Settings:
        if self.environment == "production" and self.jwt_secret == PLACEHOLDER_JWT_SECRET:
            raise ValueError("jwt_secret must be set in production")
        if len(self.jwt_secret) < 32:
            raise ValueError("jwt_secret must be at least 32 characters")
        if self.jwt_secret == self.internal_token_secret:
            raise ValueError("jwt_secret must differ from internal_token_secret")
        return self

    @model_validator(mode="after")
    def _check_first_admin(self) -> Settings:
        if (self.admin_username is None) != (self.admin_password is None):
            raise ValueError("set both admin_username and admin_password, or neither")
        if self.admin_username is not None and self.admin_password is not None:
            password = self.admin_password.get_secret_value()
            problems = password_problems(password, self.admin_username)
            if problems:
                raise ValueError(f"admin_password {'; '.join(problems)}")
        return self

    @property
    def access_token_seconds(self) -> int:
        return self.access_token_minutes * 60
