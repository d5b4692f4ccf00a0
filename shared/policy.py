"""Field-level read/write policy declared beside the Pydantic schemas.

    class ItemOut(BaseModel):
        standard_cost: Decimal | None = restricted(read=FINANCE_ONLY, default=None)

Fields a caller may not read are absent from the responses it gets; writing a field
the caller may not write is a 403 naming every such field. `admin` (and
service-to-service calls) pass every policy. The roles also appear in the OpenAPI
schema as `x-read-roles` / `x-write-roles`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from shared.auth.principal import Principal
from shared.errors import FieldError, FieldWriteForbidden

READ_KEY = "x-read-roles"
WRITE_KEY = "x-write-roles"


def restricted(
    *, read: Iterable[str] | None = None, write: Iterable[str] | None = None, **field_kwargs: Any
) -> Any:
    """A pydantic `Field` carrying the roles allowed to read and/or write it."""
    extra: dict[str, Any] = {}
    if read is not None:
        extra[READ_KEY] = sorted(set(read))
    if write is not None:
        extra[WRITE_KEY] = sorted(set(write))
    return Field(json_schema_extra=extra, **field_kwargs)


def _roles(info: FieldInfo, key: str) -> frozenset[str] | None:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and key in extra:
        value = extra[key]
        if isinstance(value, list):
            return frozenset(str(v) for v in value)
    return None


def _allowed(principal: Principal, roles: frozenset[str] | None) -> bool:
    return roles is None or principal.has_any(roles)


def _filter_nested(value: Any, annotation: Any, principal: Principal) -> Any:
    """Filter `value` as the type `annotation` describes: models, lists, dicts, unions."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return filter_readable(value, annotation, principal)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        models = [arg for arg in args if isinstance(arg, type) and issubclass(arg, BaseModel)]
        others = [arg for arg in args if arg not in models and arg is not type(None)]
        for model in models:  # a dict value belongs to the union's model (if only one)
            value = filter_readable(value, model, principal)
        for other in others:
            value = _filter_nested(value, other, principal)
        return value
    if origin in (list, tuple, set, frozenset) and isinstance(value, list) and args:
        return [_filter_nested(item, args[0], principal) for item in value]
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return {key: _filter_nested(item, args[1], principal) for key, item in value.items()}
    return value


def filter_readable(data: Any, model: type[BaseModel], principal: Principal) -> Any:
    """Remove from `data` (a model dumped to JSON types) every field `principal` may not read."""
    if isinstance(data, list):
        return [filter_readable(item, model, principal) for item in data]
    if not isinstance(data, dict):
        return data
    for name, info in model.model_fields.items():
        # dumped by name or by alias: check every key the field can appear under
        for key in dict.fromkeys((name, info.serialization_alias, info.alias)):
            if key is None or key not in data:
                continue
            if not _allowed(principal, _roles(info, READ_KEY)):
                del data[key]
                continue
            data[key] = _filter_nested(data[key], info.annotation, principal)
    return data


def forbidden_writes(
    body: BaseModel, principal: Principal, prefix: str = "body"
) -> list[FieldError]:
    """Every field set in `body` (recursively) that `principal` may not write."""
    errors: list[FieldError] = []
    for name in sorted(body.model_fields_set):
        info = type(body).model_fields.get(name)
        if info is None:
            continue
        path = f"{prefix}.{name}"
        if not _allowed(principal, _roles(info, WRITE_KEY)):
            errors.append(FieldError(path, "your role may not write this field", "forbidden"))
            continue
        errors.extend(_forbidden_nested(getattr(body, name), principal, path))
    return errors


def _forbidden_nested(value: Any, principal: Principal, path: str) -> list[FieldError]:
    if isinstance(value, BaseModel):
        return forbidden_writes(value, principal, path)
    if isinstance(value, (list, tuple)):
        return [e for i, item in enumerate(value)
                for e in _forbidden_nested(item, principal, f"{path}.{i}")]
    if isinstance(value, dict):
        return [e for key, item in value.items()
                for e in _forbidden_nested(item, principal, f"{path}.{key}")]
    return []


def check_writable(body: BaseModel, principal: Principal) -> None:
    errors = forbidden_writes(body, principal)
    if errors:
        raise FieldWriteForbidden(
            f"{len(errors)} field(s) may not be written by your role", errors=errors
        )
