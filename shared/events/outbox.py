"""Writing events in the business transaction, with a gap-free per-service sequence."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.tables import event_counter, events
from shared.db.types import utcnow

COUNTER = "events"


@dataclass(frozen=True, slots=True)
class PendingEvent:
    type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))


async def append_events(
    session: AsyncSession,
    pending: Sequence[PendingEvent],
    *,
    actor: str,
    request_id: str | None,
    now: datetime | None = None,
) -> list[int]:
    """Give `pending` the next sequence numbers and insert them; returns the numbers.

    The counter row is locked (FOR UPDATE; on SQLite the transaction already holds
    the write lock), so sequence order is commit order and the feed has no gaps: a
    reader that has seen N never later finds a smaller number appear.
    """
    if not pending:
        return []
    row = await session.execute(
        select(event_counter.c.last_seq).where(event_counter.c.name == COUNTER).with_for_update()
    )
    last = row.scalar_one()
    occurred = now or utcnow()
    seqs = list(range(last + 1, last + 1 + len(pending)))
    await session.execute(
        insert(events),
        [
            {
                "seq": seq,
                "event_id": ev.event_id,
                "type": ev.type,
                "aggregate_type": ev.aggregate_type,
                "aggregate_id": ev.aggregate_id,
                "occurred_at": occurred,
                "actor": actor,
                "request_id": request_id,
                "payload": to_jsonable_python(ev.payload),
            }
            for seq, ev in zip(seqs, pending, strict=True)
        ],
    )
    await session.execute(
        update(event_counter).where(event_counter.c.name == COUNTER).values(last_seq=seqs[-1])
    )
    return seqs
