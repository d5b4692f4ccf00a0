"""`/healthz` and `/readyz` for the gateway and every service behind it; `/metrics`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from services.gateway.upstreams import NOT_READY, OK, READY, Upstreams
from shared.db.database import Database
from shared.http.examples import example_response
from shared.http.problems import problem_response, problem_responses
from shared.logging import get_logger
from shared.settings import SERVICE_NAMES

router = APIRouter(tags=["health"])
log = get_logger(__name__)


class SystemHealth(BaseModel):
    status: str
    services: dict[str, str] = Field(description="State of the gateway and of each service")


def _example(state: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer when everything is `state` (`ok` or `ready`), for the docs."""
    example = {"status": state, "services": dict.fromkeys(SERVICE_NAMES, state)}
    return example_response(example)


def _answer(request: Request, services: dict[str, str], up: str, what: str) -> Response:
    down = sorted(name for name, state in services.items() if state != up)
    if not down:
        return JSONResponse(SystemHealth(status=up, services=services).model_dump())
    return problem_response(
        request, status=503, code="service_unavailable", title="Some services are not " + what,
        detail=f"not {what}: {', '.join(down)}", extra={"services": services},
    )


@router.get("/healthz", response_model=SystemHealth, operation_id="healthz",
            responses={**_example(OK), **problem_responses(503)})
async def healthz(request: Request) -> Response:
    """The gateway is up, and so is every service (each asked concurrently)."""
    upstreams: Upstreams = request.app.state.upstreams
    services = {"gateway": OK, **await upstreams.statuses("/healthz", OK)}
    return _answer(request, services, OK, "up")


async def _own_readiness(db: Database) -> str:
    try:
        return READY if await db.is_ready() else NOT_READY
    except Exception as exc:
        log.warning("readyz_failed", error=repr(exc))
        return NOT_READY


@router.get("/readyz", response_model=SystemHealth, operation_id="readyz",
            responses={**_example(READY), **problem_responses(503)})
async def readyz(request: Request) -> Response:
    """The gateway's database is migrated, and every service says it is ready."""
    upstreams: Upstreams = request.app.state.upstreams
    services: dict[str, Any] = {"gateway": await _own_readiness(request.app.state.db)}
    services.update(await upstreams.statuses("/readyz", READY))
    return _answer(request, services, READY, "ready")


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
