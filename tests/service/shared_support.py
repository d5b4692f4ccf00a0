"""Helpers for the tests of `shared/`: a tiny "widgets" service built on create_service_app.

The widget table is created next to the shared tables of a fresh migrated catalog
database, so every test runs the real shared machinery on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.catalog.settings import Settings
from shared.auth.principal import ADMIN, FINANCE, PLANNER
from shared.db.engine import create_engine
from shared.db.types import BigId, ExactDecimal, UTCDateTime, utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound
from shared.events.consumer import Subscription
from shared.http.app import create_service_app
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.policy import restricted
from tests.conftest import TEST_SECRET, running
from tests.wiring import HostRoutingTransport

test_metadata = MetaData()

widgets = Table(
    "test_widgets",
    test_metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("qty", ExactDecimal(), nullable=False),
    Column("cost", ExactDecimal(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)


async def create_test_tables(url: str, *tables: Table) -> None:
    """Create `tables` (default: all test tables) in the database at `url`."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(test_metadata.create_all, tables=list(tables) or None)
    finally:
        await engine.dispose()


@asynccontextmanager
async def engine_for(url: str, metadata: MetaData | None = None) -> AsyncIterator[AsyncEngine]:
    """An engine on `url`, with the tables of `metadata` created first when given."""
    engine = create_engine(url)
    try:
        if metadata is not None:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
        yield engine
    finally:
        await engine.dispose()


class Note(BaseModel):
    text: str
    secret: str | None = restricted(read=[FINANCE], write=[FINANCE], default=None)


class WidgetIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    qty: Decimal = Field(decimal_places=6)
    cost: Decimal | None = restricted(read=[FINANCE], write=[FINANCE], default=None)
    notes: list[Note] = Field(default_factory=list)
    events: int = Field(1, ge=0, le=5, description="how many events the use-case emits")


class WidgetOut(BaseModel):
    id: int
    name: str
    qty: Decimal
    cost: Decimal | None = restricted(read=[FINANCE], write=[FINANCE], default=None)
    notes: list[Note] = Field(default_factory=list)


@dataclass
class Controls:
    """Knobs the tests turn on the app: failures, a gate to hold a command open, counters."""

    executions: int = 0
    fail_next: int = 0
    skip_commit: bool = False
    hold: bool = False
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


async def create_widget(uow: UnitOfWork, body: WidgetIn, controls: Controls) -> WidgetOut:
    """Insert a widget, audit it, emit `body.events` events; obey the test controls."""
    async with uow:
        controls.executions += 1
        result = await uow.session.execute(
            insert(widgets)
            .values(name=body.name, qty=body.qty, cost=body.cost, created_at=utcnow())
            .returning(widgets.c.id)
        )
        widget_id = int(result.scalar_one())
        out = WidgetOut(
            id=widget_id, name=body.name, qty=body.qty, cost=body.cost, notes=body.notes
        )
        await uow.audit("create", "widget", str(widget_id), after=out.model_dump(mode="json"))
        for index in range(body.events):
            uow.emit("WidgetCreated", "widget", str(widget_id), {"name": body.name, "n": index})
        if controls.hold:
            controls.started.set()
            await controls.release.wait()
        if controls.fail_next > 0:
            controls.fail_next -= 1
            raise Conflict("the test asked this command to fail")
        if not controls.skip_commit:
            await uow.commit()
        return out


Editor = Annotated[RequestContext, Depends(request_context((ADMIN, PLANNER, FINANCE)))]


def _headers(out: WidgetOut) -> dict[str, str]:
    return {"ETag": f'W/"{out.id}"', "Location": f"/v1/widgets/{out.id}"}


def widget_router() -> APIRouter:
    router = APIRouter(prefix="/v1/widgets")

    @router.post("", status_code=201, response_model=WidgetOut)
    async def post_widget(ctx: Editor, body: WidgetIn, request: Request) -> Response:
        controls: Controls = request.app.state.controls
        return await run_command(
            ctx,
            lambda uow: create_widget(uow, body, controls),
            body=body,
            status_code=201,
            headers=_headers,
        )

    @router.post("/copies", status_code=201, response_model=WidgetOut)
    async def post_copy(ctx: Editor, body: WidgetIn, request: Request) -> Response:
        controls: Controls = request.app.state.controls
        return await run_command(
            ctx,
            lambda uow: create_widget(uow, body, controls),
            body=body,
            status_code=201,
            headers=_headers,
        )

    @router.get("/{widget_id}", response_model=WidgetOut)
    async def get_widget(ctx: Reader, widget_id: Annotated[int, Path(ge=1)]) -> Response:
        async with ctx.db.read() as session:
            row = (await session.execute(select(widgets).where(widgets.c.id == widget_id))).first()
        if row is None:
            raise NotFound(f"widget {widget_id} does not exist")
        return render(
            ctx,
            WidgetOut(
                id=row.id,
                name=row.name,
                qty=row.qty,
                cost=row.cost,
                notes=[Note(text="n", secret="s")],
            ),
        )

    return router


def settings_for(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "internal_token_secret": TEST_SECRET,
        "run_background_tasks": False,
    }
    values.update(overrides)
    return Settings(**values)


def widget_app(
    url: str,
    *,
    subscriptions: list[Subscription] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **overrides: Any,
) -> FastAPI:
    app = create_service_app(
        settings_for(url, **overrides),
        title="Widgets",
        description="shared/ test service",
        routers=[widget_router()],
        subscriptions=subscriptions or [],
        http_transport=transport,
    )
    app.state.controls = Controls()
    return app


@asynccontextmanager
async def widget_service(
    url: str, **kwargs: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A running widget app on `url` (tables created) and an admin client for it."""
    await create_test_tables(url, widgets)
    app = widget_app(url, **kwargs)
    async with running(app) as client:
        yield app, client


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


def widget_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "reel", "qty": "1.5"}
    body.update(overrides)
    return body


#: Kept under the name these tests use.
AppsTransport = HostRoutingTransport
