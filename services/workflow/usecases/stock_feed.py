"""Stock's events that start, end or confirm approvals.

* `MovementPosted` marks its item for the balance rules (`rules.evaluate_subjects`).
* `RequisitionSubmitted` with `approval: pending`, and `ApprovalRequested` (a purchase
  receipt, scrap or supplier return stock's gate held instead of posting it), record an
  instance `starting` with the document and the flow it follows (the active version
  now); the runner routes it. One instance per submission: the event's feed sequence is
  its key, so a replay changes nothing.
* `RequisitionCancelled` / `ApprovalCancelled`: the document's running instance ends
  `cancelled`.
* `RequisitionPosted` / `RequisitionReturned` naming our instance confirm what the runner
  already recorded (a lost answer is settled here too); posted or returned by anyone
  else (an admin's decision), the running instance ends `cancelled`, saying so. The same
  for `ApprovalReturned` of the other documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.workflow.db.models import Instance
from services.workflow.schemas import GATED_TYPES, DocumentType, InstanceStatus, SyncState
from services.workflow.usecases.engine import SYSTEM, finish, history
from services.workflow.usecases.flows import flow_for
from services.workflow.usecases.rules import mark_items, mark_many
from shared.db.dialects import dialect_insert
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

SOURCE = "stock"
REQUISITION = DocumentType.MATERIAL_REQUISITION.value
RUNNING = (InstanceStatus.STARTING.value, InstanceStatus.PENDING.value)
#: What ends a running instance when someone else did it, by event.
OUTSIDE = {
    "RequisitionCancelled": "the requisition was cancelled",
    "ApprovalCancelled": "the document was cancelled",
    "RequisitionPosted": "the requisition was posted outside the flow by {actor}",
    "RequisitionReturned": "the requisition was returned to draft by {actor}",
    "ApprovalReturned": "the document was returned to draft by {actor}",
}
CANCELLED = ("RequisitionCancelled", "ApprovalCancelled")
GATED = frozenset(t.value for t in GATED_TYPES)


async def _running(uow: UnitOfWork, document_type: str, document_id: int) -> Instance | None:
    return (
        await uow.session.scalars(
            select(Instance)
            .where(
                Instance.document_type == document_type,
                Instance.document_id == document_id,
                Instance.status.in_(RUNNING),
            )
            .with_for_update()
        )
    ).first()


def _ours(reference: object) -> int | None:
    if isinstance(reference, str) and reference.startswith("workflow:"):
        tail = reference.removeprefix("workflow:")
        return int(tail) if tail.isdigit() else None
    return None


async def _start(
    uow: UnitOfWork,
    event: FeedEvent,
    document_type: str,
    document: Mapping[str, Any],
    requester: str,
) -> None:
    flow = await flow_for(uow.session, document_type)
    await uow.session.execute(
        dialect_insert(uow.session)(Instance)
        .values(
            source=SOURCE,
            source_seq=event.seq,
            document_type=document_type,
            document_id=int(document["id"]),
            document_number=str(document["number"]),
            flow_id=flow.id if flow else None,
            status=InstanceStatus.STARTING.value,
            requester=requester,
            context={"document": dict(document), "requester": {}},
            stage_index=-1,
            problem="",
            start_attempts=0,
            submitted_at=event.occurred_at,
            reason="",
            sync_state=SyncState.NONE.value,
            sync_attempts=0,
            version=1,
        )
        .on_conflict_do_nothing(index_elements=["source", "source_seq"])
    )


async def _confirm(uow: UnitOfWork, instance_id: int, at: datetime, posted: bool) -> None:
    """Stock reports our decision done: a sync whose answer was lost is settled."""
    row = await uow.session.get(Instance, instance_id, with_for_update=True)
    if row is not None and row.sync_state in (SyncState.PENDING.value, SyncState.FAILED.value):
        row.sync_state = SyncState.DONE.value
        row.sync_problem = None
        row.next_attempt_at = None
        history(uow.session, row, at, SYSTEM, "posted" if posted else "returned_to_draft")


async def apply_stock_event(uow: UnitOfWork, event: FeedEvent) -> None:
    payload = event.payload
    if event.type == "MovementPosted":
        await mark_items(uow.session, [str(payload["item_code"])], event.occurred_at, event.seq)
        return
    if event.type == "RequisitionSubmitted":
        if payload.get("approval") == "pending":
            requester = str(payload.get("submitted_by") or event.actor)
            await _start(uow, event, REQUISITION, payload, requester)
        return
    if event.type == "ApprovalRequested":
        if payload.get("document_type") in GATED:
            document = {**payload, "id": payload["document_id"]}
            requester = str(payload.get("requested_by") or event.actor)
            await _start(uow, event, str(payload["document_type"]), document, requester)
        return
    if event.type not in OUTSIDE:
        return
    if event.type.startswith("Requisition"):
        document_type, document_id = REQUISITION, int(payload["id"])
    else:
        document_type, document_id = str(payload["document_type"]), int(payload["document_id"])
    ours = _ours(payload.get("approval_ref") or payload.get("reference"))
    if ours is not None and event.type not in CANCELLED:
        await _confirm(uow, ours, event.occurred_at, event.type == "RequisitionPosted")
        return
    running = await _running(uow, document_type, document_id)
    if running is None:
        return
    await finish(
        uow.session,
        running,
        InstanceStatus.CANCELLED,
        event.occurred_at,
        SYSTEM,
        OUTSIDE[event.type].format(actor=event.actor),
        tell_owner=False,
    )


async def apply_stock_events(uow: UnitOfWork, events: Sequence[FeedEvent]) -> None:
    """A page of stock's events at once: every movement's item marked in one statement
    (the latest change of each item wins, as one event at a time would leave it), the
    document events one by one, in order."""
    latest: dict[str, FeedEvent] = {}
    for event in events:
        if event.type == "MovementPosted":
            latest[str(event.payload["item_code"])] = event
        else:
            await apply_stock_event(uow, event)
    if latest:
        await mark_many(uow.session, {code: (e.occurred_at, e.seq) for code, e in latest.items()})
