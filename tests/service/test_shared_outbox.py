"""The outbox and GET /v1/events on both databases: gap-free ordered seqs, paging, roles."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from shared.auth.principal import Principal
from shared.auth.tokens import mint_internal_token
from shared.db.database import Database
from shared.db.tables import event_counter, events
from shared.db.types import utcnow
from shared.errors import Conflict
from shared.events.outbox import PendingEvent, append_events
from tests.conftest import TEST_SECRET, auth
from tests.service.shared_support import create_test_tables, widget_body, widget_service, widgets


@pytest.fixture
async def service(database_factory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    url = await database_factory("catalog")
    async with widget_service(url) as (app, client):
        yield app, client


async def _seqs(db: Database) -> list[int]:
    async with db.read() as session:
        return list((await session.scalars(select(events.c.seq).order_by(events.c.seq))).all())


async def _counter(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(event_counter.c.last_seq)) or 0)


async def test_concurrent_use_cases_get_gap_free_seqs(service) -> None:
    app, client = service
    db: Database = app.state.db
    app.state.controls.fail_next = 5  # five of the use-cases roll back after writing events
    bodies = [widget_body(name=f"w{i}", events=1 + i % 3) for i in range(25)]
    responses = await asyncio.gather(*(client.post("/v1/widgets", json=b) for b in bodies))
    statuses = [r.status_code for r in responses]
    assert sorted(set(statuses)) == [201, 409] and statuses.count(409) == 5
    expected = sum(b["events"] for b, r in zip(bodies, responses, strict=True)
                   if r.status_code == 201)
    assert await _seqs(db) == list(range(1, expected + 1))
    assert await _counter(db) == expected
    # each use-case's events are contiguous
    feed = (await client.get("/v1/events", params={"limit": 1000})).json()["events"]
    by_widget: dict[str, list[int]] = {}
    for event in feed:
        by_widget.setdefault(event["aggregate_id"], []).append(event["seq"])
    for seqs in by_widget.values():
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


async def test_rolled_back_transactions_consume_no_seq(database_factory) -> None:
    url = await database_factory("catalog")
    await create_test_tables(url, widgets)
    db = Database(url, "catalog")
    try:
        for attempt in range(3):
            uow = db.uow(actor="user:a")
            with pytest.raises(Conflict):
                async with uow:
                    # seqs handed out, then the transaction dies before its commit
                    taken = await append_events(uow.session, [PendingEvent("Doomed", "w", "1", {})],
                                                actor="user:a", request_id=None)
                    assert taken == [attempt + 1]
                    raise Conflict("no")
            async with db.uow(actor="user:a") as uow:
                uow.emit("Kept", "widget", str(attempt), {"attempt": attempt})
                await uow.commit()
        assert await _seqs(db) == [1, 2, 3]
        assert await _counter(db) == 3
    finally:
        await db.dispose()


async def test_parallel_units_of_work_commit_in_seq_order(database_factory) -> None:
    """Units of work racing on the counter never leave a hole a reader could see later."""
    url = await database_factory("catalog")
    db = Database(url, "catalog")
    seen_after_commit: list[tuple[int, list[int]]] = []

    async def one(n: int) -> None:
        uow = db.uow(actor=f"user:{n}")
        async with uow:
            uow.emit("Ping", "ping", str(n), {"n": n})
            await uow.commit()
        seen_after_commit.append((n, await _seqs(db)))

    try:
        await asyncio.gather(*(one(n) for n in range(20)))
        assert await _seqs(db) == list(range(1, 21))
        for _n, seqs in seen_after_commit:  # every snapshot is a prefix 1..k: no gaps
            assert seqs == list(range(1, len(seqs) + 1))
    finally:
        await db.dispose()


async def test_feed_pages_with_after_and_limit(service) -> None:
    _app, client = service
    for index in range(3):
        await client.post("/v1/widgets", json=widget_body(name=f"w{index}", events=2),
                          headers={"X-Request-ID": f"req-{index}"})
    integration = auth("integration", subject="service:stock")
    first = (await client.get("/v1/events", params={"limit": 4}, headers=integration)).json()
    assert [e["seq"] for e in first["events"]] == [1, 2, 3, 4]
    assert first["has_more"] is True and first["next_after"] == 4
    rest = (await client.get("/v1/events", params={"after": 4, "limit": 4},
                             headers=integration)).json()
    assert [e["seq"] for e in rest["events"]] == [5, 6]
    assert rest["has_more"] is False and rest["next_after"] == 6
    exact = (await client.get("/v1/events", params={"after": 2, "limit": 4})).json()
    assert exact["has_more"] is False and len(exact["events"]) == 4
    empty = (await client.get("/v1/events", params={"after": 6})).json()
    assert empty == {"events": [], "next_after": 6, "has_more": False}
    event = first["events"][2]
    assert event["type"] == "WidgetCreated" and event["aggregate_type"] == "widget"
    assert event["request_id"] == "req-1" and event["actor"] == "user:tester"
    assert event["payload"] == {"name": "w1", "n": 0}
    assert event["occurred_at"].endswith(("Z", "+00:00"))
    assert len({e["event_id"] for e in first["events"] + rest["events"]}) == 6


async def test_feed_parameters_and_roles(service) -> None:
    _app, client = service
    for params in ({"after": -1}, {"limit": 0}, {"limit": 1001}, {"after": "x"},
                   {"after": 2**63}):
        response = await client.get("/v1/events", params=params)
        assert response.status_code == 422 and response.json()["code"] == "validation_error"
    last = await client.get("/v1/events", params={"after": 2**63 - 1})
    assert last.status_code == 200 and last.json()["events"] == []
    missing = await client.get("/v1/events", headers={"Authorization": ""})
    assert missing.status_code == 401 and missing.json()["code"] == "unauthenticated"
    garbage = await client.get("/v1/events", headers={"Authorization": "Bearer nope"})
    assert garbage.status_code == 401
    basic = await client.get("/v1/events", headers={"Authorization": "Basic dTpw"})
    assert basic.status_code == 401
    admin = Principal("user:root", frozenset({"admin"}))
    for token in (mint_internal_token(TEST_SECRET, admin, -5),
                  mint_internal_token("another-secret-" + "x" * 32, admin, 60)):
        response = await client.get("/v1/events", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    for role in ("planner", "finance", "qc"):
        response = await client.get("/v1/events", headers=auth(role))
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    for roles in (("integration",), ("admin",), ("service",)):
        assert (await client.get("/v1/events", headers=auth(*roles))).status_code == 200


async def test_event_timestamps_are_utc(service) -> None:
    app, client = service
    before = utcnow()
    await client.post("/v1/widgets", json=widget_body())
    async with app.state.db.read() as session:
        occurred = await session.scalar(select(events.c.occurred_at))
    assert occurred.tzinfo is not None and occurred.utcoffset().total_seconds() == 0
    assert before <= occurred <= utcnow()
