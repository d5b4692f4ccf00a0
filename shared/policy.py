"""Field-level read/write policy declared beside the Pydantic schemas.

    class ItemOut(BaseModel):
        standard_cost: Decimal | None = restricted(read=FINANCE_ONLY, default=None)

Fields a caller may not read are absent from the responses it gets; writing a field
the caller may not write is a 403 naming every such field. `admin` (and
service-to-service calls) pass every policy. The roles also appear in the OpenAPI
schema as `x-read-roles` / `x-write-roles`.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from shared.auth.principal import Principal
from shared.errors import FieldError, FieldWriteForbidden

READ_KEY = "x-read-roles"
WRITE_KEY = "x-write-roles"


@dataclass(frozen=True, slots=True)
class FilterAs:
    """Field metadata: the field holds a model's data as a plain JSON object (so the
    OpenAPI schema does not split that model into input and output variants); filter it
    for reading as `model`.

        draft_request: Annotated[dict[str, Any] | None, FilterAs(ReceiptCreate)] = None
    """

    model: type[BaseModel]


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


#: Models whose read plan is being computed (a model that refers to itself).
_PLANNING: set[type[BaseModel]] = set()

#: One field to look at when filtering: the keys it may be dumped under, the roles that
#: may read it (None: everyone), and its annotation when restricted fields lie inside it.
_Step = tuple[tuple[str, ...], frozenset[str] | None, Any]


@functools.cache
def _read_plan(model: type[BaseModel]) -> tuple[_Step, ...]:
    """The fields of `model` that filtering must visit: restricted ones, and those whose
    type holds restricted fields. Everything else is passed over untouched."""
    _PLANNING.add(model)
    try:
        steps: list[_Step] = []
        for name, info in model.model_fields.items():
            roles = _roles(info, READ_KEY)
            shape = next(
                (meta.model for meta in info.metadata if isinstance(meta, FilterAs)),
                info.annotation,
            )
            nested = _holds_restricted(shape)
            if roles is None and not nested:
                continue
            aliases = (name, info.serialization_alias, info.alias)
            keys = tuple(key for key in dict.fromkeys(aliases) if key)
            steps.append((keys, roles, shape if nested else None))
        return tuple(steps)
    finally:
        _PLANNING.discard(model)


def _holds_restricted(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation in _PLANNING or bool(_read_plan(annotation))
    return any(_holds_restricted(arg) for arg in typing.get_args(annotation))


@functools.cache
def _role_sets(model: type[BaseModel]) -> frozenset[frozenset[str]]:
    """Every role set a field inside `model` (at any depth) is restricted to."""
    found: set[frozenset[str]] = set()
    pending, seen = [model], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for _keys, roles, annotation in _read_plan(current):
            if roles is not None:
                found.add(roles)
            if annotation is not None:
                pending.extend(_models_in(annotation))
    return frozenset(found)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _filter_nested(value: Any, annotation: Any, principal: Principal) -> Any:
    """Filter `value` as the type `annotation` describes: models, lists, dicts, unions."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _filter(value, annotation, principal)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        models = [arg for arg in args if isinstance(arg, type) and issubclass(arg, BaseModel)]
        others = [arg for arg in args if arg not in models and arg is not type(None)]
        for model in models:  # a dict value belongs to the union's model (if only one)
            value = _filter(value, model, principal)
        for other in others:
            value = _filter_nested(value, other, principal)
        return value
    if origin in (list, tuple, set, frozenset) and isinstance(value, list) and args:
        return [_filter_nested(item, args[0], principal) for item in value]
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return {key: _filter_nested(item, args[1], principal) for key, item in value.items()}
    return value


def filter_readable(data: Any, model: type[BaseModel], principal: Principal) -> Any:
    """Remove from `data` (a model dumped to JSON types) every field `principal` may not read.

    A caller who may read every restricted field inside `model` gets `data` untouched;
    otherwise only the fields that are, or hold, restricted ones are visited."""
    if all(principal.has_any(roles) for roles in _role_sets(model)):
        return data
    return _filter(data, model, principal)


def _filter(data: Any, model: type[BaseModel], principal: Principal) -> Any:
    if isinstance(data, list):
        return [_filter(item, model, principal) for item in data]
    if not isinstance(data, dict):
        return data
    for keys, roles, annotation in _read_plan(model):
        for key in keys:
            if key not in data:
                continue
            if not _allowed(principal, roles):
                del data[key]
            elif annotation is not None:
                data[key] = _filter_nested(data[key], annotation, principal)
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
        return [
            e
            for i, item in enumerate(value)
            for e in _forbidden_nested(item, principal, f"{path}.{i}")
        ]
    if isinstance(value, dict):
        return [
            e
            for key, item in value.items()
            for e in _forbidden_nested(item, principal, f"{path}.{key}")
        ]
    return []


def check_writable(body: BaseModel, principal: Principal) -> None:
    errors = forbidden_writes(body, principal)
    if errors:
        raise FieldWriteForbidden(
            f"{len(errors)} field(s) may not be written by your role", errors=errors
        )
