"""Pulling another service's feed: durable cursor, idempotent apply, nudge or poll.

A page of events is applied in one unit of work together with their dedupe rows
(`processed_events`, keyed by source + seq) and the advanced cursor, so a crash never
loses an event and a replay never applies one twice. If anything in the page fails, the
page is rolled back and applied again one event per unit of work, which isolates the
event that fails (the loop stops there and retries it, never skipping it). One commit
per page instead of per event keeps a busy feed cheap to follow.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.auth.principal import INTEGRATION, Principal
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.tables import consumer_cursors, processed_events
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import NotFound
from shared.events.schemas import FeedEvent, FeedPage, Nudge, NudgeAccepted
from shared.http.context import require_roles
from shared.http.examples import example_response
from shared.http.problems import problem_responses
from shared.logging import get_logger

log = get_logger(__name__)

Handler = Callable[[UnitOfWork, FeedEvent], Awaitable[None]]
BatchHandler = Callable[[UnitOfWork, list[FeedEvent]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Subscription:
    """Apply `handler` to every event of `source`'s feed (it should ignore types it skips).

    A consumer that can apply many events with a few set-based statements also gives
    `batch_handler`: it gets the page's fresh events in feed order, in the page's unit of
    work, and must leave the database as `handler` applied to each in turn would. A page
    that fails is still retried one event at a time with `handler`. `page_size` is how
    many events a page pulls (the feed serves up to 1,000).
    """

    source: str
    handler: Handler
    batch_handler: BatchHandler | None = None
    page_size: int = 100


class FeedConsumer:
    def __init__(
        self,
        db: Database,
        client: ServiceClient,
        subscription: Subscription,
        *,
        poll_seconds: float = 2.0,
        batch_size: int = 100,
    ) -> None:
        self.db = db
        self.client = client
        self.subscription = subscription
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def source(self) -> str:
        return self.subscription.source

    async def cursor(self) -> int:
        async with self.db.read() as session:
            value = await session.scalar(
                select(consumer_cursors.c.last_seq).where(consumer_cursors.c.source == self.source)
            )
        return int(value or 0)

    def nudge(self) -> None:
        self._wake.set()

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Hold off pulling for the duration of the block (a page in hand is finished
        first): for work that must not interleave with applying the feed, such as
        resetting the cursor."""
        async with self._lock:
            yield

    async def catch_up(self) -> int:
        """Pull and apply until the feed is exhausted; returns how many events were applied."""
        applied = 0
        async with self._lock:
            while True:
                after = await self.cursor()
                response = await self.client.request(
                    self.source,
                    "GET",
                    "/v1/events",
                    params={"after": after, "limit": self.batch_size},
                )
                response.raise_for_status()
                page = FeedPage.model_validate(response.json())
                applied += await self._apply_page(page.events)
                if not page.has_more or self._stopping:
                    return applied

    async def _apply_page(self, events: list[FeedEvent]) -> int:
        """Apply a page in one unit of work; on any failure, one event at a time."""
        if len(events) > 1 and not self._stopping:
            try:
                return await self._apply_together(events)
            except Exception as exc:
                log.info(
                    "feed_page_applied_one_by_one",
                    source=self.source,
                    first_seq=events[0].seq,
                    error=repr(exc),
                )
        applied = 0
        for event in events:
            if self._stopping:
                return applied
            applied += await self._apply(event)
        return applied

    async def _apply_together(self, events: list[FeedEvent]) -> int:
        """Every event of a page not applied before, in one unit of work (audit rows carry
        each event's request id; events the handlers emit, the last one's)."""
        uow = self.db.uow(actor=f"feed:{self.source}", request_id=events[-1].request_id)
        async with uow:
            done = set(
                await uow.session.scalars(
                    # a range of the (source, seq) key: an IN of the page's 500 numbers
                    # was planned as a filter over every event ever processed
                    select(processed_events.c.seq).where(
                        processed_events.c.source == self.source,
                        processed_events.c.seq.between(
                            min(event.seq for event in events), max(event.seq for event in events)
                        ),
                    )
                )
            )
            fresh = [event for event in events if event.seq not in done]
            if self.subscription.batch_handler is not None and fresh:
                uow.request_id = fresh[-1].request_id
                await self.subscription.batch_handler(uow, fresh)
            else:
                for event in fresh:
                    uow.request_id = event.request_id
                    await self.subscription.handler(uow, event)
            uow.request_id = events[-1].request_id
            if fresh:
                now = utcnow()
                await uow.session.execute(
                    insert(processed_events),
                    [
                        {
                            "source": self.source,
                            "seq": event.seq,
                            "event_type": event.type,
                            "processed_at": now,
                        }
                        for event in fresh
                    ],
                )
            await self._advance(uow, events[-1].seq)
            await uow.commit()
            return len(fresh)

    async def _apply(self, event: FeedEvent) -> int:
        uow = self.db.uow(actor=f"feed:{self.source}", request_id=event.request_id)
        try:
            async with uow:
                done = await uow.session.scalar(
                    select(processed_events.c.seq).where(
                        processed_events.c.source == self.source,
                        processed_events.c.seq == event.seq,
                    )
                )
                if done is not None:  # applied before (the cursor was lost): just move on
                    await self._advance(uow, event.seq)
                    await uow.commit()
                    return 0
                await self.subscription.handler(uow, event)
                await uow.session.execute(
                    insert(processed_events).values(
                        source=self.source,
                        seq=event.seq,
                        event_type=event.type,
                        processed_at=utcnow(),
                    )
                )
                await self._advance(uow, event.seq)
                await uow.commit()
                return 1
        except IntegrityError:
            if not await self._is_processed(event.seq):
                raise  # the handler broke a constraint: a failure, never a silent skip
            log.info("event_already_applied", source=self.source, seq=event.seq)
            return 0

    async def _is_processed(self, seq: int) -> bool:
        async with self.db.read() as session:
            done = await session.scalar(
                select(processed_events.c.seq).where(
                    processed_events.c.source == self.source, processed_events.c.seq == seq
                )
            )
        return done is not None

    async def _advance(self, uow: UnitOfWork, seq: int) -> None:
        result = await uow.session.execute(
            update(consumer_cursors)
            .where(consumer_cursors.c.source == self.source, consumer_cursors.c.last_seq < seq)
            .values(last_seq=seq, updated_at=utcnow())
        )
        if getattr(result, "rowcount", 0) == 0:
            exists = await uow.session.scalar(
                select(consumer_cursors.c.source).where(consumer_cursors.c.source == self.source)
            )
            if exists is None:
                await uow.session.execute(
                    insert(consumer_cursors).values(
                        source=self.source, last_seq=seq, updated_at=utcnow()
                    )
                )

    async def run(self) -> None:
        """Catch up, then wait for a nudge or the poll interval, until stopped."""
        while not self._stopping:
            self._wake.clear()
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("feed_pull_failed", source=self.source, error=repr(exc))
            # not asyncio.wait_for: on Python 3.11 it swallows a cancel that races the
            # wake-up, and stop() then waits forever
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"feed-consumer-{self.source}")

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Let the loop finish the event in hand and exit; cancel it only after the grace."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=grace_seconds)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None


