"""Merging the gateway's OpenAPI document with each service's into one.

Only the paths the routing table sends to a service are kept from its document.
Component schemas are renamed `<service>__<Name>` unless they are evidently shared
code: identical to the gateway's own schema of that name, or identical in every
document that defines them (so one `Problem` stays). Every `$ref` is rewritten to
match. Operation ids stay as they are unless two services clash.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

SCHEMA_REF = "#/components/schemas/"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
UNAVAILABLE_KEY = "x-unavailable-services"

JsonDoc = dict[str, Any]
PathFilter = Callable[[str, str], bool]


def walk_refs(node: Any) -> Iterable[str]:
    """Every `$ref` string anywhere under `node`."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from walk_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_refs(value)


def rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    """A copy of `node` with schema refs renamed according to `renames`."""
    if isinstance(node, dict):
        out = {key: rewrite_refs(value, renames) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            name = ref[len(SCHEMA_REF):]
            out["$ref"] = SCHEMA_REF + renames.get(name, name)
        return out
    if isinstance(node, list):
        return [rewrite_refs(value, renames) for value in node]
    return node


def schema_names(refs: Iterable[str]) -> set[str]:
    return {ref[len(SCHEMA_REF):] for ref in refs if ref.startswith(SCHEMA_REF)}


def dangling_refs(doc: Mapping[str, Any]) -> set[str]:
    """Schema refs that point at no schema of `doc`: must be empty in a valid document."""
    present = set(doc.get("components", {}).get("schemas", {}))
    return {name for name in schema_names(walk_refs(doc)) if name not in present}


def _schemas(doc: Mapping[str, Any]) -> dict[str, Any]:
    return dict(doc.get("components", {}).get("schemas", {}))


def universal_names(documents: Iterable[Mapping[str, Any]]) -> set[str]:
    """Names defined by at least two documents, identically in all of them: shared code
    such as `HTTPValidationError`."""
    seen: dict[str, list[Any]] = {}
    for doc in documents:
        for name, schema in _schemas(doc).items():
            seen.setdefault(name, []).append(schema)
    return {n for n, defs in seen.items() if len(defs) > 1 and all(d == defs[0] for d in defs)}


def plain_names(
    incoming: Mapping[str, Any], gateway: Mapping[str, Any], universal: set[str]
) -> set[str]:
    """The service's schemas that keep their name: identical to the gateway's own, or
    universal, and referring only to schemas that keep their names too."""
    kept = {n for n, s in incoming.items() if n in universal or gateway.get(n) == s}
    changed = True
    while changed:
        changed = False
        for name in sorted(kept):
            if not schema_names(walk_refs(incoming[name])) <= kept:
                kept.discard(name)
                changed = True
    return kept


def rename_map(service: str, incoming: Iterable[str], plain: set[str]) -> dict[str, str]:
    return {name: name if name in plain else f"{service}__{name}" for name in incoming}


def _operations(path_item: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for method, operation in path_item.items():
        if method in HTTP_METHODS and isinstance(operation, dict):
            yield operation


def _adopt_operation(operation: dict[str, Any], service: str, used_ids: set[str]) -> None:
    op_id = operation.get("operationId")
    if isinstance(op_id, str):
        if op_id in used_ids:
            op_id = f"{service}__{op_id}"
            operation["operationId"] = op_id
        used_ids.add(op_id)


def apply_security(doc: JsonDoc, security: list[dict[str, list[str]]]) -> None:
    """Every secured operation accepts the gateway's schemes (services' own schemes go)."""
    for item in doc.get("paths", {}).values():
        for operation in _operations(item):
            if "security" in operation:
                operation["security"] = copy.deepcopy(security)


def operation_ids(doc: Mapping[str, Any]) -> set[str]:
    return {
        op["operationId"]
        for item in doc.get("paths", {}).values()
        for op in _operations(item)
        if isinstance(op.get("operationId"), str)
    }


def merge_service(
    merged: JsonDoc,
    service: str,
    spec: Mapping[str, Any],
    keep_path: PathFilter,
    plain: set[str],
) -> None:
    """Fold one service's document into `merged` (in place); `plain` names stay as they are."""
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    incoming = _schemas(spec)
    renames = rename_map(service, incoming, plain)
    paths = {
        path: item
        for path, item in spec.get("paths", {}).items()
        if keep_path(service, path) and path not in merged.setdefault("paths", {})
    }
    used_ids = operation_ids(merged)
    for path, item in paths.items():
        new_item = rewrite_refs(item, renames)
        for operation in _operations(new_item):
            _adopt_operation(operation, service, used_ids)
        merged["paths"][path] = new_item
    for name, schema in incoming.items():
        schemas.setdefault(renames[name], rewrite_refs(schema, renames))
    _merge_tags(merged, spec.get("tags", []))


def _merge_tags(merged: JsonDoc, tags: Iterable[Mapping[str, Any]]) -> None:
    known = {tag.get("name") for tag in merged.get("tags", [])}
    for tag in tags:
        if tag.get("name") not in known:
            merged.setdefault("tags", []).append(dict(tag))


def prune_unused_schemas(doc: JsonDoc) -> None:
    """Drop schemas nothing refers to (e.g. those of paths that were filtered out)."""
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    reachable = schema_names(walk_refs({k: v for k, v in doc.items() if k != "components"}))
    frontier = set(reachable)
    while frontier:
        name = frontier.pop()
        for child in schema_names(walk_refs(schemas.get(name, {}))):
            if child not in reachable:
                reachable.add(child)
                frontier.add(child)
    for name in [n for n in schemas if n not in reachable]:
        del schemas[name]


def merge_documents(
    gateway: Mapping[str, Any],
    services: Mapping[str, Mapping[str, Any]],
    *,
    keep_path: PathFilter,
    security_schemes: Mapping[str, Any],
    unavailable: Iterable[str] = (),
) -> JsonDoc:
    """One document: the gateway's own, plus each service's routed paths and schemas."""
    merged: JsonDoc = copy.deepcopy(dict(gateway))
    security: list[dict[str, list[str]]] = [{name: []} for name in security_schemes]
    universal = universal_names([gateway, *services.values()])
    for service in sorted(services):
        spec = services[service]
        plain = plain_names(_schemas(spec), _schemas(gateway), universal)
        merge_service(merged, service, spec, keep_path, plain)
    apply_security(merged, security)
    prune_unused_schemas(merged)
    components = merged.setdefault("components", {})
    components["securitySchemes"] = copy.deepcopy(dict(security_schemes))
    merged[UNAVAILABLE_KEY] = sorted(set(unavailable))
    return merged
