"""Gateway request and response models: the public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.pagination import Page

Role = Literal["admin", "planner", "warehouse", "qc", "finance", "integration"]
PrincipalKind = Literal["user", "api_key", "service", "other"]
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@\-]*$"


#: A real answer of `POST /v1/auth/token` for the demo's admin (expired long since).
_ACCESS_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJpbnZlbnRvcnktZ2F0ZXdheSIsImF1ZCI6Imlu"
    "dmVudG9yeS1hcGkiLCJzdWIiOiJ1c2VyOmFkbWluIiwibmFtZSI6ImFkbWluIiwicm9sZXMiOlsiYWRtaW4iXSwia"
    "WF0IjoxNzk1ODQyNjM1LCJleHAiOjE3OTU4NDM1MzUsImp0aSI6IjU2OWI1NGMyYWRkYTQ1ODg5ZGYwMWQzNTllNz"
    "E0MWFjIn0.8gLdJLN-3ChhSe9AjJLA2W5CqhwSpoQTGdRmugpJtj0"
)


class TokenOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"access_token": _ACCESS_TOKEN, "token_type": "bearer", "expires_in": 900}]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"username": "zhao", "password": "DG-keeper-2026!", "roles": ["warehouse"]}
            ]
        },
    )

    username: str = Field(min_length=1, max_length=100, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=1, max_length=256, description="At least 12 characters")
    roles: list[Role] = Field(min_length=1, max_length=6)


class UserOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    "username": "wang",
                    "roles": ["warehouse"],
                    "active": True,
                    "created_at": "2026-11-28T05:10:05.926897Z",
                }
            ]
        }
    )

    id: int
    username: str
    roles: list[str]
    active: bool
    created_at: datetime


class PrincipalOut(BaseModel):
    """Who the gateway takes the caller to be."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"subject": "user:admin", "kind": "user", "name": "admin", "roles": ["admin"]}
            ]
        }
    )

    subject: str = Field(description="`user:<username>`, `apikey:<id>` or `service:<name>`")
    kind: PrincipalKind
    name: str
    roles: list[str]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "mes-line-1", "roles": ["integration"]}]},
    )

    name: str = Field(min_length=1, max_length=100, description="Who uses it, e.g. mes-line-1")
    roles: list[Role] = Field(min_length=1, max_length=6)


_API_KEY_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "name": "mes-line-1",
    "roles": ["integration"],
    "prefix": "ik_1_",
    "created_by": "user:admin",
    "created_at": "2026-11-28T06:02:41.318204Z",
    "revoked_at": None,
}


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_API_KEY_EXAMPLE]})

    id: int
    name: str
    roles: list[str]
    prefix: str = Field(description="The start of the key, to recognise it (never the secret)")
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_API_KEY_EXAMPLE, "secret": "ik_1_Cx73fEOkDk3YRZFdiRiu56mR0WcZ_cFCD-UHvuQKkxQ"}
            ]
        }
    )

    secret: str = Field(description="The key itself: shown once, store it now")


UserPage = Page[UserOut]
ApiKeyPage = Page[ApiKeyOut]
