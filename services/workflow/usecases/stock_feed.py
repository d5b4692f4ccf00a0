"""Stock's events that start, end or confirm approvals, and mark items for the rules.

* `MovementPosted` marks its item for the balance rules (`rules.evaluate_subjects`).
* `RequisitionSubmitted` with `approval: pending` records an instance `starting` with
  the requisition and the flow it follows (the active version now); the runner routes
  it. One instance per submission: the event's feed sequence is its key, so a replay
  changes nothing.
* `RequisitionCancelled`: the requisition's running instance ends `cancelled`.
* `RequisitionPosted` / `RequisitionReturned` naming our instance confirm what the runner
  already recorded (a lost answer is settled here too); posted or returned by anyone
  else (an admin's decision), the running instance ends `cancelled`, saying so.
* The other gated documents' `ApprovalRequested`, `ApprovalCancelled` and
  `ApprovalReturned` are taken as from every owner (`approval_feed`).
* Every event also becomes a delivery for each webhook subscription that wants it
  (`webhooks.enqueue_events`: one query and one insert per page), in the same unit of
  work as the consumer's cursor.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.workflow.schemas import DocumentType
from services.workflow.usecases.approval_feed import (
    APPROVAL_EVENTS,
    apply_approval_event,
    confirm,
    end_outside,
    ours,
    start_instance,
)
from services.workflow.usecases.rules import mark_items, mark_many
from services.workflow.usecases.webhooks import enqueue_events
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

SOURCE = "stock"
REQUISITION = DocumentType.MATERIAL_REQUISITION.value
#: What ends a requisition's running instance when someone else did it, by event.
OUTSIDE = {
    "RequisitionCancelled": "the requisition was cancelled",
    "RequisitionPosted": "the requisition was posted outside the flow by {actor}",
    "RequisitionReturned": "the requisition was returned to draft by {actor}",
}


async def apply_stock_event(uow: UnitOfWork, event: FeedEvent) -> None:
    await enqueue_events(uow.session, SOURCE, [event])
    await _apply(uow, event)


async def _apply(uow: UnitOfWork, event: FeedEvent) -> None:
    payload = event.payload
    if event.type == "MovementPosted":
        await mark_items(uow.session, [str(payload["item_code"])], event.occurred_at, event.seq)
        return
    if event.type in APPROVAL_EVENTS:
        await apply_approval_event(uow, SOURCE, event)
        return
    if event.type == "RequisitionSubmitted":
        if payload.get("approval") == "pending":
            requester = str(payload.get("submitted_by") or event.actor)
            await start_instance(uow, SOURCE, event, REQUISITION, payload, requester)
        return
    if event.type not in OUTSIDE:
        return
    instance_id = ours(payload.get("approval_ref"))
    if instance_id is not None and event.type != "RequisitionCancelled":
        await confirm(uow, instance_id, event.occurred_at, event.type == "RequisitionPosted")
        return
    await end_outside(uow, event, REQUISITION, int(payload["id"]), OUTSIDE[event.type])


async def apply_stock_events(uow: UnitOfWork, events: Sequence[FeedEvent]) -> None:
    """A page of stock's events at once: their webhook deliveries queued together, every
    movement's item marked in one statement (the latest change of each item wins, as one
    event at a time would leave it), the document events one by one, in order."""
    await enqueue_events(uow.session, SOURCE, events)
    latest: dict[str, FeedEvent] = {}
    for event in events:
        if event.type == "MovementPosted":
            latest[str(event.payload["item_code"])] = event
        else:
            await _apply(uow, event)
    if latest:
        await mark_many(uow.session, {code: (e.occurred_at, e.seq) for code, e in latest.items()})
