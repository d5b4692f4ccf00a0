"""`GET /v1/events`: the outbox read as a feed, and the nudge sent after commit."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from shared.auth.principal import INTEGRATION, Principal
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.tables import events
from shared.events.schemas import FeedEvent, FeedPage
from shared.http.context import require_roles
from shared.http.problems import problem_responses
from shared.logging import get_logger

log = get_logger(__name__)
router = APIRouter(tags=["events"])


@router.get(
    "/v1/events",
    response_model=FeedPage,
    operation_id="list_events",
    responses=problem_responses(401, 403, 422),
)
async def list_events(
    request: Request,
    _: Annotated[Principal, Depends(require_roles(INTEGRATION))],
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="Return events with seq greater than this")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FeedPage:
    """Read this service's events in sequence order, after `after`."""
    db: Database = request.app.state.db
    async with db.read() as session:
        rows = (
            await session.execute(
                select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit + 1)
            )
        ).all()
    page = [FeedEvent.model_validate(row._mapping) for row in rows[:limit]]
    return FeedPage(
        events=page,
        next_after=page[-1].seq if page else after,
        has_more=len(rows) > limit,
    )


class Nudger:
    """After a commit with events, tell subscribed services to pull now (best effort).

    Nudges to one subscriber coalesce: while one is on its way, commits only mark that
    another is due, and one more follows when it returns. A subscriber pulls everything
    new on each nudge, so under load it gets a few nudges instead of one per commit, and
    never waits for one longer than a round trip.
    """

    def __init__(self, client: ServiceClient, source: str, subscribers: list[str]) -> None:
        self.client = client
        self.source = source
        self.subscribers = subscribers
        self._tasks: set[asyncio.Task[None]] = set()
        self._due: dict[str, bool] = {}

    async def events_committed(self, _seqs: list[int]) -> None:
        for target in self.subscribers:
            if target in self._due:  # a nudge is on its way: one more after it
                self._due[target] = True
                continue
            self._due[target] = False
            task = asyncio.create_task(self._nudge_until_quiet(target))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _nudge_until_quiet(self, target: str) -> None:
        try:
            while True:
                self._due[target] = False
                await self._nudge(target)
                if not self._due[target]:
                    return
        finally:
            del self._due[target]

    async def _nudge(self, target: str) -> None:
        try:
            await self.client.request(
                target, "POST", "/v1/event-nudges", json={"source": self.source}
            )
        except Exception as exc:  # the poll will pick the events up
            log.warning("nudge_failed", target=target, error=repr(exc))

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
