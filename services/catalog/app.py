"""Catalog service: the single source of what things are and how they are built."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.catalog.api.approvals import router as approvals_router
from services.catalog.api.bom_queries import router as bom_queries_router
from services.catalog.api.boms import router as boms_router
from services.catalog.api.boms import routings_router
from services.catalog.api.imports import router as imports_router
from services.catalog.api.items import router as items_router
from services.catalog.api.planning import router as planning_router
from services.catalog.api.units import categories_router, units_router
from services.catalog.settings import Settings
from shared.http.app import create_service_app


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Catalog",
        description=(
            "Items (material master), units and conversions, categories with attribute "
            "schemas, approved manufacturer parts, routings, versioned multi-level BOMs "
            "with explosion, where-used, cost roll-up and diff, and Excel import/export."
        ),
        # Routers with fixed paths (imports, queries) come before `/{id}` routes.
        routers=[
            imports_router,
            bom_queries_router,
            planning_router,
            units_router,
            categories_router,
            items_router,
            boms_router,
            routings_router,
            approvals_router,
        ],
        http_transport=http_transport,
    )
