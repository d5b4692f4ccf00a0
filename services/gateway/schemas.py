"""Gateway request and response models: the public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.pagination import Page

Role = Literal["admin", "planner", "warehouse", "qc", "finance", "integration"]
PrincipalKind = Literal["user", "api_key", "service", "other"]
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@\-]*$"


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=1, max_length=256, description="At least 12 characters")
    roles: list[Role] = Field(min_length=1, max_length=6)


class UserOut(BaseModel):
    id: int
    username: str
    roles: list[str]
    active: bool
    created_at: datetime


class PrincipalOut(BaseModel):
    """Who the gateway takes the caller to be."""

    subject: str = Field(description="`user:<username>`, `apikey:<id>` or `service:<name>`")
    kind: PrincipalKind
    name: str
    roles: list[str]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Who uses it, e.g. mes-line-1")
    roles: list[Role] = Field(min_length=1, max_length=6)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    roles: list[str]
    prefix: str = Field(description="The start of the key, to recognise it (never the secret)")
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The key itself: shown once, store it now")


UserPage = Page[UserOut]
ApiKeyPage = Page[ApiKeyOut]