async def nudge_consumer(
    request: Request,
    nudge: Nudge,
    _: Annotated[Principal, Depends(require_roles(INTEGRATION))],
) -> NudgeAccepted:
    """Tell this service that `source` has new events; it pulls them at once."""
    consumers: dict[str, FeedConsumer] = request.app.state.consumers
    consumer = consumers.get(nudge.source)
    if consumer is None:
        raise NotFound(f"this service does not consume the feed of {nudge.source!r}")
    consumer.nudge()
    return NudgeAccepted(source=nudge.source, accepted=True)


def nudge_router(sources: Sequence[str]) -> APIRouter:
    """`POST /v1/event-nudges` for a service that follows the feeds of `sources`.

    The route is the same for every service; only its documented example differs: a
    nudge from the first of `sources`, which the service accepts."""
    source = sources[0]
    router = APIRouter(tags=["events"])
    router.add_api_route(
        "/v1/event-nudges",
        nudge_consumer,
        methods=["POST"],
        response_model=NudgeAccepted,
        status_code=202,
        operation_id="nudge_consumer",
        responses={
            **example_response({"source": source, "accepted": True}, 202),
            **problem_responses(401, 403, 404, 422),
        },
        openapi_extra={
            "requestBody": {"content": {"application/json": {"example": {"source": source}}}}
        },
    )
    return router
