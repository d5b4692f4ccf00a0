"""Who is calling, as every service sees it (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

ADMIN = "admin"
PLANNER = "planner"
WAREHOUSE = "warehouse"
QC = "qc"
FINANCE = "finance"
INTEGRATION = "integration"
SERVICE = "service"

#: Roles a person or API key can hold; `service` is reserved for service-to-service calls.
ROLES = (ADMIN, PLANNER, WAREHOUSE, QC, FINANCE, INTEGRATION)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: `subject` is stable (`user:alice`, `apikey:7`, `service:stock`)."""

    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    name: str = ""

    def has_any(self, roles: frozenset[str] | set[str] | tuple[str, ...]) -> bool:
        return bool(self.roles & set(roles)) or ADMIN in self.roles or SERVICE in self.roles

    @property
    def is_service(self) -> bool:
        return SERVICE in self.roles
