"""RFC 9457 problem+json for every error, with a stable `code` and per-field `errors`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import FieldError, ProblemError
from shared.http.openapi_nulls import with_example_nulls
from shared.logging import get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
#: FastAPI's 400 for a body it cannot decode (e.g. invalid UTF-8).
BODY_PARSE_ERROR = "There was an error parsing the body"
#: How Starlette's 400s for a multipart body it cannot read begin (formparsers.py).
MULTIPART_ERRORS = (
    "Invalid multipart data", "Missing boundary in multipart", "Field exceeded maximum size",
    "Part exceeded maximum size", "Too many fields", "Too many files",
    'The Content-Disposition header field "name"',
)
log = get_logger(__name__)


class ProblemFieldError(BaseModel):
    field: str = Field(description="Dotted path of the bad field, e.g. body.lines.0.qty")
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    code: str = Field(description="Stable machine-readable error code")
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemFieldError] = Field(default_factory=list)


_STATUS_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_error", "The request is not valid"),
    429: ("rate_limited", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    502: ("upstream_error", "Another service answered with an error"),
    503: ("service_unavailable", "Service unavailable"),
}


def problem_body(
    request: Request | None,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:inventory:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body["errors"] = [e.as_dict() for e in errors or []]
    if extra:
        body.update(extra)
    return body


def problem_response(
    request: Request | None,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(
        request, status=status, code=code, title=title, detail=detail, errors=errors, extra=extra
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail or None,
        errors=exc.errors,
        extra=exc.extra,
        headers=exc.headers or None,
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(field=_field_path(err.get("loc", ())), message=str(err.get("msg", "")),
                   type=str(err.get("type", "invalid")))
        for err in exc.errors()
    ]
    return problem_response(
        request,
        status=422,
        code="validation_error",
        title="The request is not valid",
        detail=f"{len(errors)} field(s) are not valid",
        errors=errors,
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _STATUS_CODES.get(exc.status_code, (f"http_{exc.status_code}", "Error"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route matches {request.method} {request.url.path}"
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    if exc.status_code == 400 and detail == BODY_PARSE_ERROR:
        # bad input is 422 everywhere, whatever layer noticed it
        return problem_response(
            request, status=422, code="validation_error", title="The request is not valid",
            detail="the body is not valid JSON",
            errors=[FieldError("body", "not valid UTF-8 JSON", "json_invalid")],
        )
    if exc.status_code == 400 and detail and detail.startswith(MULTIPART_ERRORS):
        return problem_response(
            request, status=422, code="validation_error", title="The request is not valid",
            detail="the body is not valid multipart/form-data",
            errors=[FieldError("body", detail, "multipart_invalid")],
        )
    return problem_response(
        request, status=exc.status_code, code=code, title=title, detail=detail,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette runs this outermost, after RequestContextMiddleware has finished: the
    # request id must be added to the log line and the response headers here.
    request_id = getattr(request.state, "request_id", None)
    log.exception("unhandled_error", path=request.url.path, error=repr(exc), request_id=request_id)
    return problem_response(
        request, status=500, code="internal_error", title="Internal server error",
        detail="an unexpected error occurred; the request id identifies it in the logs",
        headers={"X-Request-ID": request_id} if request_id else None,
    )


#: Driver errors that mean "the database is busy, try again": SQLite's lock timeout,
#: PostgreSQL's deadlock, lock-not-available and serialization failures.
_TRANSIENT_DB_ERRORS = (
    "database is locked",
    "DeadlockDetectedError",
    "LockNotAvailableError",
    "SerializationError",
)


def is_transient_db_error(exc: DBAPIError) -> bool:
    original = exc.orig
    text = f"{type(original).__name__} {original}" if original is not None else str(exc)
    return any(marker in text for marker in _TRANSIENT_DB_ERRORS)


async def _on_db_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if not is_transient_db_error(exc):
        return await _on_unexpected(request, exc)
    log.warning("database_busy", path=request.url.path, error=repr(exc.orig))
    return problem_response(
        request, status=503, code="database_busy", title="The database is busy",
        detail="the change was rolled back because of a lock conflict; retry it",
        headers={"Retry-After": "1"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(DBAPIError, _on_db_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting problem+json for the given statuses."""
    return {
        status: {
            "description": _STATUS_CODES.get(status, ("", "Error"))[1],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        }
        for status in statuses
    }


def problem_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Make every error response of an OpenAPI document problem+json.

    FastAPI documents its own 422 as `application/json` HTTPValidationError; the
    handlers above answer every error as problem+json, so the document says so too.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem.pop("$defs", {}).items():
        components[name] = definition
    components["Problem"] = problem
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if str(status)[:1] in ("4", "5"):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install_problem_openapi(app: FastAPI) -> None:
    """Post-process `app.openapi()` with `problem_openapi` (cached like FastAPI's own);
    examples keep their `null`s (`shared.http.openapi_nulls`)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_openapi(with_example_nulls(original))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
