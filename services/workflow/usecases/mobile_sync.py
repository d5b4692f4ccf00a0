"""Mobile approval (移动审批): a step's tasks mirrored into DingTalk's or WeCom's approval
app, and the decisions taken there brought back.

* Entering a step marked `mobile` records one `wf_mobile_approvals` row per task
  (`starting`), in the step's transaction. The runner creates the approval there
  (originator: the requester's DingTalk/WeCom user id; approver: the task's; our
  business key `wf-task-<id>` in the form) and keeps its id (`pending`).
* A decision arrives by the app's encrypted callback (`POST /v1/mobile/<app>/callback`,
  signature checked, answered with the encrypted "success" DingTalk expects at once), or,
  since callbacks get lost, by asking the app every `mobile_poll_seconds`. Either way it
  is applied exactly as a decision through our API (`approvals.decide_as`) under the
  instance's lock; the second arrival finds the task decided and changes nothing.
* A task decided here first (or cancelled: another approver decided, the instance was
  withdrawn) stops being asked about, at the runner's next pass whatever its poll time
  (once a call to the app has failed for it, at its next retry).
  Its DingTalk approval is withdrawn there (`terminate`, as the system, remark saying
  why), so the approver's to-do list there empties too; one that finished there
  meanwhile is left as it is (its decision comes too late and changes nothing). WeCom
  offers no API to withdraw an approval: it stays in the approver's list, and deciding
  it changes nothing here. Creating the approval there is not idempotent at the apps: a
  create whose answer was lost is created again on the next try, and whichever copy is
  decided first counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import select

from services.workflow.db.models import Instance, MobileApproval, Person, Task
from services.workflow.domain.callback_crypto import CallbackCrypto
from services.workflow.domain.routing import TaskStatus
from services.workflow.mobile import (
    DingTalkApp,
    DingTalkApproval,
    MobileApiError,
    MobileDecision,
    WeComApp,
    WeComApproval,
)
from services.workflow.schemas import MobileApp
from services.workflow.settings import DingTalkAppSettings, WeComAppSettings
from services.workflow.usecases.approvals import decide_as
from services.workflow.usecases.engine import username_of
from shared.db.database import Database
from shared.db.types import utcnow

log = structlog.get_logger(__name__)

BATCH = 50
MAX_START_ATTEMPTS = 8


def business_key(task_id: int) -> str:
    return f"wf-task-{task_id}"


class MobileSync:
    def __init__(
        self,
        db: Database,
        http: httpx.AsyncClient,
        *,
        dingtalk: DingTalkAppSettings | None,
        wecom: WeComAppSettings | None,
        poll_seconds: float,
    ) -> None:
        self.db = db
        self.poll = timedelta(seconds=poll_seconds)
        self.dingtalk = dingtalk
        self.wecom = wecom
        self.dingtalk_client = (
            DingTalkApproval(
                http,
                DingTalkApp(
                    dingtalk.base_url,
                    dingtalk.app_key,
                    dingtalk.app_secret,
                    dingtalk.agent_id,
                    dingtalk.process_code,
                ),
            )
            if dingtalk
            else None
        )
        self.wecom_client = (
            WeComApproval(
                http,
                WeComApp(
                    wecom.base_url,
                    wecom.corp_id,
                    wecom.corp_secret,
                    wecom.agent_id,
                    wecom.template_id,
                    wecom.business_key_control,
                ),
            )
            if wecom
            else None
        )

    def crypto(self, provider: MobileApp) -> CallbackCrypto | None:
        if provider is MobileApp.DINGTALK and self.dingtalk:
            return CallbackCrypto(self.dingtalk.token, self.dingtalk.aes_key, self.dingtalk.app_key)
        if provider is MobileApp.WECOM and self.wecom:
            return CallbackCrypto(self.wecom.token, self.wecom.aes_key, self.wecom.corp_id)
        return None

    async def run(self, now: datetime | None = None) -> int:
        moment = now or utcnow()
        async with self.db.read() as session:
            due = list(
                await session.scalars(
                    select(MobileApproval.id)
                    .join(Task, Task.id == MobileApproval.task_id)
                    .where(
                        MobileApproval.state.in_(("starting", "pending")),
                        (MobileApproval.next_check_at <= moment)
                        | (
                            (Task.status != TaskStatus.PENDING.value)
                            & (MobileApproval.attempts == 0)
                        ),
                    )
                    .order_by(MobileApproval.next_check_at, MobileApproval.id)
                    .limit(BATCH)
                )
            )
        for row_id in due:
            await self._one(row_id, moment)
        return len(due)

    async def _one(self, row_id: int, now: datetime) -> None:
        async with self.db.read() as session:
            row = await session.get(MobileApproval, row_id)
            if row is None:
                return
            task = await session.get(Task, row.task_id)
            instance = await session.get(Instance, row.instance_id)
            assert task is not None and instance is not None
            provider, external_id, state = MobileApp(row.provider), row.external_id, row.state
            still_open = task.status == TaskStatus.PENDING.value
            task_status = task.status
            people = {
                p.username: p
                for p in await session.scalars(
                    select(Person).where(
                        Person.username.in_([task.assignee, username_of(instance.requester)])
                    )
                )
            }
            facts = dict(instance.context.get("document", {}))
            number, requester = instance.document_number, username_of(instance.requester)
            assignee = task.assignee
        if not still_open:
            await self._withdraw(row_id, provider, external_id, task_status, now)
            return
        client = self.dingtalk_client if provider is MobileApp.DINGTALK else self.wecom_client
        if client is None:
            await self._update(row_id, state="failed", error=f"no {provider.value} app set up")
            return
        try:
            if state == "starting":
                ids = self._user_ids(provider, people, assignee, requester)
                if isinstance(ids, str):
                    await self._update(row_id, state="failed", error=ids)
                    return
                approver, originator = ids
                external = await self._start(
                    provider, originator, approver, number, requester, facts, row_id, task.id
                )
                await self._update(
                    row_id, state="pending", external_id=external, next_check_at=now + self.poll
                )
                return
            assert external_id is not None
            decision = await client.get(external_id)
        except (httpx.HTTPError, MobileApiError, ValueError) as exc:
            await self._failed_attempt(row_id, str(exc), now)
            return
        if decision.state == "pending":
            await self._update(row_id, next_check_at=now + self.poll)
            return
        await self.apply(provider, decision, via=f"{provider.value} (asked)")

    async def _withdraw(
        self,
        row_id: int,
        provider: MobileApp,
        external_id: str | None,
        task_status: str,
        now: datetime,
    ) -> None:
        """The task was decided or cancelled here first: withdraw its approval in the
        app where the app can (DingTalk), then stop asking about it."""
        why = f"the task was {task_status} in the workflow service first"
        if external_id is None:  # never created there
            await self._update(row_id, state="cancelled", error=why)
            return
        if provider is MobileApp.WECOM or self.dingtalk_client is None:
            await self._update(
                row_id, state="cancelled", error=f"{why}; left open in {provider.value}"
            )
            return
        try:
            await self.dingtalk_client.terminate(external_id, remark=why)
        except MobileApiError as exc:
            try:  # finished there meanwhile: nothing to withdraw
                finished = (await self.dingtalk_client.get(external_id)).state != "pending"
            except (httpx.HTTPError, MobileApiError, ValueError):
                finished = False
            if not finished:
                await self._failed_attempt(row_id, f"withdrawing: {exc}", now)
                return
        except (httpx.HTTPError, ValueError) as exc:
            await self._failed_attempt(row_id, f"withdrawing: {exc}", now)
            return
        await self._update(row_id, state="cancelled", error=f"{why}; withdrawn in dingtalk")

    def _user_ids(
        self, provider: MobileApp, people: dict[str, Person], assignee: str, requester: str
    ) -> tuple[str, str] | str:
        def user_id(name: str) -> str:
            person = people.get(name)
            if person is None:
                return ""
            return (
                person.dingtalk_user_id if provider is MobileApp.DINGTALK else person.wecom_user_id
            )

        approver, originator = user_id(assignee), user_id(requester)
        if not approver:
            return f"{assignee} has no {provider.value} user id"
        return approver, originator or approver

    async def _start(
        self,
        provider: MobileApp,
        originator: str,
        approver: str,
        number: str,
        requester: str,
        facts: dict[str, Any],
        row_id: int,
        task_id: int,
    ) -> str:
        title = f"{number} ({requester})"
        form = [
            ("单据", number),
            ("申请人", requester),
            ("金额", str(facts.get("exact_amount", ""))),
            (
                "摘要",
                "; ".join(
                    f"{line.get('item_code')} x {line.get('quantity')}"
                    for line in facts.get("lines", [])[:20]
                ),
            ),
        ]
        if provider is MobileApp.DINGTALK:
            assert self.dingtalk_client is not None
            return await self.dingtalk_client.start(
                originator_user_id=originator,
                dept_id=None,
                approvers=[approver],
                title=title,
                form=form,
                business_key=business_key(task_id),
            )
        assert self.wecom_client is not None
        return await self.wecom_client.start(
            creator_userid=originator,
            approvers=[approver],
            title=title,
            form=form,
            business_key=business_key(task_id),
        )

    async def _update(
        self,
        row_id: int,
        *,
        state: str | None = None,
        external_id: str | None = None,
        error: str | None = None,
        next_check_at: datetime | None = None,
    ) -> None:
        uow = self.db.uow(actor="system")
        async with uow:
            row = await uow.session.get(MobileApproval, row_id, with_for_update=True)
            if row is None:
                return
            if state is not None:
                row.state = state
            if external_id is not None:
                row.external_id = external_id
            if error is not None:
                row.last_error = error[:1000]
            if next_check_at is not None:
                row.next_check_at = next_check_at
            await uow.commit()

    async def _failed_attempt(self, row_id: int, error: str, now: datetime) -> None:
        uow = self.db.uow(actor="system")
        async with uow:
            row = await uow.session.get(MobileApproval, row_id, with_for_update=True)
            if row is None:
                return
            row.attempts += 1
            row.last_error = error[:1000]
            if row.state == "starting" and row.attempts >= MAX_START_ATTEMPTS:
                row.state = "failed"
            else:
                row.next_check_at = now + min(self.poll, timedelta(seconds=2**row.attempts))
            await uow.commit()
        log.warning("mobile_approval_failed", row=row_id, problem=error)

    async def apply(self, provider: MobileApp, decision: MobileDecision, *, via: str) -> bool:
        """Apply a decision taken in the app; False when it changed nothing (unknown
        instance, still pending there, or the task was already decided)."""
        if decision.state == "pending":
            return False
        async with self.db.read() as session:
            row = (
                await session.scalars(
                    select(MobileApproval).where(
                        MobileApproval.provider == provider.value,
                        MobileApproval.external_id == decision.instance_id,
                    )
                )
            ).first()
            if row is None:
                return False
            row_id, instance_id, task_id = row.id, row.instance_id, row.task_id
        uow = self.db.uow(actor=f"{provider.value}:callback")
        async with uow:
            session = uow.session
            instance = await session.get(
                Instance, instance_id, with_for_update=True, populate_existing=True
            )
            row = await session.get(MobileApproval, row_id, with_for_update=True)
            task = await session.get(Task, task_id)
            assert instance is not None and row is not None and task is not None
            if row.state in ("decided", "cancelled"):
                return False
            now = utcnow()
            changed = False
            if decision.state in ("approved", "rejected"):
                status = (
                    TaskStatus.APPROVED if decision.state == "approved" else TaskStatus.REJECTED
                )
                comment = decision.comment or ""
                if decision.state == "rejected" and not comment:
                    comment = f"rejected in {provider.value}"
                changed = await decide_as(
                    session, instance, task.assignee, status, comment, now, via=via
                )
                row.state = "decided"
                row.decided_at = decision.decided_at or now
            else:
                row.state = "cancelled"
                row.last_error = f"cancelled in {provider.value}"
            await session.flush()
            await uow.commit()
        return changed
