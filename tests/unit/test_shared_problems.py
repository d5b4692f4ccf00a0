"""RFC 9457 problem bodies and the handlers that produce them (no database)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, HTTPException, Query
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel, Field

from shared import errors
from shared.errors import FieldError, ProblemError
from shared.http.middleware import HttpMetrics, RequestContextMiddleware
from shared.http.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    install_problem_handlers,
    problem_body,
    problem_responses,
)


def test_problem_body_minimal() -> None:
    body = problem_body(None, status=409, code="conflict", title="Conflict")
    assert body == {"type": "urn:inventory:problem:conflict", "title": "Conflict", "status": 409,
                    "code": "conflict", "errors": []}
    Problem.model_validate(body)


def test_problem_body_with_detail_errors_and_extra() -> None:
    body = problem_body(None, status=422, code="validation_error", title="Bad", detail="2 bad",
                        errors=[FieldError("body.qty", "must be > 0", "greater_than"),
                                FieldError("body.lines.0.item", "unknown")],
                        extra={"available": "3"})
    assert body["detail"] == "2 bad" and body["available"] == "3"
    assert body["errors"] == [
        {"field": "body.qty", "message": "must be > 0", "type": "greater_than"},
        {"field": "body.lines.0.item", "message": "unknown", "type": "invalid"},
    ]


@pytest.mark.parametrize(("cls", "status", "code"), [
    (errors.InvalidInput, 422, "validation_error"),
    (errors.Unauthenticated, 401, "unauthenticated"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.FieldWriteForbidden, 403, "field_write_forbidden"),
    (errors.NotFound, 404, "not_found"),
    (errors.Conflict, 409, "conflict"),
    (errors.AlreadyExists, 409, "already_exists"),
    (errors.PreconditionFailed, 412, "precondition_failed"),
    (errors.PreconditionRequired, 428, "precondition_required"),
    (errors.IdempotencyKeyReused, 422, "idempotency_key_reused"),
    (errors.IdempotencyInProgress, 409, "idempotency_in_progress"),
    (errors.RateLimited, 429, "rate_limited"),
    (errors.UpstreamUnavailable, 503, "service_unavailable"),
    (errors.UpstreamTimeout, 504, "service_timeout"),
    (errors.UpstreamError, 502, "upstream_error"),
])
def test_error_classes_have_stable_status_and_code(cls, status: int, code: str) -> None:
    exc = cls("why")
    assert (exc.status, exc.code, str(exc)) == (status, code, "why")
    assert isinstance(exc, ProblemError) and str(cls()) == cls.title


class Line(BaseModel):
    qty: int = Field(gt=0)


class Doc(BaseModel):
    code: str = Field(min_length=1)
    lines: list[Line]


def _app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics("t"), access_log=False)
    install_problem_handlers(app)

    @app.post("/docs-in")
    async def post_doc(doc: Doc, page: int = Query(1, ge=1)) -> dict:
        return {}

    @app.get("/limited")
    async def limited() -> dict:
        raise errors.RateLimited("slow down", headers={"Retry-After": "7"},
                                 extra={"limit": 10}, errors=[FieldError("header.key", "hot")])

    @app.get("/teapot")
    async def teapot() -> dict:
        raise HTTPException(status_code=418, detail="short and stout")

    return app


@pytest.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=_app()), base_url="http://t") as client:
        yield client


async def test_validation_lists_every_bad_field(client: AsyncClient) -> None:
    response = await client.post("/docs-in?page=0", json={"code": "", "lines": [{"qty": 0}, {}]})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["code"] == "validation_error" and body["instance"] == "/docs-in"
    assert {e["field"] for e in body["errors"]} == {
        "query.page", "body.code", "body.lines.0.qty", "body.lines.1.qty"}
    assert body["detail"] == "4 field(s) are not valid"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_malformed_json_is_a_422_problem(client: AsyncClient) -> None:
    response = await client.post("/docs-in", content=b"{nope",
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


async def test_undecodable_body_is_a_422_problem_not_a_400(client: AsyncClient) -> None:
    response = await client.post("/docs-in", content=b'{"code": "\xff\xfe"}',
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == "body"


async def test_problem_error_keeps_headers_extra_and_errors(client: AsyncClient) -> None:
    response = await client.get("/limited")
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    body = response.json()
    assert body["code"] == "rate_limited" and body["limit"] == 10 and body["detail"] == "slow down"
    assert body["errors"] == [{"field": "header.key", "message": "hot", "type": "invalid"}]


async def test_unknown_routes_methods_and_other_statuses(client: AsyncClient) -> None:
    missing = await client.get("/nope")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert missing.json()["detail"] == "no route matches GET /nope"
    wrong = await client.delete("/limited")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")
    assert wrong.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert "allow" in wrong.headers
    teapot = await client.get("/teapot")
    assert (teapot.status_code, teapot.json()["code"]) == (418, "http_418")
    assert teapot.json()["detail"] == "short and stout"


def test_problem_responses_document_problem_json() -> None:
    documented = problem_responses(401, 409)
    assert set(documented) == {401, 409}
    for status in (401, 409):
        schema = documented[status]["content"][PROBLEM_MEDIA_TYPE]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}


def test_lock_conflicts_are_transient_and_other_db_errors_are_not() -> None:
    from sqlalchemy.exc import DBAPIError, OperationalError

    from shared.http.problems import is_transient_db_error

    class DeadlockDetectedError(Exception):
        pass

    locked = OperationalError("UPDATE x", {}, Exception("database is locked"))
    deadlock = DBAPIError("UPDATE x", {}, DeadlockDetectedError("deadlock detected"))
    broken = OperationalError("SELECT", {}, Exception("no such table: items"))
    assert is_transient_db_error(locked) and is_transient_db_error(deadlock)
    assert not is_transient_db_error(broken)
