"""The workflow service's own clock and hands: starting instances, telling owning services
the outcome, and firing time limits. One loop per process (`Runner.run_forever`), woken
after actions and otherwise every `poll_seconds`; everything it does is durable in the
database, so a restart simply picks up where it stopped.

* **Start.** The feed handler records a submitted document as an instance `starting`.
  The runner gathers the document's facts over HTTP (items, costs, warehouse) outside
  any transaction, then routes it in one. A service that cannot answer leaves it
  `starting`, retried with back-off and the problem shown.
* **Tell the owner.** A finished instance with `sync_state=pending` is sent to the owning
  service with `Idempotency-Key: workflow-approval-<id>` (approved: post; otherwise back to
  draft). 2xx: done. A refusal (409/422, e.g. stock moved meanwhile): `failed` with the
  problem, visible and retryable (`POST /v1/approvals/{id}/retry`). No answer: retried
  with back-off under the same key, so the document posts exactly once.
* **Rules and notices.** Items whose stock changed are evaluated against the active
  rules (`rules.evaluate_subjects`), scheduled rules run when their time comes
  (`schedules.run_due`), and due messages are sent (`notify.deliver_due`).
* **Time limits.** A due timer is claimed by setting `fired_at` in the transaction that
  acts on it (after locking its instance, the lock order every action uses), so each
  fires exactly once, however many processes or restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import select, update

from services.workflow.clients import document_facts
from services.workflow.db.models import Flow, Instance, Step, Task, Timer
from services.workflow.domain.routing import StepStatus, TaskStatus
from services.workflow.schemas import (
    OWNERS,
    DocumentType,
    InstanceStatus,
    SyncState,
    TimeoutAction,
)
from services.workflow.usecases.engine import (
    SYSTEM,
    advance,
    amount_of,
    definition_of,
    enter_next_stages,
    escalation_holders,
    finish,
    history,
    load_org,
    notify,
    requester_facts,
    step_spec,
    username_of,
)
from services.workflow.usecases.mobile_sync import MobileSync
from services.workflow.usecases.notify import deliver_due
from services.workflow.usecases.rules import RuleIndex, active_rules, evaluate_subjects
from services.workflow.usecases.schedules import run_due
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.types import utcnow
from shared.errors import ProblemError

log = structlog.get_logger(__name__)

#: Instances, syncs and timers handled per pass.
BATCH = 50
#: Timers fired at once (each in its own transaction; a backlog after a restart).
FIRE_CONCURRENCY = 4
#: What the owning service is told per instance outcome.
DECISIONS = {
    InstanceStatus.APPROVED.value: "approved",
    InstanceStatus.REJECTED.value: "rejected",
    InstanceStatus.RETURNED.value: "returned",
    InstanceStatus.WITHDRAWN.value: "withdrawn",
}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** min(attempts, 9), 300))


class Runner:
    def __init__(
        self,
        db: Database,
        client: ServiceClient,
        *,
        poll_seconds: float = 1.0,
        public_url: str = "",
        mobile: MobileSync | None = None,
    ) -> None:
        self.db = db
        self.client = client
        self.mobile = mobile
        self.poll_seconds = poll_seconds
        self.public_url = public_url.rstrip("/")
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            done = 0
            try:
                done = await self.run_once()
            except Exception:  # the loop must outlive any one failure
                log.exception("workflow_runner_failed")
            if done:  # more may be due right now (a backlog after a restart)
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass over everything due; the number of things it handled."""
        done = await self.start_instances()
        done += await self.fire_timers(now)
        done += await self.sync_owners()
        if self.mobile is not None:
            done += await self.mobile.run(now)
        async with self.db.read() as session:
            index = await active_rules(session)
        done += await evaluate_subjects(self.db, self.client, now, index)
        done += await self.run_schedules(now, index)
        done += await deliver_due(self.db, self.client.http, now, public_url=self.public_url)
        return done

    async def run_schedules(
        self, now: datetime | None = None, index: RuleIndex | None = None
    ) -> int:
        """Scheduled rules whose time has come (at most a check of their clocks when none
        is due). `index`: the active rules, when the caller has read them this pass."""
        if index is None:
            async with self.db.read() as session:
                index = await active_rules(session)
        return await run_due(self.db, self.client, index.all, now)

    # --- start ------------------------------------------------------------------------

    async def _each_due(self, state: Any, handle: Any) -> int:
        """Handle (one at a time) the instances in `state` whose next attempt is due."""
        now = utcnow()
        async with self.db.read() as session:
            ids = list(
                await session.scalars(
                    select(Instance.id)
                    .where(
                        state,
                        (Instance.next_attempt_at.is_(None)) | (Instance.next_attempt_at <= now),
                    )
                    .order_by(Instance.id)
                    .limit(BATCH)
                )
            )
        for instance_id in ids:
            await handle(instance_id)
        return len(ids)

    async def start_instances(self) -> int:
        return await self._each_due(Instance.status == InstanceStatus.STARTING.value, self.start)

    async def start(self, instance_id: int) -> None:
        async with self.db.read() as session:
            row = await session.get(Instance, instance_id)
            if row is None or row.status != InstanceStatus.STARTING.value:
                return
            document = dict(row.context.get("document", {}))
            document_type = row.document_type
        try:
            if document_type == DocumentType.RULE_REVIEW.value:
                facts = document  # a rule's subject and facts, as the rule saw them
            else:
                facts = await document_facts(self.client, document_type, document)
        except (ProblemError, httpx.HTTPError, KeyError, ValueError) as exc:
            await self._start_failed(instance_id, f"cannot gather the document's facts: {exc}")
            return
        uow = self.db.uow(actor=SYSTEM)
        async with uow:
            session = uow.session
            row = await session.get(
                Instance, instance_id, with_for_update=True, populate_existing=True
            )
            if row is None or row.status != InstanceStatus.STARTING.value:
                return
            now = utcnow()
            requester = username_of(row.requester)
            org = await load_org(session)
            row.context = {
                "document": facts,
                "requester": await requester_facts(session, requester, org),
            }
            row.amount = amount_of(facts)
            row.problem = ""
            row.next_attempt_at = None
            flow = await session.get(Flow, row.flow_id) if row.flow_id is not None else None
            if flow is None:
                await finish(
                    session,
                    row,
                    InstanceStatus.RETURNED,
                    now,
                    SYSTEM,
                    f"no approval flow for {row.document_type}",
                )
            else:
                row.status = InstanceStatus.PENDING.value
                history(
                    session,
                    row,
                    now,
                    row.requester,
                    "submitted",
                    flow=flow.name,
                    version=flow.version,
                )
                await enter_next_stages(session, row, flow, now, org)
            await session.flush()
            await uow.audit("start", "approval", str(row.id), after={"status": row.status})
            await uow.commit()

    async def _start_failed(self, instance_id: int, problem: str) -> None:
        uow = self.db.uow(actor=SYSTEM)
        async with uow:
            row = await uow.session.get(Instance, instance_id, with_for_update=True)
            if row is None or row.status != InstanceStatus.STARTING.value:
                return
            row.start_attempts += 1
            row.problem = problem[:2000]
            row.next_attempt_at = utcnow() + backoff(row.start_attempts)
            await uow.commit()
        log.warning("approval_start_failed", instance=instance_id, problem=problem)

    # --- timers -----------------------------------------------------------------------

    async def fire_timers(self, now: datetime | None = None) -> int:
        moment = now or utcnow()
        async with self.db.read() as session:
            due = list(
                await session.execute(
                    select(Timer.id, Timer.instance_id)
                    .where(
                        Timer.fired_at.is_(None),
                        Timer.cancelled.is_(False),
                        Timer.due_at <= moment,
                    )
                    .order_by(Timer.due_at, Timer.id)
                    .limit(BATCH)
                )
            )
        gate = asyncio.Semaphore(FIRE_CONCURRENCY)

        async def one(timer_id: int, instance_id: int) -> int:
            async with gate:
                return await self.fire(timer_id, instance_id, moment)

        return sum(await asyncio.gather(*(one(t, i) for t, i in due)))

    async def fire(self, timer_id: int, instance_id: int, now: datetime) -> int:
        """Fire one timer, exactly once: 1 if this call fired it. The instance is locked
        first (every action's lock order); the timer is claimed by setting `fired_at`
        only if nobody has, in the transaction that acts on it."""
        uow = self.db.uow(actor=SYSTEM)
        async with uow:
            session = uow.session
            instance = await session.get(
                Instance, instance_id, with_for_update=True, populate_existing=True
            )
            claimed = (
                await session.execute(
                    update(Timer)
                    .where(
                        Timer.id == timer_id, Timer.fired_at.is_(None), Timer.cancelled.is_(False)
                    )
                    .values(fired_at=now)
                    .returning(Timer.step_id, Timer.action)
                )
            ).first()
            if claimed is None or instance is None:
                return 0
            step_id, action = claimed
            step = await session.get(Step, step_id)
            if (
                step is not None
                and step.status == StepStatus.PENDING.value
                and instance.status == InstanceStatus.PENDING.value
            ):
                await self._time_out(session, instance, step, TimeoutAction(action), now)
            await session.flush()
            await uow.commit()
        return 1

    async def _time_out(
        self, session: Any, instance: Instance, step: Step, action: TimeoutAction, now: datetime
    ) -> None:
        waiting = list(
            await session.scalars(
                select(Task.assignee).where(
                    Task.step_id == step.id, Task.status == TaskStatus.PENDING.value
                )
            )
        )
        if action is TimeoutAction.REMIND:
            history(
                session,
                instance,
                now,
                SYSTEM,
                "reminded",
                step_key=step.key,
                comment="time limit passed",
                waiting=waiting,
            )
            await notify(
                session,
                instance,
                "approval_overdue",
                waiting,
                now,
                tag=f"overdue:{step.id}",
                step=step.name,
                approver=", ".join(waiting) or "-",
                due_at=step.due_at.isoformat(timespec="minutes") if step.due_at else "-",
            )
            return
        if action is TimeoutAction.ESCALATE:
            definition = await definition_of(session, instance.flow_id)
            spec = step_spec(definition, step.stage_index, step.key) if definition else None
            role = spec.escalate_to_role if spec else None
            holders = await escalation_holders(session, instance, role) if role else []
            for name in holders:
                if name in waiting:
                    continue
                session.add(
                    Task(
                        instance_id=instance.id,
                        step_id=step.id,
                        assignee=name,
                        status=TaskStatus.PENDING.value,
                        origin="escalated",
                        created_at=now,
                        due_at=None,
                    )
                )
            history(
                session,
                instance,
                now,
                SYSTEM,
                "escalated",
                step_key=step.key,
                comment=f"time limit passed: escalated to {role}"
                + ("" if holders else f" (nobody holds {role})"),
                to=holders,
            )
            return
        if action is TimeoutAction.APPROVE:
            await session.execute(
                update(Task)
                .where(Task.step_id == step.id, Task.status == TaskStatus.PENDING.value)
                .values(status=TaskStatus.CANCELLED.value, decided_at=now)
            )
            step.status = StepStatus.APPROVED.value
            step.finished_at = now
            step.note = "approved automatically: time limit passed"
            history(
                session,
                instance,
                now,
                SYSTEM,
                "auto_approved",
                step_key=step.key,
                comment="time limit passed",
            )
            await session.flush()
            await advance(session, instance, now)
            return
        step.status = StepStatus.REJECTED.value
        step.finished_at = now
        history(
            session,
            instance,
            now,
            SYSTEM,
            "auto_rejected",
            step_key=step.key,
            comment="time limit passed",
        )
        await finish(
            session,
            instance,
            InstanceStatus.REJECTED,
            now,
            SYSTEM,
            f"time limit of step {step.key} passed",
        )

    # --- telling the owner ------------------------------------------------------------

    async def sync_owners(self) -> int:
        return await self._each_due(Instance.sync_state == SyncState.PENDING.value, self.sync)

    async def sync(self, instance_id: int) -> None:
        async with self.db.read() as session:
            row = await session.get(Instance, instance_id)
            if row is None or row.sync_state != SyncState.PENDING.value:
                return
            decision = DECISIONS.get(row.status)
            owner = OWNERS.get(row.document_type)
            document_id, reason = row.document_id, row.reason
        if decision is None or owner is None:
            return
        body = {"decision": decision, "reference": f"workflow:{instance_id}", "reason": reason}
        try:
            response = await self.client.request(
                owner.service,
                "POST",
                owner.decision_path.format(id=document_id),
                json=body,
                idempotency_key=f"workflow-approval-{instance_id}",
            )
        except ProblemError as exc:
            await self._synced(instance_id, None, {"detail": exc.detail}, decision)
            return
        problem: dict[str, Any] | None = None
        if response.status_code >= 300:
            try:
                problem = response.json()
            except ValueError:
                problem = {"status": response.status_code, "detail": response.text[:500]}
        await self._synced(instance_id, response.status_code, problem, decision)

    async def _synced(
        self, instance_id: int, status: int | None, problem: dict[str, Any] | None, decision: str
    ) -> None:
        uow = self.db.uow(actor=SYSTEM)
        async with uow:
            session = uow.session
            row = await session.get(
                Instance, instance_id, with_for_update=True, populate_existing=True
            )
            if row is None or row.sync_state != SyncState.PENDING.value:
                return
            now = utcnow()
            row.sync_attempts += 1
            if status is not None and status < 300:
                row.sync_state = SyncState.DONE.value
                row.sync_problem = None
                row.next_attempt_at = None
                history(
                    session,
                    row,
                    now,
                    SYSTEM,
                    "posted" if decision == "approved" else "returned_to_draft",
                )
            elif status is not None and status in (400, 404, 409, 422):
                row.sync_state = SyncState.FAILED.value
                row.sync_problem = problem
                row.next_attempt_at = None
                history(
                    session,
                    row,
                    now,
                    SYSTEM,
                    "posting_failed" if decision == "approved" else "return_failed",
                    comment=str((problem or {}).get("detail", ""))[:500],
                )
                if decision == "approved":
                    await notify(
                        session,
                        row,
                        "posting_failed",
                        [username_of(row.requester)],
                        now,
                        tag=f"posting_failed:{row.sync_attempts}",
                        error=str((problem or {}).get("detail", ""))[:300] or "-",
                    )
            else:
                row.sync_problem = problem
                row.next_attempt_at = now + backoff(row.sync_attempts)
            await uow.commit()
