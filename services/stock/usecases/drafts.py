"""Draft documents: saved now, posted later as they stand, or cancelled.

Every warehouse document (receipt, inspection, transfer, scrap and returns, production
receipt, shipment) can be created with `"draft": true`. The draft is a row of the
document's own table with status `draft`, the number it will keep, the lines it names
(as far as they can be resolved without stock: items, locations and lots are checked when
it is saved) and, in `draft`, the request itself. Nothing moves and no stock is checked.

* `PUT .../{id}` replaces a draft's request (checked again, lines rewritten);
* `POST .../{id}/post` posts the stored request through the same code as a direct post
  (optionally dated by `posted_at`); the document keeps its id and number;
* `POST .../{id}/cancel` ends a draft: status `cancelled`, nothing ever moved.

Posting or cancelling something that is not a draft is 409 `document_not_draft`, so a
retried post never posts twice. The header row is locked first (before any balance),
the same order reversals use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.schemas import DocumentStatus
from services.stock.usecases.document_lines import emit_movements
from services.stock.usecases.posting import DocumentReversed
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound


class NotADraft(Conflict):
    code = "document_not_draft"
    title = "Only a draft can be changed, posted or cancelled"


class NotPosted(Conflict):
    code = "document_not_posted"
    title = "Only a posted document can be reversed"


class DraftChanged(Conflict):
    code = "draft_changed"
    title = "The draft changed while it was being posted"


class DocumentHeader(Protocol):
    """The columns every draftable document shares."""

    id: int
    number: str
    status: str
    draft: dict[str, Any] | None
    created_at: datetime | None
    created_by: str | None
    posted_at: datetime | None
    posted_by: str | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    reversed_at: datetime | None
    reversed_by: str | None


H = TypeVar("H", bound=DocumentHeader)
Out = TypeVar("Out", bound=BaseModel)


def draft_request(data: BaseModel) -> dict[str, Any]:
    """What a draft stores: its request without the `draft` flag, as JSON."""
    return data.model_dump(mode="json", exclude={"draft"})


async def document_or_404(session: AsyncSession, model: type[H], document_id: int, noun: str) -> H:
    row = await session.get(model, document_id)
    if row is None:
        raise NotFound(f"{noun} {document_id} does not exist")
    return row


async def stored_request(
    session: AsyncSession, model: type[H], document_id: int, noun: str
) -> dict[str, Any]:
    """A draft's stored request (read before the posting transaction, for the catalog)."""
    row = await document_or_404(session, model, document_id, noun)
    if row.status != DocumentStatus.DRAFT.value or row.draft is None:
        raise NotADraft(f"{noun} {row.number} is {row.status}, not a draft")
    return dict(row.draft)


