"""Moving an instance through its flow, inside the caller's transaction.

* `enter_next_stages` enters the stages after the current one: a stage or step whose
  condition is false is skipped (with the reason in the history); a condition that cannot
  be evaluated on this document counts as true (the safe side: someone approves) and the
  history says why. Each entered step gets its approvers' tasks and, with a time limit,
  a durable timer due after that many working hours of the flow's calendar. When no
  stage is left the instance is approved and the owning service is told to post.
* `settle_step` applies a step's new state (from `domain.routing.step_outcome`): the
  step's other tasks are cancelled, and the instance moves on, or ends rejected or
  returned.
* `finish` ends an instance: open steps, tasks and timers are closed and the owning
  service is told (posting on approval, back to draft otherwise).

Approvers: see `schemas.Approvers`. When nobody resolves, the step goes to the holders
of the `workflow_admin` role; when there are none either, the step waits with a problem
on the instance until someone is added as a signer.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.db.models import (
    Calendar,
    Department,
    Flow,
    HistoryEntry,
    Instance,
    MobileApproval,
    Person,
    RoleHolder,
    Step,
    Task,
    Timer,
)
from services.workflow.domain.calendar import WorkingCalendar, add_working_time
from services.workflow.domain.conditions import EvaluationError, evaluate, is_true
from services.workflow.domain.routing import (
    OrgDepartment,
    OrgPerson,
    StepStatus,
    TaskState,
    TaskStatus,
    manager_at,
    step_outcome,
)
from services.workflow.schemas import (
    OWNERS,
    ApproverKind,
    Approvers,
    InstanceStatus,
    MobileApp,
    StageIn,
    StepIn,
    SyncState,
)
from services.workflow.usecases.notify import enqueue
from services.workflow.usecases.org import working_calendar
from shared.db.uow import unit_of_work

#: Whoever a step falls back to when its approvers resolve to nobody.
FALLBACK_ROLE = "workflow_admin"
#: The actor of what the engine does by itself (timers, routing).
SYSTEM = "system"
DEFAULT_WAREHOUSE_FIELD = "document.warehouse_code"


def username_of(subject: str) -> str:
    """`alice` for the gateway subject `user:alice`; other subjects stay as they are."""
    return subject.removeprefix("user:")


def history(
    session: AsyncSession,
    instance: Instance,
    now: datetime,
    actor: str,
    action: str,
    *,
    step_key: str = "",
    comment: str = "",
    **detail: Any,
) -> None:
    session.add(
        HistoryEntry(
            instance_id=instance.id,
            at=now,
            actor=actor,
            action=action,
            step_key=step_key,
            comment=comment,
            detail=detail,
        )
    )


#: Flow definitions by database (engine) and id: a saved version never changes, so a
#: process may keep them for as long as it uses that database.
_DEFINITIONS: weakref.WeakKeyDictionary[Any, dict[int, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


async def definition_of(session: AsyncSession, flow_id: int | None) -> dict[str, Any] | None:
    """A flow version's definition (read once per process and database)."""
    if flow_id is None:
        return None
    known = _DEFINITIONS.setdefault(session.get_bind(), {})
    found = known.get(flow_id)
    if found is None:
        flow = await session.get(Flow, flow_id)
        if flow is None:
            return None
        found = known[flow_id] = flow.definition
    return found


DOCUMENT_NAMES = {
    "material_requisition": "领料单 material requisition",
    "purchase_receipt": "采购入库单 purchase receipt",
    "scrap": "报废单 scrap",
    "supplier_return": "退供应商单 return to supplier",
    "count_variance": "盘点差异 count variance",
    "rule_review": "规则审核 rule review",
}


def link_of(instance: Instance) -> str:
    """Where people open the approval (relative: the sender puts the public URL first)."""
    return f"/v1/approvals/{instance.id}"


async def notify(
    session: AsyncSession,
    instance: Instance,
    template: str,
    people: list[str],
    now: datetime,
    *,
    tag: str,
    **values: object,
) -> None:
    """Tell the flow's channels (see `FlowIn.notify_channels`); nothing when it has none."""
    definition = await definition_of(session, instance.flow_id)
    channels = list(definition.get("notify_channels", [])) if definition else []
    if not channels:
        return
    base = {
        "document_type": DOCUMENT_NAMES.get(instance.document_type, instance.document_type),
        "document_number": instance.document_number,
    }
    await enqueue(
        session,
        channels,
        template,
        {**base, **values},
        link=link_of(instance),
        people=people,
        dedupe=f"approval:{instance.id}:{tag}",
        now=now,
    )


