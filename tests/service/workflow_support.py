"""Catalog, stock, mrp and workflow behind a real gateway, in one process, for the approval
tests. People log in at the gateway (JWTs), so every call carries their own identity.

Nothing runs in the background: `Approvals.settle()` lets workflow read stock's feed and
runs its runner once (start, time limits, posting), so each test decides when time moves.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import Settings as CatalogSettings
from services.gateway.access_tokens import mint_access_token
from services.mrp.app import create_app as mrp_app
from services.mrp.settings import Settings as MrpSettings
from services.stock.app import create_app as stock_app
from services.stock.settings import Settings as StockSettings
from services.workflow.app import create_app as workflow_app
from services.workflow.runtime import runner_of
from services.workflow.settings import Settings as WorkflowSettings
from shared.auth.principal import Principal
from tests.conftest import TEST_SECRET
from tests.fakes.mobile import FakeDingTalkApprovalApp, FakeWeComApprovalApp
from tests.fakes.notify import FakeDingTalkRobot
from tests.service.test_gateway_support import (
    TEST_JWT_SECRET,
    GatewayStack,
    HostDispatch,
    gateway_stack,
    host_of,
    stub_service,
)
from tests.wiring import started

REAL = ("catalog", "stock", "mrp", "workflow")
URLS = {name: f"http://{host_of(name)}" for name in REAL}
#: Where the fake DingTalk robot answers (workflow's channels post there).
ROBOT_HOST = "dingtalk.test"
#: Where the fake DingTalk approval app answers, and its callback settings.
DINGTALK_HOST = "oapi.dingtalk.test"
DINGTALK_APP = {
    "base_url": f"http://{DINGTALK_HOST}",
    "app_key": "dingapp-test",
    "app_secret": "dingapp-secret",
    "agent_id": 2001,
    "process_code": "PROC-MATERIAL",
    "token": "callback-token",
    "aes_key": base64.b64encode(bytes(range(32))).decode().rstrip("="),
}
#: Where the fake WeCom approval API answers, and its app and callback settings.
WECOM_HOST = "qyapi.weixin.test"
WECOM_APP: dict[str, Any] = {
    "base_url": f"http://{WECOM_HOST}",
    "corp_id": "wwcorp-test",
    "corp_secret": "wecom-secret",
    "agent_id": 1000002,
    "template_id": "TPL-MATERIAL",
    "token": "wecom-callback-token",
    "aes_key": base64.b64encode(bytes(range(32, 64))).decode().rstrip("="),
}


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6].upper()}"


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class Approvals:
    gw: GatewayStack
    apps: dict[str, FastAPI]
    robot: FakeDingTalkRobot
    dingtalk: FakeDingTalkApprovalApp
    wecom: FakeWeComApprovalApp
    admin: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def client(self) -> httpx.AsyncClient:
        return self.gw.client

    async def settle(self, now: datetime | None = None) -> None:
        """Workflow reads stock's and mrp's feeds and runs its runner until nothing is left
        to do (with `now`, time limits due by then fire)."""
        workflow = self.apps["workflow"]
        for _ in range(10):
            applied = 0
            for consumer in workflow.state.consumers.values():
                applied += await consumer.catch_up()
            done = await runner_of(workflow).run_once(now)
            if not applied and not done:
                return
        raise AssertionError("workflow did not settle")

    async def user(self, username: str, *roles: str) -> dict[str, str]:
        """A person's bearer token, as the gateway's login issues it (minted here with the
        gateway's key: an argon2 login per person would cost the suite a second a test;
        logging in is the gateway tests' and the README's business)."""
        if username not in self.users:
            principal = Principal(
                f"user:{username}", frozenset(roles or ("planner",)), name=username
            )
            token = mint_access_token(TEST_JWT_SECRET, principal, 3600)
            self.users[username] = {"Authorization": f"Bearer {token}"}
        return self.users[username]

    async def as_admin(
        self, method: str, path: str, status: int = 200, headers: dict | None = None, **kw: Any
    ) -> Any:
        sent = {**self.admin, **(headers or {})}
        return await ok(await self.client.request(method, path, headers=sent, **kw), status)


@pytest.fixture(name="approvals")
async def approvals_fixture(database_factory) -> AsyncIterator[Approvals]:
    common: dict[str, Any] = {
        "internal_token_secret": TEST_SECRET,
        "service_urls": URLS,
        "http_attempts": 1,
        "run_background_tasks": False,
    }
    services = HostDispatch({})  # how the services reach each other
    apps: dict[str, FastAPI] = {
        "catalog": catalog_app(
            CatalogSettings(database_url=await database_factory("catalog"), **common),
            http_transport=services,
        ),
        "stock": stock_app(
            StockSettings(database_url=await database_factory("stock"), **common),
            http_transport=services,
        ),
        "mrp": mrp_app(
            MrpSettings(database_url=await database_factory("mrp"), **common),
            http_transport=services,
        ),
        "workflow": workflow_app(
            WorkflowSettings(
                database_url=await database_factory("workflow"),
                dingtalk_app=DINGTALK_APP,
                wecom_app=WECOM_APP,
                mobile_poll_seconds=300,
                **common,
            ),
            http_transport=services,
        ),
    }
    routes = {host_of(name): httpx.ASGITransport(app=app) for name, app in apps.items()}
    services.routes.update(routes)
    robot = FakeDingTalkRobot()
    services.routes[ROBOT_HOST] = httpx.ASGITransport(app=robot.app)
    dingtalk = FakeDingTalkApprovalApp(
        DINGTALK_APP["app_key"],
        DINGTALK_APP["app_secret"],
        DINGTALK_APP["aes_key"],
        DINGTALK_APP["token"],
        "http://gateway.test/v1/mobile/dingtalk/callback",
        None,
    )
    services.routes[DINGTALK_HOST] = httpx.ASGITransport(app=dingtalk.app)
    wecom = FakeWeComApprovalApp(
        WECOM_APP["corp_id"],
        WECOM_APP["corp_secret"],
        WECOM_APP["aes_key"],
        WECOM_APP["token"],
        "http://gateway.test/v1/mobile/wecom/callback",
        None,
        agent_id=WECOM_APP["agent_id"],
    )
    services.routes[WECOM_HOST] = httpx.ASGITransport(app=wecom.app)
    stubs = {name: stub_service(name) for name in ("trace",)}
    async with (
        started(apps),
        gateway_stack(database_factory, with_catalog=False, stubs=stubs, extra_routes=routes) as gw,
    ):
        dingtalk.deliver = httpx.ASGITransport(app=gw.app).handle_async_request
        wecom.deliver = dingtalk.deliver
        stack = Approvals(gw, apps, robot, dingtalk, wecom)
        stack.admin = await stack.user("admin", "admin")
        yield stack
    await services.aclose()