async def draft_for_update(
    session: AsyncSession,
    model: type[H],
    document_id: int,
    noun: str,
    *,
    expected: dict[str, Any] | None = None,
) -> H:
    """Lock a draft's header row; 404 if missing, 409 if it is no longer a draft.

    `expected` is the request read before the transaction (the catalog was asked about its
    items); if the draft was replaced since, posting it would use unchecked data: 409."""
    row = await session.get(model, document_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound(f"{noun} {document_id} does not exist")
    if row.status != DocumentStatus.DRAFT.value:
        raise NotADraft(f"{noun} {row.number} is {row.status}, not a draft")
    if expected is not None and _without_time(row.draft) != _without_time(expected):
        raise DraftChanged(f"{noun} {row.number} was changed meanwhile: post it again")
    return row


def _without_time(request: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (request or {}).items() if k != "posted_at"}


def require_posted(row: DocumentHeader, noun: str) -> None:
    """Before reversing: 409 `document_reversed` or `document_not_posted`."""
    if row.status == DocumentStatus.REVERSED.value:
        raise DocumentReversed(
            f"{noun} {row.number} was reversed at "
            f"{row.reversed_at.isoformat() if row.reversed_at else '?'} by {row.reversed_by}"
        )
    if row.status != DocumentStatus.POSTED.value:
        raise NotPosted(f"{noun} {row.number} is {row.status}: only a posted one can be reversed")


def stamp(
    row: DocumentHeader, uow: UnitOfWork, data: BaseModel, posted_at: datetime | None
) -> None:
    """Mark a new or draft header as saved (`data.draft`) or posted at `posted_at`."""
    now = utcnow()
    if row.created_at is None:
        row.created_at, row.created_by = now, uow.actor
    if getattr(data, "draft", False):
        row.status = DocumentStatus.DRAFT.value
        row.draft = draft_request(data)
        row.posted_at = row.posted_by = None
    else:
        row.status = DocumentStatus.POSTED.value
        row.draft = None
        row.posted_at, row.posted_by = posted_at or now, uow.actor


def cancel(row: DocumentHeader, uow: UnitOfWork) -> None:
    row.status = DocumentStatus.CANCELLED.value
    row.cancelled_at, row.cancelled_by = utcnow(), uow.actor


def as_request(model: type[BaseModel], stored: dict[str, Any], posted_at: datetime | None) -> Any:
    """The create request a draft posts: as stored, dated by the posting's `posted_at`."""
    request = dict(stored)
    if posted_at is not None:
        request["posted_at"] = posted_at
    request["draft"] = False
    return model.model_validate(request)


async def saved(
    uow: UnitOfWork, entity: str, event: str, out: BaseModel, *, new: bool, document_id: int
) -> None:
    """Audit and announce a draft saved (`new`) or replaced, then commit."""
    payload = out.model_dump(mode="json")
    await uow.audit("draft" if new else "replace", entity, str(document_id), after=payload)
    uow.emit(event, entity, str(document_id), payload)
    await uow.commit()


async def cancel_document(
    uow: UnitOfWork,
    model: type[H],
    document_id: int,
    *,
    noun: str,
    entity: str,
    event: str,
    load: Callable[[AsyncSession, Sequence[H]], Awaitable[list[Out]]],
    announce: Callable[[UnitOfWork, H], None] | None = None,
) -> Out:
    """Cancel a draft (409 `document_not_draft` otherwise); audited and announced.
    `load` is the document's own reader of many documents (one here); `announce` emits
    what else the cancellation ends (an approval it waited for)."""
    async with uow:
        row = await draft_for_update(uow.session, model, document_id, noun)
        (before,) = await load(uow.session, [row])
        cancel(row, uow)
        await uow.session.flush()
        (out,) = await load(uow.session, [row])
        payload = out.model_dump(mode="json")
        await uow.audit(
            "cancel", entity, str(row.id), before=before.model_dump(mode="json"), after=payload
        )
        uow.emit(event, entity, str(row.id), payload)
        if announce is not None:
            announce(uow, row)
        await uow.commit()
        return out


async def finish_reversal(
    uow: UnitOfWork,
    row: H,
    before: Out,
    now: datetime,
    *,
    entity: str,
    event: str,
    load: Callable[[AsyncSession, Sequence[H]], Awaitable[list[Out]]],
) -> Out:
    """After a document's opposite movements are posted (`posting.reverse_document`): mark
    it reversed at `now`, read it again, audit and announce it with its new movements,
    commit. `before` is the document as it stood."""
    row.status = DocumentStatus.REVERSED.value
    row.reversed_at, row.reversed_by = now, uow.actor
    await uow.session.flush()
    (out,) = await load(uow.session, [row])
    payload = out.model_dump(mode="json")
    await uow.audit(
        "reverse", entity, str(row.id), before=before.model_dump(mode="json"), after=payload
    )
    document: Any = out  # every document's answer lists its movements
    emit_movements(uow, (m for m in document.movements if m.reversal_of_id is not None))
    uow.emit(event, entity, str(row.id), payload)
    await uow.commit()
    return out
