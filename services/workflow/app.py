"""Workflow service: approvals, rules and notifications (domain features arrive with issue #7)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.workflow.settings import Settings
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Workflow",
        description="Approval flows with conditions and time limits, rules, tasks, notifications.",
        routers=[],
        http_transport=http_transport,
    )
