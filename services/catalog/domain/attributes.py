"""Custom item attributes, validated by a JSON Schema kept per category."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


def schema_errors(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, reason) for what makes `schema` unusable as an attribute schema."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = ".".join(str(p) for p in exc.absolute_path)
        return [(path, exc.message)]
    if schema.get("type", "object") != "object":
        return [("type", "an attribute schema describes an object")]
    return []


def attribute_errors(schema: dict[str, Any], attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """(dotted path, reason) for every way `attributes` breaks `schema`, in path order."""
    validator = Draft202012Validator(schema)
    found = [
        (".".join(str(p) for p in error.absolute_path), error.message)
        for error in validator.iter_errors(attributes)
    ]
    return sorted(found)
