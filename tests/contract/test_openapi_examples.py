"""Every operation in `openapi/*.json` carries a realistic example request and response.

So "Try it out" in the Swagger UI works on the demo company (`make demo`): a JSON request
body, every path parameter and every required query parameter, and the JSON answer of
the first success status each have an example, given on the media type or parameter
(`example`/`examples`) or on the schema they use (a model's
`json_schema_extra={"examples": [...]}`, a field's or parameter's `examples=[...]`).
A schema counts when it has one itself, when it is a list of things that have one, or
when it wraps such a schema (a page of items, a document with its lines). File uploads
and answers that are files or empty need none. Examples name the demo's own things
(SPK-ONE-BLK, SZ/RAW/A-01, IC-AMP-TAS-L01, WO-14-SPK ...).

    python -m tests.contract.test_openapi_examples [service ...]   # what still lacks one
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

OPENAPI_DIR = Path(__file__).resolve().parents[2] / "openapi"
SERVICES = ("gateway", "catalog", "stock", "mrp", "trace", "workflow", "erp")
METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(spec: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    seen = 0
    while schema and "$ref" in schema and seen < 20:
        name = schema["$ref"].rsplit("/", 1)[-1]
        own = {k: v for k, v in schema.items() if k != "$ref"}
        if own.get("examples") or own.get("example") is not None:
            return own
        schema = spec["components"]["schemas"][name]
        seen += 1
    return schema or {}


def schema_has_example(spec: dict[str, Any], schema: dict[str, Any] | None, depth: int = 0) -> bool:
    if schema is None or depth > 4:
        return False
    if schema.get("examples") or schema.get("example") is not None:
        return True
    resolved = _resolve(spec, schema)
    if resolved.get("examples") or resolved.get("example") is not None:
        return True
    choices = resolved.get("anyOf", []) + resolved.get("oneOf", [])
    options = [s for s in choices if s.get("type") != "null"]
    if options:
        return all(schema_has_example(spec, option, depth + 1) for option in options)
    if len(resolved.get("allOf", [])) == 1:
        return schema_has_example(spec, resolved["allOf"][0], depth + 1)
    if resolved.get("type") == "array":
        return schema_has_example(spec, resolved.get("items"), depth + 1)
    properties = resolved.get("properties") or {}
    wrapped = [
        value
        for value in properties.values()
        if "$ref" in value or value.get("type") == "array" or value.get("anyOf")
    ]
    return any(schema_has_example(spec, value, depth + 1) for value in wrapped)


def media_has_example(spec: dict[str, Any], media: dict[str, Any]) -> bool:
    if media.get("example") is not None or media.get("examples"):
        return True
    return schema_has_example(spec, media.get("schema"))


def param_has_example(param: dict[str, Any]) -> bool:
    if param.get("example") is not None or param.get("examples"):
        return True
    schema = param.get("schema") or {}
    if schema.get("examples") or schema.get("example") is not None:
        return True
    # a parameter whose values are an enum or a boolean needs no example to be tried
    options = [schema, *schema.get("anyOf", [])]
    return any("enum" in option or option.get("type") == "boolean" for option in options)


def missing_examples(spec: dict[str, Any]) -> list[str]:
    """`METHOD /path: what lacks an example`, one per gap."""
    gaps: list[str] = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            for param in params:
                needed = param.get("in") == "path" or (
                    param.get("in") == "query" and param.get("required")
                )
                if needed and not param_has_example(param):
                    gaps.append(f"{where}: parameter {param['name']}")
            content = (op.get("requestBody") or {}).get("content", {})
            for media_type, media in content.items():
                if media_type == "application/json" and not media_has_example(spec, media):
                    gaps.append(f"{where}: request body")
            successes = sorted(code for code in op.get("responses", {}) if code.startswith("2"))
            if successes:
                answer = op["responses"][successes[0]].get("content", {})
                media = answer.get("application/json")
                if media is not None and not media_has_example(spec, media):
                    gaps.append(f"{where}: response {successes[0]}")
    return gaps


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_has_example_request_and_response(service: str) -> None:
    spec = json.loads((OPENAPI_DIR / f"{service}.json").read_text())
    gaps = missing_examples(spec)
    assert not gaps, f"{len(gaps)} without an example:\n" + "\n".join(gaps)


def test_the_check_finds_what_lacks_an_example() -> None:
    ref = {"$ref": "#/components/schemas/In"}
    page = {"$ref": "#/components/schemas/Page"}
    operation = {
        "parameters": [{"name": "thing_id", "in": "path", "schema": {"type": "integer"}}],
        "requestBody": {"content": {"application/json": {"schema": ref}}},
        "responses": {"200": {"content": {"application/json": {"schema": page}}}},
    }
    out_list = {"type": "array", "items": {"$ref": "#/components/schemas/Out"}}
    spec = {
        "paths": {"/v1/things/{thing_id}": {"put": operation}},
        "components": {
            "schemas": {
                "In": {"type": "object", "properties": {"code": {"type": "string"}}},
                "Out": {"type": "object", "examples": [{"code": "SPK-ONE-BLK"}]},
                "Page": {"type": "object", "properties": {"items": out_list}},
            }
        },
    }
    assert missing_examples(spec) == [
        "PUT /v1/things/{thing_id}: parameter thing_id",
        "PUT /v1/things/{thing_id}: request body",
    ]
    spec["components"]["schemas"]["In"]["examples"] = [{"code": "SPK-ONE-BLK"}]
    op = spec["paths"]["/v1/things/{thing_id}"]["put"]
    op["parameters"][0]["schema"]["examples"] = [42]
    assert missing_examples(spec) == []


if __name__ == "__main__":
    for name in sys.argv[1:] or SERVICES:
        found = missing_examples(json.loads((OPENAPI_DIR / f"{name}.json").read_text()))
        print(f"{name}: {len(found)} missing")
        for gap in found:
            print(f"  {gap}")