def mirror(
    session: AsyncSession, instance: Instance, tasks: Sequence[Task], app: MobileApp, now: datetime
) -> None:
    """Queue the tasks for mirroring (in the caller's transaction)."""
    if app is MobileApp.NONE:
        return
    for task in tasks:
        session.add(
            MobileApproval(
                task_id=task.id,
                instance_id=instance.id,
                provider=app.value,
                external_id=None,
                state="starting",
                attempts=0,
                next_check_at=now,
                last_error="",
                created_at=now,
            )
        )


def activation(instance: Instance) -> dict[str, Any]:
    context = instance.context
    return {"document": context.get("document", {}), "requester": context.get("requester", {})}


@dataclass(slots=True)
class Org:
    people: dict[str, OrgPerson]
    departments: dict[str, OrgDepartment]
    inactive: set[str]


async def load_org(session: AsyncSession) -> Org:
    people: dict[str, OrgPerson] = {}
    inactive: set[str] = set()
    for username, department, manager, active in await session.execute(
        select(Person.username, Person.department_code, Person.manager, Person.active)
    ):
        people[username] = OrgPerson(username, department, manager)
        if not active:
            inactive.add(username)
    departments = {
        code: OrgDepartment(code, parent, head)
        for code, parent, head in await session.execute(
            select(Department.code, Department.parent_code, Department.manager)
        )
    }
    return Org(people, departments, inactive)


async def requester_facts(session: AsyncSession, username: str, org: Org) -> dict[str, Any]:
    """What conditions see of the requester."""
    person = org.people.get(username)
    name = await session.scalar(select(Person.name).where(Person.username == username))
    return {
        "username": username,
        "name": name or username,
        "department": person.department if person else None,
        "manager": manager_at(username, 1, org.people, org.departments),
    }


async def _holders(session: AsyncSession, role: str, scopes: Iterable[str]) -> list[str]:
    rows = await session.scalars(
        select(RoleHolder.username)
        .where(RoleHolder.role == role, RoleHolder.scope.in_(list(scopes)))
        .order_by(RoleHolder.id)
    )
    return list(rows)


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return []


async def resolve(
    session: AsyncSession, instance: Instance, rule: Approvers, org: Org
) -> tuple[list[str], str]:
    """The user names one approver rule gives, and a note when it gives none (why)."""
    facts = activation(instance)
    requester = username_of(instance.requester)
    if rule.kind is ApproverKind.USER:
        assert rule.user is not None
        return [rule.user], ""
    if rule.kind is ApproverKind.ROLE:
        assert rule.role is not None
        found = await _holders(session, rule.role, [""])
        return found, "" if found else f"nobody holds {rule.role}"
    if rule.kind is ApproverKind.WAREHOUSE_ROLE:
        assert rule.role is not None
        try:
            warehouse = evaluate(rule.field or DEFAULT_WAREHOUSE_FIELD, facts)
        except EvaluationError as exc:
            return [], f"no warehouse: {exc}"
        scopes = [str(warehouse), ""] if warehouse else [""]
        found = await _holders(session, rule.role, scopes)
        return (
            found,
            "" if found else f"nobody holds {rule.role} for {warehouse or 'any warehouse'}",
        )
    if rule.kind is ApproverKind.MANAGER:
        manager = manager_at(requester, rule.levels, org.people, org.departments)
        if manager is None:
            return [], f"{requester} has no manager {rule.levels} level(s) up"
        return [manager], ""
    assert rule.field is not None
    try:
        found = _names(evaluate(rule.field, facts))
    except EvaluationError as exc:
        return [], f"{rule.field}: {exc}"
    return found, "" if found else f"{rule.field} names nobody"


async def approvers_of(
    session: AsyncSession, instance: Instance, step: StepIn, org: Org
) -> tuple[list[str], str]:
    names: list[str] = []
    notes = []
    for rule in step.approvers:
        found, note = await resolve(session, instance, rule, org)
        names.extend(found)
        if note:
            notes.append(note)
    chosen = [n for n in dict.fromkeys(names) if n not in org.inactive]
    if chosen:
        return chosen, ""
    fallback = [n for n in await _holders(session, FALLBACK_ROLE, [""]) if n not in org.inactive]
    note = "; ".join(notes) or "no approver"
    if fallback:
        return fallback, f"{note}: given to {FALLBACK_ROLE}"
    return [], f"{note}, and nobody holds {FALLBACK_ROLE}: add a signer"


