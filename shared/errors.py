"""Pure exception types mapped to RFC 9457 problem+json by `shared.http.problems`.

Domain packages may raise these (or subclasses): this module imports nothing but the
standard library, so it is allowed inside `domain/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field: `field` is a dotted path such as `body.lines.0.qty`."""

    field: str
    message: str
    type: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "type": self.type}


@dataclass
class ProblemError(Exception):
    """Base for every error that becomes problem+json: a status, a stable code and a title."""

    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __post_init__(self) -> None:
        Exception.__init__(self, self.detail or self.title)


class InvalidInput(ProblemError):
    status = 422
    code = "validation_error"
    title = "The request is not valid"


class Unauthenticated(ProblemError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(ProblemError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class FieldWriteForbidden(Forbidden):
    code = "field_write_forbidden"
    title = "Some fields may not be written by your role"


class NotFound(ProblemError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(ProblemError):
    status = 409
    code = "conflict"
    title = "Conflict"


class AlreadyExists(Conflict):
    code = "already_exists"
    title = "Already exists"


class PreconditionFailed(ProblemError):
    status = 412
    code = "precondition_failed"
    title = "The resource changed since you read it"


class PreconditionRequired(ProblemError):
    status = 428
    code = "precondition_required"
    title = "If-Match is required"


class IdempotencyKeyReused(ProblemError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency-Key was used with a different request"


class IdempotencyInProgress(ProblemError):
    status = 409
    code = "idempotency_in_progress"
    title = "A request with this Idempotency-Key is still running"


class RateLimited(ProblemError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


class UpstreamUnavailable(ProblemError):
    status = 503
    code = "service_unavailable"
    title = "A service is unavailable"


class UpstreamTimeout(ProblemError):
    status = 504
    code = "service_timeout"
    title = "A service did not answer in time"


class UpstreamError(ProblemError):
    """A call to another service answered with an unexpected error."""

    status = 502
    code = "upstream_error"
    title = "Another service answered with an error"


class PassedOn(ProblemError):
    """Another service's own problem with a request made on the caller's behalf (stock
    refusing a posting: 409 `insufficient_stock` ...), passed on with its status, code,
    title and field errors, so the caller sees why, not a bare 502."""

    def __init__(
        self,
        service: str,
        status: int,
        body: dict[str, Any],
        *,
        refused: str,
        errors: list[FieldError],
    ) -> None:
        super().__init__(
            detail=f"{service} refused {refused}: {body.get('detail') or body.get('title')}",
            errors=errors,
            extra={f"{service}_code": body.get("code", "")},
        )
        self.status = status  # type: ignore[misc]
        self.code = str(body.get("code") or f"{service}_refused")  # type: ignore[misc]
        self.title = str(  # type: ignore[misc]
            body.get("title") or f"{service.capitalize()} refused the request"
        )

    @staticmethod
    def field_errors(body: dict[str, Any]) -> list[FieldError]:
        """The other service's field errors as they are."""
        return [
            FieldError(
                str(e.get("field", "")), str(e.get("message", "")), str(e.get("type", "invalid"))
            )
            for e in body.get("errors") or []
            if isinstance(e, dict)
        ]
