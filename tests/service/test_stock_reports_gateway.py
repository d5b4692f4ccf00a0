"""The report tests with hand-computed numbers (turnover, a dead-stock ranking, an aging
split, the in/out summary, inventory health), run again through the gateway on both
databases; and a kept report workbook fetched through it without credentials.

The tests are the report modules' own, imported here; this module's `wired` fixture puts
a real gateway in front of the catalog and stock, and turns each request's internal test
token into a gateway access token of the same person and roles, so every call (and every
field the roles may not see) goes the way a client's would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import Settings as CatalogSettings
from services.gateway.access_tokens import mint_access_token
from services.stock.app import create_app as stock_app
from services.stock.settings import Settings as StockSettings
from shared.auth.tokens import verify_internal_token
from tests.conftest import TEST_SECRET, auth
from tests.service.test_gateway_support import (
    TEST_JWT_SECRET,
    HostDispatch,
    gateway_stack,
    host_of,
    stub_service,
)
from tests.service.test_stock_aging_report import (  # noqa: F401 (collected here too)
    test_aging_by_item_with_bands_expiry_and_tie_out,
    test_aging_hides_values_from_roles_without_cost,
)
from tests.service.test_stock_dead_stock_and_since import (  # noqa: F401
    test_dead_stock_ranks_idle_items_by_value,
)
from tests.service.test_stock_inventory_health import (  # noqa: F401
    test_health_adds_up_by_hand_and_ties_out_with_the_reports,
    test_roles_without_cost_see_no_values_and_get_no_workbook,
    world,
)
from tests.service.test_stock_movement_summary import (  # noqa: F401
    test_summary_by_kind_over_months_and_days,
)
from tests.service.test_stock_turnover_report import (  # noqa: F401
    test_monthly_turnover_by_total_item_and_category,
    test_warehouse_and_stage_groups_share_the_average_by_quantity,
    test_weeks_partial_periods_reversals_and_roles,
)
from tests.service.test_thin_slice_inprocess import Slice
from tests.wiring import started


async def _as_gateway_user(request: httpx.Request) -> None:
    """Swap the internal token the tests send for the gateway's own access token."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        principal = verify_internal_token(TEST_SECRET, header.removeprefix("Bearer "))
        token = mint_access_token(TEST_JWT_SECRET, principal, 3600)
        request.headers["Authorization"] = f"Bearer {token}"


@pytest.fixture
async def wired(database_factory) -> AsyncIterator[Slice]:
    common: dict[str, Any] = {
        "internal_token_secret": TEST_SECRET,
        "service_urls": {name: f"http://{host_of(name)}" for name in ("catalog", "stock", "trace")},
        "http_attempts": 1,
        "run_background_tasks": False,
    }
    services = HostDispatch({})
    apps = {
        "catalog": catalog_app(
            CatalogSettings(database_url=await database_factory("catalog"), **common),
            http_transport=services,
        ),
        "stock": stock_app(
            StockSettings(database_url=await database_factory("stock"), **common),
            http_transport=services,
        ),
    }
    routes = {host_of(name): httpx.ASGITransport(app=app) for name, app in apps.items()}
    services.routes.update(routes)
    stubs = {"trace": stub_service("trace")}
    async with (
        started(apps),
        gateway_stack(database_factory, with_catalog=False, stubs=stubs, extra_routes=routes) as gw,
    ):
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gw.app),
            base_url="http://gateway.test",
            headers=auth("admin"),
            event_hooks={"request": [_as_gateway_user]},
        )
        try:
            yield Slice(client, client, client, apps=apps)
        finally:
            await client.aclose()
    await services.aclose()



async def test_a_kept_workbook_opens_through_the_gateway_without_credentials(
    wired: Slice,
) -> None:
    await world(wired)
    made = await wired.stock.post("/v1/reports/inventory-health/files", headers=auth("finance"))
    assert made.status_code == 201, made.text
    url = made.json()["file"]["url"]
    nobody = {"Authorization": ""}
    fetched = await wired.stock.get(url, headers=nobody)
    assert fetched.status_code == 200, fetched.text
    assert fetched.content.startswith(b"PK")  # a zip: the .xlsx
    # only that: its other paths, and other verbs, still need credentials
    health = await wired.stock.get("/v1/reports/inventory-health", headers=nobody)
    assert health.status_code == 401, health.text
    deleted = await wired.stock.delete(url, headers=nobody)
    assert deleted.status_code == 401, deleted.text
    unknown = await wired.stock.get("/v1/report-files/" + "y" * 43, headers=nobody)
    assert unknown.status_code == 404, unknown.text
