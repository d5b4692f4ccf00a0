"""The feed consumer on both databases: a producer app and a consumer app wired in-process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, func, insert, select

from shared.db.tables import consumer_cursors, processed_events
from shared.db.uow import UnitOfWork
from shared.events.consumer import FeedConsumer, Subscription
from shared.events.schemas import FeedEvent
from tests.conftest import auth, running
from tests.service.shared_support import (
    AppsTransport,
    create_test_tables,
    engine_for,
    widget_app,
    widget_body,
)

metadata = MetaData()
applied = Table(  # no unique key on purpose: a double apply must show up as two rows
    "test_applied", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("type", String(100), nullable=False),
)
projection = Table(
    "test_projection", metadata, Column("key", String(50), primary_key=True),
)


@dataclass
class Recorder:
    fail_on: set[int] = field(default_factory=set)
    integrity_fail_on: set[int] = field(default_factory=set)
    #: Events the handler fails on every time (until the test clears the set).
    always_fail_on: set[int] = field(default_factory=set)

    async def handle(self, uow: UnitOfWork, event: FeedEvent) -> None:
        await uow.session.execute(insert(applied).values(seq=event.seq, type=event.type))
        if event.seq in self.integrity_fail_on:  # a real constraint violation inside the handler
            self.integrity_fail_on.discard(event.seq)
            await uow.session.execute(insert(projection).values(key="dup"))
            await uow.session.execute(insert(projection).values(key="dup"))
        if event.seq in self.fail_on:
            self.fail_on.discard(event.seq)
            raise RuntimeError(f"handler failed on {event.seq}")
        if event.seq in self.always_fail_on:
            raise RuntimeError(f"handler fails on {event.seq}")


@dataclass
class Wiring:
    transport: AppsTransport
    producer: httpx.AsyncClient
    consumer_url: str
    recorder: Recorder
    stack: AsyncExitStack
    consumer_app: FastAPI | None = None
    producer_app: FastAPI | None = None

    async def start_consumer(
        self, subscription: Subscription | None = None, **overrides
    ) -> FeedConsumer:
        """A (new) consumer app instance on the same consumer database."""
        subscription = subscription or Subscription("producer", self.recorder.handle)
        app = widget_app(self.consumer_url, service_name="consumer", transport=self.transport,
                         subscriptions=[subscription],
                         service_urls={"producer": "http://producer"}, **overrides)
        self.transport.apps["consumer"] = app
        self.consumer_app = app
        await self.stack.enter_async_context(running(app))
        return app.state.consumers["producer"]

    async def produce(self, n: int) -> None:
        for index in range(n):
            response = await self.producer.post("/v1/widgets", json=widget_body(name=f"w{index}"))
            assert response.status_code == 201, response.text

    async def applied_seqs(self) -> list[int]:
        async with engine_for(self.consumer_url) as engine, engine.connect() as conn:
            result = await conn.execute(select(applied.c.seq).order_by(applied.c.id))
            return list(result.scalars())


@pytest.fixture
async def wiring(database_factory) -> AsyncIterator[Wiring]:
    producer_url = await database_factory("catalog")
    consumer_url = await database_factory("catalog")
    await create_test_tables(producer_url)
    await create_test_tables(consumer_url)
    async with engine_for(consumer_url) as engine, engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    transport = AppsTransport()
    producer_app = widget_app(producer_url, service_name="producer", transport=transport,
                              event_subscribers=["consumer"],
                              service_urls={"consumer": "http://consumer"})
    transport.apps["producer"] = producer_app
    async with AsyncExitStack() as stack:
        producer = await stack.enter_async_context(running(producer_app))
        yield Wiring(transport, producer, consumer_url, Recorder(), stack,
                     producer_app=producer_app)


async def test_catch_up_applies_each_event_once_and_keeps_a_durable_cursor(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer()
    await wiring.produce(5)
    consumer.batch_size = 2
    assert await consumer.catch_up() == 5
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5]
    assert await consumer.cursor() == 5
    assert await consumer.catch_up() == 0
    # a new instance of the consumer service resumes from the stored cursor
    again = await wiring.start_consumer()
    assert again is not consumer and await again.cursor() == 5
    assert await again.catch_up() == 0
    await wiring.produce(2)
    assert await again.catch_up() == 2
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5, 6, 7]


async def test_replay_after_a_lost_cursor_applies_nothing_twice(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer()
    await wiring.produce(5)
    assert await consumer.catch_up() == 5
    async with engine_for(wiring.consumer_url) as engine, engine.begin() as conn:
        await conn.execute(delete(consumer_cursors))
    consumer.batch_size = 2
    assert await asyncio.wait_for(consumer.catch_up(), 10) == 0
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5]
    assert await consumer.cursor() == 5
    await wiring.produce(1)
    assert await consumer.catch_up() == 1


async def test_handler_failure_keeps_the_cursor_and_is_retried(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer()
    await wiring.produce(5)
    consumer.batch_size = 1  # one event per page: the path a failing page falls back to
    wiring.recorder.fail_on = {3}
    with pytest.raises(RuntimeError):
        await consumer.catch_up()
    assert await wiring.applied_seqs() == [1, 2]
    assert await consumer.cursor() == 2
    async with engine_for(wiring.consumer_url) as engine, engine.connect() as conn:
        done = (await conn.execute(select(func.count()).select_from(processed_events))).scalar()
    assert done == 2
    assert await consumer.catch_up() == 3
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5]


async def test_integrity_error_in_a_handler_is_a_failure_not_a_skip(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer()
    await wiring.produce(3)
    consumer.batch_size = 1
    wiring.recorder.integrity_fail_on = {2}
    with pytest.raises(Exception):  # noqa: B017 - any error, as long as event 2 is not skipped
        await consumer.catch_up()
    assert await consumer.cursor() == 1
    assert await consumer.catch_up() == 2
    assert await wiring.applied_seqs() == [1, 2, 3]


async def test_nudge_endpoint(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=wiring.consumer_app),
                               base_url="http://consumer")
    async with client:
        integration = auth("integration", subject="service:producer")
        ok = await client.post("/v1/event-nudges", json={"source": "producer"}, headers=integration)
        assert ok.status_code == 202 and ok.json() == {"source": "producer", "accepted": True}
        assert consumer._wake.is_set()
        unknown = await client.post("/v1/event-nudges", json={"source": "stock"},
                                    headers=integration)
        assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
        bad = await client.post("/v1/event-nudges", json={"source": "Bad Name"},
                                headers=integration)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.source"
        planner = await client.post("/v1/event-nudges", json={"source": "producer"},
                                    headers=auth("planner"))
        assert planner.status_code == 403
        anonymous = await client.post("/v1/event-nudges", json={"source": "producer"})
        assert anonymous.status_code == 401


async def _until(predicate, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_commit_nudges_subscribers_and_the_consumer_pulls_at_once(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer(event_poll_seconds=60)
    consumer.start()  # the background loop: catches up once, then waits for a nudge
    try:
        await _until(lambda: _waiting(consumer, wiring.transport))
        wiring.transport.requests.clear()
        wiring.producer_app.state.controls.fail_next = 1
        failed = await wiring.producer.post("/v1/widgets", json=widget_body())
        assert failed.status_code == 409
        await asyncio.sleep(0.05)
        assert wiring.transport.requests == []  # a rollback nudges nobody
        await wiring.produce(2)
        await _until(lambda: _applied(wiring, 2))
        nudges = [r for r in wiring.transport.requests if r.url.path == "/v1/event-nudges"]
        assert len(nudges) == 2 and {r.url.host for r in nudges} == {"consumer"}
        assert nudges[0].headers["authorization"].startswith("Bearer ")
    finally:
        await consumer.stop()
    assert await wiring.applied_seqs() == [1, 2]


async def test_stop_is_prompt_even_when_a_nudge_races_the_cancel(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer(event_poll_seconds=60)
    consumer.start()
    await _until(lambda: _waiting(consumer, wiring.transport))
    task = consumer._task
    started = time.monotonic()
    consumer.nudge()  # the wake-up and the stop land in the same loop iteration
    await asyncio.wait_for(consumer.stop(), 5)
    assert task is not None and task.done() and consumer._task is None
    assert time.monotonic() - started < 2
    # a hard cancel racing a wake-up must not be swallowed either (asyncio.wait_for on 3.11)
    consumer.start()
    await _until(lambda: _waiting(consumer, wiring.transport))
    task = consumer._task
    consumer.nudge()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    consumer._task = None


async def _waiting(consumer: FeedConsumer, transport: AppsTransport) -> bool:
    """The loop has made its first pull and now sleeps until a nudge."""
    return bool(transport.requests) and not consumer._lock.locked()


async def _applied(wiring: Wiring, n: int) -> bool:
    return len(await wiring.applied_seqs()) >= n


async def test_unreachable_producer_fails_the_pull_and_keeps_the_cursor(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer()
    await wiring.produce(1)
    del wiring.transport.apps["producer"]
    with pytest.raises(Exception, match="cannot be reached"):
        await consumer.catch_up()
    assert await consumer.cursor() == 0


async def test_an_unreachable_subscriber_never_fails_the_commit(wiring: Wiring) -> None:
    await wiring.start_consumer()
    nudger = wiring.producer_app.state.db.on_events_committed.__self__
    nudger.subscribers = ["ghost", "consumer"]  # ghost has no direct address: via the gateway
    await wiring.produce(1)  # asserts 201
    await nudger.drain()
    nudges = [r for r in wiring.transport.requests if r.url.path.endswith("/v1/event-nudges")]
    assert [str(r.url) for r in nudges] == [
        "http://127.0.0.1:8000/services/ghost/v1/event-nudges",
        "http://consumer/v1/event-nudges",
    ]


async def test_a_page_is_applied_in_one_transaction(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer()
    await wiring.produce(6)
    consumer.batch_size = 3
    assert await consumer.catch_up() == 6
    async with engine_for(wiring.consumer_url) as engine, engine.connect() as conn:
        stamps = (
            await conn.execute(
                select(processed_events.c.seq, processed_events.c.processed_at).order_by(
                    processed_events.c.seq
                )
            )
        ).all()
    # one unit of work per page of three: the events of a page share their stamp
    pages = [{stamp for _, stamp in stamps[:3]}, {stamp for _, stamp in stamps[3:]}]
    assert [len(page) for page in pages] == [1, 1] and pages[0] != pages[1]
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5, 6]


async def test_a_failing_page_is_applied_again_one_event_at_a_time(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer()
    await wiring.produce(5)
    wiring.recorder.fail_on = {4}  # fails once: the page rolls back, then every event applies
    assert await consumer.catch_up() == 5
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5]
    await wiring.produce(4)
    wiring.recorder.always_fail_on = {8}  # fails for good: stop before it, skip nothing
    with pytest.raises(RuntimeError):
        await consumer.catch_up()
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5, 6, 7]
    assert await consumer.cursor() == 7
    wiring.recorder.always_fail_on = set()
    assert await consumer.catch_up() == 2
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5, 6, 7, 8, 9]


async def test_a_batch_handler_gets_each_page_once_and_a_failing_page_falls_back(
    wiring: Wiring,
) -> None:
    batches: list[list[int]] = []
    fail_batch = {"once": True}

    async def batch(uow: UnitOfWork, events: list[FeedEvent]) -> None:
        batches.append([event.seq for event in events])
        for event in events:
            await wiring.recorder.handle(uow, event)
        if fail_batch["once"] and 6 in [event.seq for event in events]:
            fail_batch["once"] = False
            raise RuntimeError("the batch failed")

    consumer = await wiring.start_consumer(
        Subscription("producer", wiring.recorder.handle, batch_handler=batch, page_size=4)
    )
    assert consumer.batch_size == 4
    await wiring.produce(9)
    assert await consumer.catch_up() == 9
    # pages of four; the second failed once as a batch and was applied one event at a time;
    # a page of one event goes to the per-event handler
    assert batches == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    # a lost cursor: replayed pages hand the batch handler only what is new (page 9-10)
    async with engine_for(wiring.consumer_url) as engine, engine.begin() as conn:
        await conn.execute(delete(consumer_cursors))
    await wiring.produce(1)
    batches.clear()
    assert await consumer.catch_up() == 1
    assert batches == [[10]]
    assert await wiring.applied_seqs() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


async def test_paused_holds_the_consumer_off(wiring: Wiring) -> None:
    consumer = await wiring.start_consumer()
    await wiring.produce(2)
    async with consumer.paused():
        pulling = asyncio.create_task(consumer.catch_up())
        await asyncio.sleep(0.2)
        assert not pulling.done() and await wiring.applied_seqs() == []
    assert await pulling == 2
    assert await wiring.applied_seqs() == [1, 2]
