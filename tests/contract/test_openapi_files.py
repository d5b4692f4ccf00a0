"""The checked-in `openapi/<service>.json` files are exactly what the code produces."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.routing import APIRoute

from tools import openapi

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.mark.parametrize("service", openapi.SERVICES)
def test_checked_in_spec_matches_the_code(service: str) -> None:
    path = openapi.spec_path(service)
    assert path.exists(), f"{path} is missing: run `make openapi` and commit it"
    expected = openapi.render(openapi.spec(service))
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path.name} differs from the code: run `make openapi` and commit the result"
    )


@pytest.mark.parametrize("service", openapi.SERVICES)
def test_every_route_names_a_unique_operation_id(service: str) -> None:
    app = openapi.build_app(service)
    unnamed = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute) and route.include_in_schema and not route.operation_id
    ]
    assert not unnamed, f"routes without an explicit operation_id: {unnamed}"
    ids = [
        operation.get("operationId")
        for item in app.openapi()["paths"].values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]
    assert None not in ids
    duplicates = sorted(name for name, count in Counter(ids).items() if count > 1)
    assert not duplicates, f"duplicate operation ids: {duplicates}"
