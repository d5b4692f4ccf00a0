"""Rebuilding the genealogy from the feeds.

Everything trace knows is derived from stock's and mrp's feeds, except the records MES
pushed to it (`POST /v1/operations`), which are trace's own. A rebuild keeps those,
empties everything else, resets the feed cursors (with the consumers paused, so no page
in flight lands in between) and replays both feeds from the start; then the kept MES
records are derived again (their units, component assignments and test QC records).
Replaying into an empty database gives the same graph: every handler only adds or
updates rows keyed by what the events name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select, update

from services.trace.db import models
from services.trace.schemas import OperationIn
from services.trace.usecases.operations import SOURCE as MES
from services.trace.usecases.operations import derive
from shared.db.database import Database
from shared.db.tables import consumer_cursors, processed_events
from shared.db.types import utcnow
from shared.events.consumer import FeedConsumer

DERIVED = (
    models.TraceAssignment,
    models.TraceQcRecord,
    models.TraceHistory,
    models.TraceNodeStock,
    models.TraceLink,
    models.TraceDocument,
    models.TraceWorkOrder,
    models.TraceNode,
)


class RebuildOut(BaseModel):
    events_applied: dict[str, int] = Field(description="Per feed, events replayed")
    mes_records: int = Field(description="MES records kept and derived again")
    nodes: int
    links: int


async def rebuild(db: Database, consumers: Mapping[str, FeedConsumer], actor: str) -> RebuildOut:
    async with contextlib.AsyncExitStack() as stack:
        for consumer in consumers.values():
            await stack.enter_async_context(consumer.paused())
        async with db.uow(actor=actor) as uow:
            for model in DERIVED:
                await uow.session.execute(delete(model))
            await uow.session.execute(
                delete(models.TraceOperation).where(models.TraceOperation.source != MES)
            )
            await uow.session.execute(update(models.TraceOperation).values(node_id=None))
            await uow.session.execute(delete(processed_events))
            await uow.session.execute(delete(consumer_cursors))
            await uow.audit("rebuild", "genealogy", "1", after={"reset": True})
            await uow.commit()
    applied = {source: await consumer.catch_up() for source, consumer in consumers.items()}
    async with db.uow(actor=actor) as uow:
        kept = list(
            await uow.session.scalars(
                select(models.TraceOperation)
                .where(models.TraceOperation.source == MES)
                .order_by(models.TraceOperation.id)
            )
        )
        now = utcnow()
        for row in kept:
            await derive(uow.session, row, OperationIn.model_validate(row.details["request"]), now)
        await uow.commit()
    async with db.read() as session:
        nodes = await session.scalar(select(func.count()).select_from(models.TraceNode))
        links = await session.scalar(select(func.count()).select_from(models.TraceLink))
    return RebuildOut(
        events_applied=applied, mes_records=len(kept), nodes=nodes or 0, links=links or 0
    )