def _condition_holds(
    session: AsyncSession, instance: Instance, source: str | None, now: datetime, key: str
) -> bool:
    if source is None:
        return True
    try:
        return is_true(source, activation(instance))
    except EvaluationError as exc:
        history(
            session,
            instance,
            now,
            SYSTEM,
            "condition_error",
            step_key=key,
            comment=f"{source}: {exc}; counted as true",
        )
        return True


async def calendar_for(session: AsyncSession, flow: Flow) -> WorkingCalendar:
    code = flow.definition.get("calendar_code", "standard")
    row = (await session.scalars(select(Calendar).where(Calendar.code == code))).first()
    return working_calendar(row)


def stages_of(flow: Flow) -> list[StageIn]:
    return [StageIn.model_validate(s) for s in flow.definition["stages"]]


async def enter_next_stages(
    session: AsyncSession, instance: Instance, flow: Flow, now: datetime, org: Org | None = None
) -> None:
    """Enter the next stage that has something to approve, or approve the instance
    (`org`: the organisation when the caller has read it already)."""
    stages = stages_of(flow)
    calendar: WorkingCalendar | None = None
    while instance.stage_index + 1 < len(stages):
        instance.stage_index += 1
        stage = stages[instance.stage_index]
        if not _condition_holds(session, instance, stage.condition, now, stage.key):
            history(
                session,
                instance,
                now,
                SYSTEM,
                "stage_skipped",
                step_key=stage.key,
                comment=f"condition false: {stage.condition}",
            )
            continue
        entered = 0
        for spec in stage.steps:
            if not _condition_holds(session, instance, spec.condition, now, spec.key):
                history(
                    session,
                    instance,
                    now,
                    SYSTEM,
                    "step_skipped",
                    step_key=spec.key,
                    comment=f"condition false: {spec.condition}",
                )
                continue
            org = org or await load_org(session)
            due = None
            if spec.time_limit_hours is not None:
                calendar = calendar or await calendar_for(session, flow)
                limit = timedelta(seconds=int(spec.time_limit_hours * 3600))
                due = add_working_time(calendar, now, limit)
            names, note = await approvers_of(session, instance, spec, org)
            step = Step(
                instance_id=instance.id,
                stage_index=instance.stage_index,
                key=spec.key,
                name=spec.name,
                mode=spec.mode.value,
                status=StepStatus.PENDING.value,
                started_at=now,
                due_at=due,
                note=note[:500],
            )
            session.add(step)
            await session.flush()
            tasks = [
                Task(
                    instance_id=instance.id,
                    step_id=step.id,
                    assignee=name,
                    status=TaskStatus.PENDING.value,
                    origin="flow",
                    created_at=now,
                    due_at=due,
                )
                for name in names
            ]
            session.add_all(tasks)
            if spec.mobile is not MobileApp.NONE and tasks:
                await session.flush()
                mirror(session, instance, tasks, spec.mobile, now)
            if due is not None:
                session.add(
                    Timer(
                        step_id=step.id,
                        instance_id=instance.id,
                        kind="time_limit",
                        action=spec.on_timeout.value,
                        due_at=due,
                    )
                )
            history(
                session,
                instance,
                now,
                SYSTEM,
                "step_started",
                step_key=spec.key,
                comment=note,
                approvers=names,
                due_at=due.isoformat() if due else None,
            )
            if not names:
                instance.problem = f"step {spec.key}: {note}"
            else:
                await notify(
                    session,
                    instance,
                    "approval_pending",
                    names,
                    now,
                    tag=f"step:{step.id}",
                    requester=username_of(instance.requester),
                    step=spec.name,
                    due_at=due.isoformat(timespec="minutes") if due else "-",
                )
            entered += 1
        if entered:
            await session.flush()
            return
    await finish(session, instance, InstanceStatus.APPROVED, now, SYSTEM, "")


