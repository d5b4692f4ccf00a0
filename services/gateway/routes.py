"""The routing table: which service owns each public path prefix.

A later service (or a new resource of an existing one) adds its prefixes here, under
its name; nothing else in the gateway changes. The longest matching prefix wins and a
prefix has exactly one owner. Every service is also reachable whole at
`/services/<name>/...` (see `domain.routing`), which needs no entry here.
"""

from __future__ import annotations

from services.gateway.domain.routing import Route, build_table

#: Public `/v1/...` prefixes per owning service.
PUBLIC_PREFIXES: dict[str, tuple[str, ...]] = {
    "catalog": (
        "/v1/items", "/v1/units", "/v1/categories", "/v1/boms", "/v1/routings",
        "/v1/low-level-codes", "/v1/imports", "/v1/exports", "/v1/planning-data",
        "/v1/bom-approval-gate",
    ),
    "stock": (
        "/v1/locations", "/v1/lots", "/v1/receipts", "/v1/inspections", "/v1/transfers",
        "/v1/requisitions", "/v1/scraps", "/v1/supplier-returns", "/v1/customer-returns",
        "/v1/balances", "/v1/movements", "/v1/stock-card",
        "/v1/stock-overview", "/v1/production-receipts", "/v1/shipments", "/v1/stock-counts",
        "/v1/valuation", "/v1/reservations", "/v1/availability",
        "/v1/posting-period", "/v1/serials", "/v1/opening-balances", "/v1/approval-gates",
        "/v1/reports", "/v1/defective-releases", "/v1/report-definitions", "/v1/report-files",
    ),
    "mrp": (
        "/v1/demands", "/v1/sales-orders", "/v1/forecasts", "/v1/work-orders",
        "/v1/purchase-orders", "/v1/mrp-runs", "/v1/planned-orders", "/v1/buildable",
        "/v1/firming-approval-gate", "/v1/usage-variances",
    ),
    "trace": ("/v1/genealogy", "/v1/recalls", "/v1/operations"),
    "workflow": (
        "/v1/approvals", "/v1/flows", "/v1/inbox", "/v1/org", "/v1/calendars", "/v1/todos",
        "/v1/rules", "/v1/notifications", "/v1/mobile", "/v1/webhooks",
    ),
    "erp": ("/v1/movement-types", "/v1/books", "/v1/vouchers", "/v1/reconciliation"),
}

#: Paths forwarded without a user's credentials: DingTalk's and WeCom's callbacks, which
#: prove themselves by their signatures (checked by the service that owns the path).
OPEN_PATHS = frozenset({"/v1/mobile/dingtalk/callback", "/v1/mobile/wecom/callback"})
#: Prefixes whose GETs are forwarded without credentials: a kept report workbook, whose
#: unguessable, expiring token in the path is the credential (a digest message links to it).
OPEN_GET_PREFIXES = ("/v1/report-files/",)


def is_open(method: str, path: str) -> bool:
    """Whether a request to `path` goes through without a user's credentials."""
    return path in OPEN_PATHS or (method == "GET" and path.startswith(OPEN_GET_PREFIXES))

#: Who an open path's request is, as the service sees it (no roles).
OPEN_CALLER = "public:callback"

#: Paths the gateway answers itself; no service may claim them.
GATEWAY_PREFIXES = (
    "/v1/auth", "/v1/users", "/v1/api-keys", "/v1/audit", "/healthz", "/readyz", "/metrics",
    "/openapi.json", "/docs", "/services",
)

ROUTE_TABLE: tuple[Route, ...] = build_table(PUBLIC_PREFIXES)

#: Services the gateway fronts, in a stable order (health, OpenAPI).
UPSTREAM_SERVICES: tuple[str, ...] = tuple(PUBLIC_PREFIXES)
