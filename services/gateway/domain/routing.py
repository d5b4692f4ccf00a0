"""Which service owns a public path: longest prefix wins, on whole path segments.

Besides the public prefixes, every service is mounted whole at `/services/<name>/...`,
which is forwarded to `<upstream>/...` (used for per-service endpoints and by services
calling each other through the gateway).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

MOUNT_ROOT = "/services"


@dataclass(frozen=True, slots=True)
class Route:
    prefix: str
    service: str


@dataclass(frozen=True, slots=True)
class Target:
    """Where a request goes: the service and the path on that service."""

    service: str
    path: str
    mounted: bool = False


def build_table(owners: Mapping[str, Iterable[str]]) -> tuple[Route, ...]:
    """Flatten `{service: prefixes}` into routes, longest prefix first; a prefix has one owner."""
    routes: dict[str, Route] = {}
    for service, prefixes in owners.items():
        for prefix in prefixes:
            if not prefix.startswith("/") or prefix.endswith("/"):
                raise ValueError(f"prefix {prefix!r} must start and not end with '/'")
            if prefix in routes:
                owner = routes[prefix].service
                raise ValueError(f"prefix {prefix!r} is owned by {owner} and {service}")
            routes[prefix] = Route(prefix, service)
    return tuple(sorted(routes.values(), key=lambda r: (-len(r.prefix), r.prefix)))


def has_prefix(path: str, prefix: str) -> bool:
    """`path` is `prefix` or lies below it (`/v1/items2` is not below `/v1/items`)."""
    return path == prefix or path.startswith(prefix + "/")


def is_unsafe(path: str) -> bool:
    """Dot segments could escape a mount or a prefix on a lenient upstream."""
    return any(segment in (".", "..") for segment in path.split("/"))


def resolve(path: str, table: Iterable[Route], services: Collection[str]) -> Target | None:
    """The target of `path`, or None when no service owns it."""
    if is_unsafe(path):
        return None
    mounted = resolve_mount(path, services)
    if mounted is not None:
        return mounted
    for route in table:
        if has_prefix(path, route.prefix):
            return Target(route.service, path)
    return None


def resolve_mount(path: str, services: Collection[str]) -> Target | None:
    """`/services/<name>/<rest>` -> (`name`, `/<rest>`) when `name` is a known service."""
    if not has_prefix(path, MOUNT_ROOT):
        return None
    rest = path[len(MOUNT_ROOT) + 1:]
    name, _, tail = rest.partition("/")
    if name not in services:
        return None
    return Target(name, "/" + tail, mounted=True)


def owner_of(path: str, table: Iterable[Route]) -> str | None:
    """The service a public path belongs to (no mounts), e.g. to filter OpenAPI paths."""
    for route in table:
        if has_prefix(path, route.prefix):
            return route.service
    return None