async def finish(
    session: AsyncSession,
    instance: Instance,
    status: InstanceStatus,
    now: datetime,
    actor: str,
    reason: str,
    *,
    tell_owner: bool = True,
) -> None:
    """End the instance; close what is open; queue telling the owning service; put
    `ApprovalFinished` on workflow's feed (for event webhooks)."""
    instance.status = status.value
    instance.finished_at = now
    instance.reason = reason[:500]
    open_steps = select(Step.id).where(
        Step.instance_id == instance.id, Step.status == StepStatus.PENDING.value
    )
    await session.execute(
        update(Task)
        .where(Task.instance_id == instance.id, Task.status == TaskStatus.PENDING.value)
        .values(status=TaskStatus.CANCELLED.value, decided_at=now)
    )
    await session.execute(
        update(Timer)
        .where(Timer.instance_id == instance.id, Timer.fired_at.is_(None))
        .values(cancelled=True)
    )
    closing = StepStatus.CANCELLED.value
    await session.execute(
        update(Step)
        .where(Step.id.in_(open_steps))
        .values(status=closing, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if tell_owner and instance.document_type in OWNERS:
        instance.sync_state = SyncState.PENDING.value
        instance.sync_problem = None
        instance.next_attempt_at = now
    history(session, instance, now, actor, status.value, comment=reason)
    unit_of_work(session).emit(
        "ApprovalFinished",
        "approval",
        str(instance.id),
        {
            "id": instance.id,
            "document_type": instance.document_type,
            "document_id": instance.document_id,
            "document_number": instance.document_number,
            "status": status.value,
            "reason": instance.reason,
            "requester": instance.requester,
            "finished_by": actor,
            "submitted_at": instance.submitted_at.isoformat(),
            "finished_at": now.isoformat(),
        },
    )
    if status is not InstanceStatus.WITHDRAWN:
        await notify(
            session,
            instance,
            "approval_result",
            [username_of(instance.requester)],
            now,
            tag="result",
            result=status.value,
            approver=username_of(actor),
            reason=reason or "-",
        )


async def tasks_of(session: AsyncSession, step_id: int) -> list[Task]:
    return list(
        await session.scalars(select(Task).where(Task.step_id == step_id).order_by(Task.id))
    )


async def settle_step(
    session: AsyncSession, instance: Instance, step: Step, now: datetime, actor: str
) -> None:
    """Re-decide `step` from its tasks and carry the outcome through the instance."""
    tasks = await tasks_of(session, step.id)
    outcome = step_outcome(step.mode, [TaskState(TaskStatus(t.status), t.origin) for t in tasks])
    if outcome is StepStatus.PENDING:
        return
    step.status = outcome.value
    step.finished_at = now
    for task in tasks:
        if task.status == TaskStatus.PENDING.value:
            task.status = TaskStatus.CANCELLED.value
            task.decided_at = now
    await session.execute(
        update(Timer)
        .where(Timer.step_id == step.id, Timer.fired_at.is_(None))
        .values(cancelled=True)
    )
    await session.flush()
    if outcome is StepStatus.REJECTED:
        reason = next((t.comment for t in tasks if t.status == TaskStatus.REJECTED.value), "")
        await finish(session, instance, InstanceStatus.REJECTED, now, actor, reason)
        return
    if outcome is StepStatus.RETURNED:
        reason = next((t.comment for t in tasks if t.status == TaskStatus.RETURNED.value), "")
        await finish(session, instance, InstanceStatus.RETURNED, now, actor, reason)
        return
    await advance(session, instance, now)


async def advance(session: AsyncSession, instance: Instance, now: datetime) -> None:
    """Enter the next stages once every step of the current one is decided."""
    still_open = await session.scalar(
        select(Step.id)
        .where(
            Step.instance_id == instance.id,
            Step.stage_index == instance.stage_index,
            Step.status == StepStatus.PENDING.value,
        )
        .limit(1)
    )
    if still_open is None:
        flow = await session.get(Flow, instance.flow_id)
        assert flow is not None
        await enter_next_stages(session, instance, flow, now)


def step_spec(definition: dict[str, Any], stage_index: int, key: str) -> StepIn | None:
    stages = [StageIn.model_validate(s) for s in definition["stages"]]
    if not 0 <= stage_index < len(stages):
        return None
    return next((s for s in stages[stage_index].steps if s.key == key), None)


async def escalation_holders(session: AsyncSession, instance: Instance, role: str) -> list[str]:
    """Holders of `role` for the document's warehouse and everywhere."""
    warehouse = activation(instance)["document"].get("warehouse_code")
    return list(dict.fromkeys(await _holders(session, role, [warehouse or "", ""])))


def amount_of(document: dict[str, Any]) -> Decimal | None:
    exact = document.get("exact_amount")
    return Decimal(exact) if exact is not None else None
