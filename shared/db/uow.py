"""The unit of work: one transaction per use-case that rolls back unless committed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.tables import audit_log
from shared.db.types import utcnow
from shared.events.outbox import PendingEvent, append_events

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
AfterCommit = Callable[[], Awaitable[None]]


_UNIT_OF_WORK = "unit_of_work"


def unit_of_work(session: AsyncSession) -> UnitOfWork:
    """The unit of work a session belongs to (for code handed only the session that must
    emit an event in its transaction)."""
    uow = session.info.get(_UNIT_OF_WORK)
    if not isinstance(uow, UnitOfWork):
        raise RuntimeError("this session is not a unit of work's: it cannot emit events")
    return uow


class UnitOfWork:
    """`async with uow:` opens a transaction; only `await uow.commit()` keeps its changes.

    Audit rows and outbox events are written in the same transaction as the change.
    With `hold_commit=True` (used by the idempotency wrapper) `commit()` only records
    the intent; the holder writes the stored response and then calls `finish()`, so
    the response is committed atomically with the change.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        actor: str,
        request_id: str | None = None,
        hold_commit: bool = False,
        on_events_committed: Callable[[list[int]], Awaitable[None]] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.actor = actor
        self.request_id = request_id
        self._hold_commit = hold_commit
        self._on_events_committed = on_events_committed
        self._session: AsyncSession | None = None
        self._pending_events: list[PendingEvent] = []
        self._after_commit: list[AfterCommit] = []
        self.commit_requested = False
        self.committed = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        if self._session is None:
            self._session = self._sessionmaker()
            self._session.info[_UNIT_OF_WORK] = self
            await self._session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._hold_commit and exc_type is None and self.commit_requested:
            return  # the holder finishes the transaction
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            if not self.committed:
                await self._session.rollback()
            await self._session.close()
            self._session = None

    def emit(
        self, type_: str, aggregate_type: str, aggregate_id: str, payload: dict[str, Any]
    ) -> None:
        """Queue an event; it is written with the next sequence numbers at commit."""
        self._pending_events.append(PendingEvent(type_, aggregate_type, str(aggregate_id), payload))

    async def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: str,
        *,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Record who changed what, with the state before and after, in this transaction."""
        await self.session.execute(
            insert(audit_log).values(
                occurred_at=utcnow(),
                actor=self.actor,
                request_id=self.request_id,
                action=action,
                entity_type=entity_type,
                entity_id=str(entity_id),
                before=to_jsonable_python(before) if before is not None else None,
                after=to_jsonable_python(after) if after is not None else None,
            )
        )

    def after_commit(self, hook: AfterCommit) -> None:
        self._after_commit.append(hook)

    async def commit(self) -> None:
        """Commit the change (or, when held, mark it ready for the holder to commit)."""
        if self._hold_commit:
            await self.session.flush()
            self.commit_requested = True
            return
        await self._commit()

    async def finish(self, before_commit: BeforeCommit | None = None) -> None:
        """For holders: run `before_commit` in the transaction, then commit for real."""
        try:
            if before_commit is not None:
                await before_commit(self.session)
            await self._commit()
        finally:
            await self.close()

    async def _commit(self) -> None:
        seqs = await append_events(
            self.session, self._pending_events, actor=self.actor, request_id=self.request_id
        )
        await self.session.commit()
        self.committed = True
        self._pending_events.clear()
        if seqs and self._on_events_committed is not None:
            await self._on_events_committed(seqs)
        for hook in self._after_commit:
            await hook()
