"""A route's own examples in the OpenAPI document, where its models' examples do not fit
(an action's answer, a replacement of the demo's data): `responses=` and `Body` entries."""

from __future__ import annotations

from typing import Any

from fastapi import Body


def example_response(example: Any, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """A `responses=` entry: `example` as the route's JSON answer with `status` (merge it
    with the route's problem responses)."""
    return {status: {"content": {"application/json": {"example": example}}}}


def body_example(summary: str, value: Any, name: str = "demo") -> Any:
    """A request body parameter's own example, named `name`, where the model's (a new one)
    does not fit the route."""
    return Body(openapi_examples={name: {"summary": summary, "value": value}})
