"""Stock's events that start, end or confirm approvals.

* `MovementPosted` marks its item for the balance rules (`rules.evaluate_subjects`).
* `RequisitionSubmitted` with `approval: pending` (stock's gate held it) records an
  instance `starting` with the submitted requisition and the flow it follows (the active
  version now); the runner routes it. One instance per submission: the event's feed
  sequence is its key, so a replay changes nothing.
* `RequisitionCancelled`: the requisition's running instance ends `cancelled`.
* `RequisitionPosted` / `RequisitionReturned` naming our instance confirm what the runner
  already recorded (a lost answer is settled here too); posted or returned by anyone
  else (an admin's decision), the running instance ends `cancelled`, saying so.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from services.workflow.db.models import Instance
from services.workflow.schemas import DocumentType, InstanceStatus, SyncState
from services.workflow.usecases.engine import SYSTEM, finish, history
from services.workflow.usecases.flows import flow_for
from services.workflow.usecases.rules import mark_items, mark_many
from shared.db.dialects import dialect_insert
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

SOURCE = "stock"
REQUISITION = DocumentType.MATERIAL_REQUISITION.value
RUNNING = (InstanceStatus.STARTING.value, InstanceStatus.PENDING.value)


async def _running(uow: UnitOfWork, document_id: int) -> Instance | None:
    return (
        await uow.session.scalars(
            select(Instance)
            .where(
                Instance.document_type == REQUISITION,
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


async def apply_stock_event(uow: UnitOfWork, event: FeedEvent) -> None:
    payload = event.payload
    if event.type == "MovementPosted":
        await mark_items(uow.session, [str(payload["item_code"])], event.occurred_at, event.seq)
        return
    if event.type == "RequisitionSubmitted":
        if payload.get("approval") != "pending":
            return
        flow = await flow_for(uow.session, REQUISITION)
        requester = str(payload.get("submitted_by") or event.actor)
        await uow.session.execute(
            dialect_insert(uow.session)(Instance)
            .values(
                source=SOURCE,
                source_seq=event.seq,
                document_type=REQUISITION,
                document_id=int(payload["id"]),
                document_number=str(payload["number"]),
                flow_id=flow.id if flow else None,
                status=InstanceStatus.STARTING.value,
                requester=requester,
                context={"document": payload, "requester": {}},
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
        return
    if event.type not in ("RequisitionCancelled", "RequisitionPosted", "RequisitionReturned"):
        return
    document_id = int(payload["id"])
    ours = _ours(payload.get("approval_ref"))
    if ours is not None and event.type != "RequisitionCancelled":
        row = await uow.session.get(Instance, ours, with_for_update=True)
        if row is not None and row.sync_state in (SyncState.PENDING.value, SyncState.FAILED.value):
            row.sync_state = SyncState.DONE.value
            row.sync_problem = None
            row.next_attempt_at = None
            history(
                uow.session,
                row,
                event.occurred_at,
                SYSTEM,
                "posted" if event.type == "RequisitionPosted" else "returned_to_draft",
            )
        return
    running = await _running(uow, document_id)
    if running is None:
        return
    why = {
        "RequisitionCancelled": "the requisition was cancelled",
        "RequisitionPosted": f"the requisition was posted outside the flow by {event.actor}",
        "RequisitionReturned": f"the requisition was returned to draft by {event.actor}",
    }[event.type]
    await finish(
        uow.session,
        running,
        InstanceStatus.CANCELLED,
        event.occurred_at,
        SYSTEM,
        why,
        tell_owner=False,
    )


async def apply_stock_events(uow: UnitOfWork, events: Sequence[FeedEvent]) -> None:
    """A page of stock's events at once: every movement's item marked in one statement
    (the latest change of each item wins, as one event at a time would leave it), the
    requisition events one by one, in order."""
    latest: dict[str, FeedEvent] = {}
    for event in events:
        if event.type == "MovementPosted":
            latest[str(event.payload["item_code"])] = event
        else:
            await apply_stock_event(uow, event)
    if latest:
        await mark_many(uow.session, {code: (e.occurred_at, e.seq) for code, e in latest.items()})
