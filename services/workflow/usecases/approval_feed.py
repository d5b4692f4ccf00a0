"""The owning services' events that start, end or confirm approvals.

Every service that holds documents for workflow's decision (`schemas.OWNERS`: stock, the
catalog, mrp) announces them on its own feed the same way, and `apply_approval_event`
takes them from each:

* `ApprovalRequested` (a document its gate held instead of posting, releasing or
  firming it) records an instance `starting` with the document and the flow it follows
  (the active version now); the runner routes it. One instance per submission: the
  event's feed and sequence are its key, so a replay changes nothing. (Stock's
  `RequisitionSubmitted` with `approval: pending` starts one the same way.)
* `ApprovalCancelled`: the document's running instance ends `cancelled`.
* `ApprovalReturned` naming our instance confirms what the runner already recorded (a
  lost answer is settled here too); returned by anyone else (an admin's decision), the
  running instance ends `cancelled`, saying so.

A document type is taken only from the feed of the service that owns it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.workflow.db.models import Instance
from services.workflow.schemas import OWNERS, InstanceStatus, SyncState
from services.workflow.usecases.engine import SYSTEM, finish, history
from services.workflow.usecases.flows import flow_for
from shared.db.dialects import dialect_insert
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

RUNNING = (InstanceStatus.STARTING.value, InstanceStatus.PENDING.value)
APPROVAL_EVENTS = frozenset({"ApprovalRequested", "ApprovalCancelled", "ApprovalReturned"})


async def running_instance(
    uow: UnitOfWork, document_type: str, document_id: int
) -> Instance | None:
    """The document's instance that has not ended yet, locked."""
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


def ours(reference: object) -> int | None:
    """Our instance's id when a decision's reference names one (`workflow:<id>`)."""
    if isinstance(reference, str) and reference.startswith("workflow:"):
        tail = reference.removeprefix("workflow:")
        return int(tail) if tail.isdigit() else None
    return None


async def start_instance(
    uow: UnitOfWork,
    source: str,
    event: FeedEvent,
    document_type: str,
    document: Mapping[str, Any],
    requester: str,
) -> None:
    """Record an instance `starting` for a submitted document (once per feed event)."""
    flow = await flow_for(uow.session, document_type)
    await uow.session.execute(
        dialect_insert(uow.session)(Instance)
        .values(
            source=source,
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


async def confirm(uow: UnitOfWork, instance_id: int, at: datetime, posted: bool) -> None:
    """The owner reports our decision done: a sync whose answer was lost is settled."""
    row = await uow.session.get(Instance, instance_id, with_for_update=True)
    if row is not None and row.sync_state in (SyncState.PENDING.value, SyncState.FAILED.value):
        row.sync_state = SyncState.DONE.value
        row.sync_problem = None
        row.next_attempt_at = None
        history(uow.session, row, at, SYSTEM, "posted" if posted else "returned_to_draft")


async def end_outside(
    uow: UnitOfWork, event: FeedEvent, document_type: str, document_id: int, why: str
) -> None:
    """Someone other than workflow ended the document's wait: its instance is cancelled."""
    running = await running_instance(uow, document_type, document_id)
    if running is None:
        return
    await finish(
        uow.session,
        running,
        InstanceStatus.CANCELLED,
        event.occurred_at,
        SYSTEM,
        why.format(actor=event.actor),
        tell_owner=False,
    )


async def apply_approval_event(uow: UnitOfWork, source: str, event: FeedEvent) -> None:
    """`ApprovalRequested`, `ApprovalCancelled` or `ApprovalReturned` on `source`'s feed,
    for a document type `source` owns (others are ignored)."""
    payload = event.payload
    document_type = str(payload.get("document_type") or "")
    owner = OWNERS.get(document_type)
    if event.type not in APPROVAL_EVENTS or owner is None or owner.service != source:
        return
    if event.type == "ApprovalRequested":
        document = {**payload, "id": payload["document_id"]}
        requester = str(payload.get("requested_by") or event.actor)
        await start_instance(uow, source, event, document_type, document, requester)
        return
    document_id = int(payload["document_id"])
    if event.type == "ApprovalCancelled":
        await end_outside(uow, event, document_type, document_id, "the document was cancelled")
        return
    instance_id = ours(payload.get("reference"))
    if instance_id is not None:
        await confirm(uow, instance_id, event.occurred_at, posted=False)
        return
    await end_outside(
        uow, event, document_type, document_id, "the document was returned to draft by {actor}"
    )
